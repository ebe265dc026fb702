"""The JSON report (schema 1, see DESIGN.md), written atomically."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_tower.atomic import write_json_atomic

if TYPE_CHECKING:
    from pytest_tower.session import TowerSession

SCHEMA = 1


def build_report(tower: TowerSession) -> dict[str, Any]:
    verdict = tower.verdict
    return {
        "schema": SCHEMA,
        "verdict": "passed" if verdict is not None and verdict.passed else "failed",
        "summary": verdict.line if verdict is not None else "not run",
        "started": datetime.fromtimestamp(tower.started, UTC).isoformat(),
        "duration_s": round(time.time() - tower.started, 3),
        "project": {"root": str(tower.pipeline.root), "commit": git_commit(tower.pipeline.root)},
        "config": str(tower.pipeline.path),
        "checks": [
            {
                "id": o.id,
                "stage": o.stage,
                "check": o.check,
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
        ],
        "environments": tower.env_hooks.report() if tower.env_hooks is not None else [],
    }


def write_config_error(path: Path, message: str) -> None:
    """A broken gates.toml still replaces the report, so no stale pass survives."""
    write_report(path, {"schema": SCHEMA, "verdict": "failed", "summary": "configuration error",
                        "error": message, "checks": [], "environments": []})


def write_report(path: Path, data: dict[str, Any]) -> None:
    write_json_atomic(path, data)


def git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None
