"""What a merge leaves behind: the same report and outputs a single run writes.

The report dict is built here (report/ renders it: Markdown, SARIF, HTML,
annotations, history), then the verdict line is printed and the exit status
returned. A merge that could not happen still replaces the report, saying why.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tower.core.outcome import PASSED, GateVerdict, Outcome
from pytest_tower.run.merge.inputs import Part

if TYPE_CHECKING:
    from pytest_tower.core.config import Pipeline
    from pytest_tower.report.schema import CheckDict, EnvironmentDict, ReportDict

FAILED_LINE = "TOWER GATE FAILED: "


@dataclass
class Merged:
    """The merge in progress: its inputs, the outcomes, the verdict."""

    config: pytest.Config
    pipeline: Pipeline
    report: Path | None
    others: dict[str, Path]
    started: float
    require_complete: bool = False
    commit: str | None = None
    shards: int = 0
    parts: list[Part] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    verdict: GateVerdict | None = None
    baseline: Mapping[str, Mapping[str, float]] = field(default_factory=dict)


def write_failure(merged: Merged, problem: str) -> int:
    """The parts do not make one verdict: a failed report that says why; exit 1."""
    from pytest_tower.report.json_report import SCHEMA, write_report

    line = FAILED_LINE + " ".join(problem.split())
    if merged.report is not None:
        report: ReportDict = {"schema": SCHEMA, "verdict": "failed", "summary": line,
                              "complete": False, "not_run": [], "notes": [problem],
                              "checks": [], "environments": []}
        write_report(merged.report, report)
    _print(f"tower: {problem}")
    _print(f"{'=' * 10} {line} {'=' * 10}")
    return int(pytest.ExitCode.TESTS_FAILED)


def build(merged: Merged) -> ReportDict:
    from pytest_tower.report.json_report import SCHEMA, finite
    from pytest_tower.run.shard import file_sha256

    verdict = merged.verdict
    assert verdict is not None
    types = {(c.stage, c.name): c.check_type.name for c in merged.pipeline.checks()}
    checks: list[CheckDict] = [
        {"id": o.id, "stage": o.stage, "check": o.check, "type": types.get((o.stage, o.check), ""),
         "tool": o.tool, "verdict": o.verdict, "metrics": o.metrics,
         "conditions": o.conditions, "message": o.message, "duration_s": o.duration_s,
         "findings": o.findings, "artifacts": o.artifacts, "notes": o.notes}
        for o in merged.outcomes]
    labels = [p.label for p in merged.parts]
    notes = [f"merged from {len(labels)} report(s): {', '.join(labels)}"]
    report: ReportDict = {
        "schema": SCHEMA, "verdict": "passed" if verdict.passed else "failed",
        "summary": verdict.line, "complete": verdict.complete,
        "not_run": list(verdict.not_run), "notes": notes,
        "started": datetime.fromtimestamp(merged.started, UTC).isoformat(),
        "duration_s": round(time.time() - merged.started, 3),
        "project": {"root": str(merged.pipeline.root), "commit": merged.commit},
        "config": str(merged.pipeline.path),
        "config_sha256": file_sha256(merged.pipeline.path),
        "merged": {"reports": [p.path.as_posix() for p in merged.parts],
                   "shards": merged.shards, "jobs": labels},
        "checks": checks, "environments": _environments(merged.parts)}
    found: list[str] = []
    clean: ReportDict = finite(report, "", found)
    if found:  # a number that cannot be written is no evidence
        clean["verdict"] = "error"
        clean["summary"] = f"TOWER GATE ERROR: a non-finite number ({found[0]})"
    return clean


def _environments(parts: list[Part]) -> list[EnvironmentDict]:
    """Each environment as the part that used it reports it (else as any part has it)."""
    chosen: dict[str, EnvironmentDict] = {}
    for part in parts:
        for env in part.report.get("environments", []):
            name = env.get("env")
            if name not in chosen or (chosen[name].get("status") == "not used"
                                      and env.get("status") != "not used"):
                chosen[name] = env
    return list(chosen.values())


def finish_merge(merged: Merged) -> int:
    """Write every output, print the checks and the verdict line; the exit status."""
    from pytest_tower.report.json_report import write_report
    from pytest_tower.report.publish import publish

    option = merged.config.getoption
    if option("tower_store_durations"):
        _store_durations(merged)
    baseline_line = _record_baseline(merged) if option("tower_update_baseline") else ""
    report = build(merged)
    errors: list[str] = []
    if merged.report is not None:
        write_report(merged.report, report)
    pipeline = merged.pipeline
    lines = publish(report, root=pipeline.root, history=pipeline.root / pipeline.history,
                    keep=option("tower_history_keep"), markdown=merged.others.get("markdown"),
                    sarif=merged.others.get("sarif"), html=merged.others.get("html"),
                    write_line=_print, errors=errors,
                    check_types={s.check_type.name: s.check_type for s in pipeline.checks()})
    for check in report["checks"]:
        shown = check["message"].splitlines()[0] if check["message"] else ""
        _print(f"{check['stage']}::{check['check']} {check['verdict'].upper()}"
               + (f": {shown}" if shown and check["verdict"] != PASSED else ""))
    for line in [*lines, *([baseline_line] if baseline_line else [])]:
        _print(line)
    if errors:  # an output asked for is missing: the record is incomplete
        report["verdict"] = "error"
        report["summary"] = f"TOWER GATE ERROR: {errors[0]}; nothing is proven"
        if merged.report is not None:
            write_report(merged.report, report)
    _print(f"{'=' * 10} {report['summary']} {'=' * 10}")
    return 0 if report["verdict"] == "passed" else int(pytest.ExitCode.TESTS_FAILED)


def _store_durations(merged: Merged) -> None:
    """--tower-store-durations: the shards' per-test times together (a complete table)."""
    import json

    from pytest_tower.run.keep import store
    from pytest_tower.run.shard import DURATIONS

    found: dict[str, dict[str, float]] = {}
    for part in merged.parts:
        base = part.path.parent
        for check_id, data in part.report.get("shard_data", {}).items():
            name = data.get("files", {}).get("durations")
            if name:
                path = merged.config.invocation_params.dir / base / name
                times: Any = json.loads(path.read_text(encoding="utf-8"))
                found.setdefault(check_id, {}).update(
                    {str(k): float(v) for k, v in times.items()})
    option = merged.config.getoption("tower_durations")
    store(merged.pipeline.root / (option or DURATIONS), found, replace=True)


def _record_baseline(merged: Merged) -> str:
    if merged.verdict is None or not merged.verdict.passed:
        return "baseline not updated: the gate did not pass"
    from pytest_tower.history.baseline import record_baseline, recorded_message

    path = merged.pipeline.root / merged.pipeline.baseline
    ran = [o for o in merged.outcomes if o.verdict == PASSED]
    ids = record_baseline(path, merged.baseline, ran, merged.commit)
    return recorded_message(path, ids, merged.verdict.not_run)


def _print(line: str) -> None:
    sys.stdout.write(line + "\n")
