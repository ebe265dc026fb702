"""Run one check: its tool, its conditions, its outcome. No pytest here.

Whatever goes wrong while measuring — a ToolError, or a bug in a check
type — ends as the `error` verdict with the reason, never as a pass.
"""

from __future__ import annotations

import json
import math
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pytest_tower.core.config import CheckSpec
from pytest_tower.core.model import CheckContext, Measurement, ToolError
from pytest_tower.core.outcome import BLOCKED, ERROR, Outcome, judge

if TYPE_CHECKING:
    from pytest_tower.report.schema import FindingDict


def run_check(spec: CheckSpec, nodeid: str, root: Path, artifacts_dir: Path, *,
              baseline: Mapping[str, float] | None = None, recording_baseline: bool = False,
              progress: Callable[[str], None] | None = None, environment: Any = None,
              past: Callable[[], list[dict[str, Any]]] | None = None) -> Outcome:
    """Measure `spec` and judge its conditions (against `baseline` where they say so)."""
    started = time.monotonic()
    ctx = CheckContext(
        check_id=spec.id,
        root=root,
        options=spec.options,
        timeout=spec.timeout,
        artifacts_dir=artifacts_dir / f"{spec.stage}.{spec.name}",
        deadline=started + spec.timeout,
    )
    if progress is not None:
        ctx.progress = progress
    ctx.environment = environment
    if past is not None:
        ctx.past = past
    outcome = Outcome(nodeid, spec.stage, spec.name, ERROR)
    try:
        measurement = spec.check_type.run(ctx)
        if not isinstance(measurement, Measurement):
            raise TypeError(f"run() returned {measurement!r}, not a Measurement")
    except ToolError as exc:
        outcome.message = f"could not measure: {exc}"
    except Exception:
        outcome.message = (
            f"could not measure: the {spec.check_type.name!r} check type crashed "
            f"(a bug in it; please report it):\n{traceback.format_exc()}"
        )
    else:
        bad = _non_finite(measurement.metrics)
        if bad:
            outcome.message = (f"could not measure: the {spec.check_type.name!r} check type "
                               f"reported a non-finite value for {bad} (a metric must be an "
                               "int or float within float range, not a bool or another "
                               "type; a bug in it, or unreadable tool output)")
            outcome.tool = measurement.tool
            outcome.duration_s = round(time.monotonic() - started, 3)
            return outcome
        verdict, results, message = judge(spec, measurement, baseline, recording_baseline)
        outcome.verdict = verdict
        outcome.message = message
        outcome.tool = measurement.tool
        outcome.metrics = dict(measurement.metrics)
        outcome.conditions = [r.to_dict() for r in results]
        # Finding.to_dict leaves out empty fields: the report's FindingDict
        outcome.findings = [cast("FindingDict", f.to_dict()) for f in measurement.findings]
        outcome.artifacts = dict(measurement.artifacts)
        outcome.notes = list(measurement.notes)
    outcome.duration_s = round(time.monotonic() - started, 3)
    return _writable(outcome, spec.check_type.name)


def _writable(outcome: Outcome, type_name: str) -> Outcome:
    """An outcome travels as strict JSON (to xdist, the report): one that cannot is an error."""
    try:
        json.dumps(outcome.to_dict(), allow_nan=False)
    except (TypeError, ValueError) as exc:
        return Outcome(outcome.id, outcome.stage, outcome.check, ERROR, tool=outcome.tool,
                       message=f"could not measure: the {type_name!r} check type returned "
                       f"data that cannot be written as JSON ({exc}); a bug in it",
                       duration_s=outcome.duration_s)
    return outcome


def _non_finite(metrics: Mapping[str, Any]) -> str:
    """The metrics that are not finite numbers (NaN, infinity, a bool, not a number,
    an int beyond float range), or ''."""
    if not isinstance(metrics, Mapping):
        return f"its metrics ({_short(metrics)}: not a mapping of names to numbers)"
    bad = [f"{k} ({_short(v)})" for k, v in metrics.items() if not _finite_number(v)]
    return ", ".join(bad)


def _finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large to become a float
        return False


def _short(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            text = str(value)
        except ValueError:  # more digits than Python will print
            return "an integer too large to print"
    else:
        try:
            text = repr(value)
        except Exception:
            text = f"a {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def blocked_outcome(spec: CheckSpec, nodeid: str, reason: str) -> Outcome:
    return Outcome(nodeid, spec.stage, spec.name, BLOCKED, message=reason)
