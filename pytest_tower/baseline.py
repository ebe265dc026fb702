"""Accepted metrics to compare against: `"p95 <= baseline * 1.10"`.

The baseline is a JSON file of each check's metrics from the last run that
was accepted. `--tower-update-baseline` records it, and only from a run whose
gate passed, so a regression can never become the new normal by accident.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_tower.atomic import write_json_atomic
from pytest_tower.errors import ConfigError
from pytest_tower.verdict import PASSED, Outcome

SCHEMA = 1


def load_baseline(path: Path) -> dict[str, dict[str, float]]:
    """check id ("stage::check") -> metrics; {} when there is no baseline yet."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        checks = data["checks"]
        if data.get("schema") != SCHEMA or not isinstance(checks, dict):
            raise ValueError("not a schema-1 baseline")
        return {str(k): {str(m): float(v) for m, v in metrics.items()}
                for k, metrics in checks.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(path, f"the baseline file cannot be read ({exc})",
                          expected="a file written by --tower-update-baseline; delete it "
                          "and record a new one") from None


def record_baseline(path: Path, old: Mapping[str, Mapping[str, float]],
                    outcomes: Iterable[Outcome], commit: str | None) -> list[str]:
    """Merge the passing checks' metrics into the baseline; returns their ids."""
    checks: dict[str, Any] = {k: dict(v) for k, v in old.items()}
    updated = []
    for outcome in outcomes:
        if outcome.verdict == PASSED:
            key = f"{outcome.stage}::{outcome.check}"
            checks[key] = dict(outcome.metrics)
            updated.append(key)
    write_json_atomic(path, {"schema": SCHEMA, "updated": datetime.now(UTC).isoformat(),
                             "commit": commit, "checks": checks})
    return updated


def baseline_from_history(history: Path, branch: str) -> tuple[dict[str, dict[str, float]], str]:
    """The last passing run on `branch` in the history: its metrics, and which run it was."""
    from pytest_tower.history import read_history

    for run in reversed(read_history(history)):
        if run.get("verdict") == "passed" and run.get("branch") == branch:
            checks = {}
            for check in run.get("checks", []):
                if check.get("verdict") == PASSED and check.get("metrics"):
                    checks[f"{check['stage']}::{check['check']}"] = {
                        str(k): float(v) for k, v in check["metrics"].items()}
            commit = (run.get("commit") or "")[:12] or "unknown commit"
            return checks, f"the last passing run on {branch} ({run.get('started')}, {commit})"
    return {}, ""
