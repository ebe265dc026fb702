"""Accepted metrics to compare against: `"p95 <= baseline * 1.10"`.

The baseline is a JSON file of each check's metrics from the last run that
was accepted. `--tower-update-baseline` records it, and only from a run whose
gate passed, so a regression can never become the new normal by accident.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_tower.core.fs import write_json_atomic
from pytest_tower.core.names import check_key
from pytest_tower.core.outcome import PASSED, Outcome

SCHEMA = 1
_RECORD = "record a new baseline from a passing run with --tower-update-baseline"


class CheckBaseline(dict[str, float]):
    """One check's accepted metrics, finite numbers only.

    `unusable` says, per metric, why its recorded value cannot be compared
    with (NaN, Infinity, not a number); `problem` why no value can (the file
    could not be read). A condition needing such a value errors with that text.
    """

    def __init__(self, values: Mapping[str, float] | None = None, *,
                 unusable: Mapping[str, str] | None = None, problem: str = "") -> None:
        super().__init__(values or {})
        self.unusable = dict(unusable or {})
        self.problem = problem


class Baselines(dict[str, CheckBaseline]):
    """check id ("stage::check") -> its accepted metrics.

    A file that could not be read sets `problem`: every check then gets an
    empty baseline carrying it, and the whole counts as present (truthy), so
    the history is not silently used in place of a baseline the user keeps.
    """

    def __init__(self, checks: Mapping[str, CheckBaseline] | None = None,
                 problem: str = "") -> None:
        super().__init__(checks or {})
        self.problem = problem

    def get(self, key: str, default: CheckBaseline | None = None  # type: ignore[override]
            ) -> CheckBaseline | None:
        found = super().get(key)
        if found is None and self.problem:
            return CheckBaseline(problem=self.problem)
        return found if found is not None else default

    def __bool__(self) -> bool:
        return bool(self.problem) or len(self) > 0


def load_baseline(path: Path) -> Baselines:
    """The accepted metrics in `path`; empty when there is no baseline yet.

    Never raises for what is in the file: a broken file or value only makes
    the conditions that compare with it error, with a message saying why.
    """
    if not path.exists():
        return Baselines()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("schema") != SCHEMA \
                or not isinstance(data.get("checks"), dict):
            raise ValueError("not a schema-1 baseline with a \"checks\" table")
    except (OSError, ValueError, RecursionError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        return Baselines(problem=f"the baseline file {path} cannot be used ({reason}); "
                         f"fix it, or delete it and {_RECORD}")
    return Baselines({str(k): _check_baseline(path, str(k), v)
                      for k, v in data["checks"].items()})


def _check_baseline(path: Path, check: str, metrics: Any) -> CheckBaseline:
    if not isinstance(metrics, dict):
        return CheckBaseline(problem=f"the baseline of {check} in {path} is not a table of "
                             f"metrics; {_RECORD}")
    values: dict[str, float] = {}
    unusable: dict[str, str] = {}
    for name, value in metrics.items():
        number = finite_number(value)
        if number is None:
            unusable[str(name)] = (f"the accepted baseline of {name} for {check} in {path} "
                                   f"is {_short(value)}, not a finite number; {_RECORD}")
        else:
            values[str(name)] = number
    return CheckBaseline(values, unusable=unusable)


def finite_number(value: Any) -> float | None:
    """`value` as a float if it is a real, finite number (not NaN, Infinity, a bool, text)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # a huge integer
        return None
    return number if math.isfinite(number) else None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def record_baseline(path: Path, old: Mapping[str, Mapping[str, float]],
                    outcomes: Iterable[Outcome], commit: str | None) -> list[str]:
    """Merge the passing checks' metrics into the baseline; returns their ids.

    Checks that did not run (a partial run) keep their old baseline.
    """
    checks: dict[str, Any] = {k: dict(v) for k, v in old.items()}
    updated = []
    for outcome in outcomes:
        if outcome.verdict == PASSED:
            key = check_key(outcome.stage, outcome.check)
            checks[key] = accepted_metrics(outcome)
            updated.append(key)
    write_json_atomic(path, {"schema": SCHEMA, "updated": datetime.now(UTC).isoformat(),
                             "commit": commit, "checks": checks})
    return updated


def accepted_metrics(outcome: Outcome) -> dict[str, float]:
    """The finite metrics of a passing check, plus what its conditions measured.

    A keyed count the tool did not see (`violations[F401]` with no F401) is
    not among the metrics but was measured as 0; recording that 0 keeps a
    clean key's ratchet at 0 instead of leaving it "no baseline yet".
    """
    values = {k: v for k, v in outcome.metrics.items()
              if finite_number(v) is not None}  # the file stays strict JSON
    for condition in outcome.conditions:
        metric, actual = condition.get("metric"), finite_number(condition.get("actual"))
        if isinstance(metric, str) and actual is not None:
            values.setdefault(metric, int(actual) if actual.is_integer() else actual)
    return values


def recorded_message(path: Path, ids: Iterable[str], not_run: Iterable[str]) -> str:
    """What an update run recorded; a partial run says which checks kept their old one."""
    text = f"baseline recorded in {path} for " + ", ".join(ids)
    skipped = list(not_run)
    if skipped:
        text += (" (partial run: only the checks that ran were recorded; not run, so their "
                 "baseline was left as it was: " + ", ".join(skipped) + ")")
    return text


def baseline_from_history(history: Path, branch: str) -> tuple[Baselines, str]:
    """The last passing run on `branch` in the history: its metrics, and which run it was.

    read_history has skipped what is not a well-formed run; the source says
    how many lines that was, so a user knows the history was not all read.
    """
    from pytest_tower.history.store import read_history

    runs = read_history(history)
    skipped = f"; {runs.note}" if runs.note else ""
    for run in reversed(runs):
        if run.get("verdict") == "passed" and run.get("branch") == branch:
            checks = {}
            for check in run.get("checks", []):
                if check.get("verdict") == PASSED and check.get("metrics"):
                    checks[check_key(check['stage'], check['check'])] = CheckBaseline(
                        {str(k): n for k, v in check["metrics"].items()
                         if (n := finite_number(v)) is not None})
            commit = (str(run.get("commit") or ""))[:12] or "unknown commit"
            return Baselines(checks), (f"the last passing run on {branch} "
                                       f"({run.get('started')}, {commit}){skipped}")
    if runs.problem or runs.skipped:
        problem = (f"there is no accepted baseline: no baseline file, and no passing run on "
                   f"{branch} in {history} ({runs.problem or skipped.lstrip('; ')}); {_RECORD}")
        return Baselines(problem=problem), problem
    return Baselines(), ""
