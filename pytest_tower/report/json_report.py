"""The JSON report (schema 1: its types are in report/schema.py), written atomically."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_tower.core.fs import write_json_atomic
from pytest_tower.core.runner import git_output
from pytest_tower.report.schema import CheckDict, ReportDict

if TYPE_CHECKING:
    from pytest_tower.run.session import TowerSession

SCHEMA = 1


def build_report(tower: TowerSession) -> ReportDict:
    """The report; strict JSON (a non-finite number becomes null, with a note)."""
    notes: list[str] = []
    report: ReportDict = finite(_build(tower), "", notes)
    if notes and not tower.internal_errors:  # a number we cannot write is no evidence
        tower.internal_errors.append(f"report: a non-finite number ({notes[0]})")
        report = finite(_build(tower), "", [])
    report["notes"] = [*report.get("notes", []), *notes]
    return report


def _build(tower: TowerSession) -> ReportDict:
    verdict = tower.verdict
    types = {(c.stage, c.name): c.check_type.name for c in tower.pipeline.checks()}
    checks: list[CheckDict] = [
        {
            "id": o.id,
            "stage": o.stage,
            "check": o.check,
            "type": types.get((o.stage, o.check), ""),
            "tool": o.tool,
            "verdict": o.verdict,
            "metrics": o.metrics,
            "conditions": o.conditions,
            "message": o.message,
            "duration_s": o.duration_s,
            "findings": o.findings,
            "artifacts": o.artifacts,
            "notes": o.notes,
        }
        for o in tower.all_outcomes()
    ]
    return {
        "schema": SCHEMA,
        "verdict": tower.status(),
        "summary": tower.line(),
        "complete": bool(verdict is not None and verdict.complete and not tower.interrupted_by),
        "not_run": list(verdict.not_run) if verdict is not None else [],
        "notes": [*tower.selection.notes, *(f"gate error: {e}" for e in tower.internal_errors)],
        "started": datetime.fromtimestamp(tower.started, UTC).isoformat(),
        "duration_s": round(time.time() - tower.started, 3),
        "project": {"root": str(tower.pipeline.root), "commit": git_commit(tower.pipeline.root)},
        "config": str(tower.pipeline.path),
        "checks": checks,
        "environments": tower.env_hooks.report() if tower.env_hooks is not None else [],
    }


def error_report(tower: TowerSession) -> ReportDict:
    """What is left to say when the full report could not be built: it did not pass."""
    return {"schema": SCHEMA, "verdict": "error" if not tower.interrupted_by else "interrupted",
            "summary": tower.line(), "complete": False, "not_run": [],
            "notes": list(tower.internal_errors), "checks": [], "environments": []}


def finite(value: Any, where: str, notes: list[str]) -> Any:
    """`value` with every NaN/infinity replaced by None; each replacement noted.

    Walks any JSON-like value, so typed Any: the caller knows the shape it passed in.
    """
    if isinstance(value, float) and not math.isfinite(value):
        notes.append(f"{where or 'a value'} was {value!r}, written as null")
        return None
    if isinstance(value, dict):
        return {k: finite(v, f"{where}.{k}" if where else str(k), notes)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v, f"{where}[{n}]", notes) for n, v in enumerate(value)]
    return value


def write_config_error(path: Path, message: str, summary: str = "configuration error") -> None:
    """A broken gates.toml (or conftest.py) still replaces the report: no stale pass survives."""
    report: ReportDict = {"schema": SCHEMA, "verdict": "failed", "summary": summary,
                          "error": message, "complete": False, "not_run": [], "checks": [],
                          "environments": []}
    write_report(path, report)


def write_report(path: Path, data: ReportDict) -> None:
    write_json_atomic(path, data)


def git_commit(root: Path) -> str | None:
    return git_output(["rev-parse", "HEAD"], root)
