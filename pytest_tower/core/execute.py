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
from typing import Any

from pytest_tower.core.config import CheckSpec
from pytest_tower.core.model import CheckContext, Measurement, ToolError
from pytest_tower.core.outcome import BLOCKED, ERROR, Outcome, judge


def run_check(spec: CheckSpec, nodeid: str, root: Path, artifacts_dir: Path, *,
              baseline: Mapping[str, float] | None = None, recording_baseline: bool = False,
              progress: Callable[[str], None] | None = None, environment: Any = None
              ) -> Outcome:
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
                               f"reported a non-finite value for {bad} (a bug in it, or "
                               "unreadable tool output)")
            outcome.tool = measurement.tool
            outcome.duration_s = round(time.monotonic() - started, 3)
            return outcome
        verdict, results, message = judge(spec, measurement, baseline, recording_baseline)
        outcome.verdict = verdict
        outcome.message = message
        outcome.tool = measurement.tool
        outcome.metrics = dict(measurement.metrics)
        outcome.conditions = [r.to_dict() for r in results]
        outcome.findings = [f.to_dict() for f in measurement.findings]
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
    """The metrics that are not finite numbers (NaN, infinity, not a number), or ''."""
    bad = [f"{k} ({v!r})" for k, v in metrics.items()
           if not isinstance(v, (int, float)) or not math.isfinite(v)]
    return ", ".join(bad)


def blocked_outcome(spec: CheckSpec, nodeid: str, reason: str) -> Outcome:
    return Outcome(nodeid, spec.stage, spec.name, BLOCKED, message=reason)
