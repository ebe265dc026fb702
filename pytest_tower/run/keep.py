"""What a run adds to its report for a later merge, and the durations it may store.

Every report carries the sha256 of its gates.toml (a merge of jobs split by
stage needs it too). A shard's report also says which shard it is and keeps
the raw data of its split checks in a folder beside the report
(`<report>.data/<stage>.<check>/`), so uploading the report and that folder is
all a CI job has to do. The folder is emptied first: data of an earlier run
must never be merged as this one's. `.coverage` is kept as `coverage.data`
because artifact uploaders skip hidden files by default.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_tower.core.fs import write_json_atomic
from pytest_tower.core.names import check_key
from pytest_tower.run.shard import DURATIONS, file_sha256, read_durations

if TYPE_CHECKING:
    from pytest_tower.report.schema import ReportDict
    from pytest_tower.run.session import TowerSession

KEPT = {"coverage_data": "coverage.data", "shard_items": "shard-items.json",
        "events": "events.jsonl", "junit": "junit.xml", "durations": "durations.json"}


def data_folder(report: Path) -> Path:
    return report.parent / f"{report.stem}.data"


def annotate(tower: TowerSession, report: ReportDict) -> None:
    """Add the config hash; in a shard run, the shard and its kept data."""
    report["config_sha256"] = file_sha256(tower.pipeline.path)
    if tower.shard is None or tower.report_path is None:
        return
    report["shard"] = tower.shard.label
    report["complete"] = False  # a part, even when every check it runs ran
    folder = data_folder(tower.report_path)
    shutil.rmtree(folder, ignore_errors=True)
    kept: dict[str, Any] = {}
    for check in report["checks"]:
        artifacts = check.get("artifacts", {})
        if "shard_items" not in artifacts:
            continue
        target = folder / f"{check['stage']}.{check['check']}"
        target.mkdir(parents=True, exist_ok=True)
        files = {}
        for name, file_name in KEPT.items():
            source = tower.pipeline.root / artifacts[name] if name in artifacts else None
            if source is not None and source.is_file():
                shutil.copyfile(source, target / file_name)
                files[name] = (target / file_name).relative_to(tower.report_path.parent
                                                              ).as_posix()
        kept[check_key(check["stage"], check["check"])] = {
            "root": str(tower.pipeline.root), "files": files}
    report["shard_data"] = kept


def store_durations(tower: TowerSession, report: ReportDict) -> None:
    """--tower-store-durations: each test stage's per-test times, into the durations file."""
    option = tower.config.getoption("tower_durations")
    path = tower.pipeline.root / (option or DURATIONS)
    store(path, _durations_of(tower.pipeline.root, report), replace=tower.shard is None)


def _durations_of(root: Path, report: ReportDict) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    for check in report["checks"]:
        name = check.get("artifacts", {}).get("durations")
        if name and check["verdict"] in ("passed", "failed"):
            data = json.loads((root / name).read_text(encoding="utf-8"))
            found[check_key(check["stage"], check["check"])] = {
                str(k): float(v) for k, v in data.items()}
    return found


def store(path: Path, durations: dict[str, dict[str, float]], *, replace: bool) -> None:
    """Write per-check durations; `replace` a check's table, else add to it (one shard)."""
    if not durations:
        return
    try:
        current = read_durations(path if path.is_file() else None)
    except ValueError:
        current = {}  # a broken file is rewritten, not merged into
    for check, times in durations.items():
        current[check] = dict(times) if replace else {**current.get(check, {}), **times}
    write_json_atomic(path, {k: dict(sorted(v.items())) for k, v in sorted(current.items())})
