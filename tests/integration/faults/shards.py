"""Fault cases: --tower-shard and --tower-merge (issue 15).

Each merge case runs two real shards (separate processes, separate working copies)
of a small suite in its setup, then breaks what a CI pipeline can break: a shard that
never uploaded, one downloaded twice, another commit or gates.toml, truncated coverage
data, an item run twice or never, a report cut short. The merge must fail naming the
shard. Shard runs with a bad shard are usage errors (exit 4).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.integration.faults import FaultCase
from tests.integration.shardkit import GATES, SKIP, gate, run_shards, suite_files

MERGE = ("--tower-merge", "shards")
SHARD2 = "shard 2/2 (shards/shard-2/shard.json)"


def _shards(then: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(project: Path) -> None:
        run_shards(project, 2, project / "shards")
        then(project)

    return setup


def _edit(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _items(project: Path, shard: int) -> Path:
    return project / f"shards/shard-{shard}/shard.data/unit.tests/shard-items.json"


def _missing(project: Path) -> None:
    shutil.rmtree(project / "shards" / "shard-2")


def _twice(project: Path) -> None:
    shutil.copytree(project / "shards" / "shard-1", project / "shards" / "shard-1-again")


def _other_commit(project: Path) -> None:
    _edit(project / "shards/shard-2/shard.json",
          lambda r: r["project"].update(commit="0123456789abcdef0123456789abcdef01234567"))


def _other_config(project: Path) -> None:
    """Shard 2's runner had another gates.toml (a file changed there, say)."""
    _edit(project / "shards/shard-2/shard.json", lambda r: r.update(config_sha256="ab" * 32))


def _config_changed_since(project: Path) -> None:
    """The merge job's checkout has a gates.toml the shards never ran."""
    with (project / "gates.toml").open("a") as gates:
        gates.write("# changed after the shards ran\n")


def _truncated_coverage(project: Path) -> None:
    data = project / "shards/shard-2/shard.data/unit.tests/coverage.data"
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])


def _item_twice(project: Path) -> None:
    first = json.loads(_items(project, 1).read_text())["selected"][0]
    _edit(_items(project, 2), lambda d: d["selected"].append(first))


def _item_never(project: Path) -> None:
    _edit(_items(project, 2), lambda d: d["selected"].pop())


def _cut_short(project: Path) -> None:
    path = project / "shards/shard-2/shard.json"
    path.write_text(path.read_text()[:200])


def _unfinished(project: Path) -> None:
    (project / "shards/shard-2/shard.json").write_text(json.dumps({
        "schema": 1, "verdict": "running", "summary": "TOWER GATE RUNNING", "complete": False,
        "not_run": [], "checks": [], "environments": []}))


def _no_data(project: Path) -> None:
    shutil.rmtree(project / "shards/shard-2/shard.data")


def _events_cut(project: Path) -> None:
    events = project / "shards/shard-2/shard.data/unit.tests/events.jsonl"
    events.write_text("\n".join(events.read_text().splitlines()[:3]) + "\n")


def _other_total(project: Path) -> None:
    _edit(project / "shards/shard-2/shard.json", lambda r: r.update(shard="2/3"))


def _lint_job_only(project: Path) -> None:
    """One job ran `-k lint`; nobody ran the tests."""
    copy = project.parent / f"{project.name}-lint-job"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns(*SKIP))
    done = gate(copy, "-k", "lint", "--tower-report=lint.json")
    assert done.returncode == 0, done.stdout + done.stderr
    (project / "shards").mkdir()
    shutil.copy(copy / "lint.json", project / "shards")


FILES = suite_files()


def _merge_case(case_id: str, then: Callable[[Path], None], expect: str) -> FaultCase:
    return FaultCase(case_id, GATES, expect, files=FILES, args=MERGE, setup=_shards(then),
                     timeout=300.0)


CASES = [
    _merge_case("shard-missing", _missing, "shard 2/2 missing: no report for it"),
    _merge_case("shard-twice", _twice, "shard 1/2 twice: shards/shard-1"),
    _merge_case("shard-other-commit", _other_commit,
                f"{SHARD2} is from commit 0123456789ab"),
    _merge_case("shard-other-gates", _other_config, f"{SHARD2} ran another gates.toml"),
    _merge_case("merge-gates-changed", _config_changed_since,
                "shard 1/2 (shards/shard-1/shard.json) ran another gates.toml"),
    _merge_case("shard-coverage-truncated", _truncated_coverage,
                f"{SHARD2}: its coverage data"),
    _merge_case("shard-item-twice", _item_twice, "ran twice, in shard 1/2 and shard 2/2"),
    _merge_case("shard-item-never", _item_never, "test(s) ran in no shard"),
    _merge_case("shard-report-cut-short", _cut_short, "shards/shard-2/shard.json: cannot be "
                "read as JSON"),
    _merge_case("shard-never-finished", _unfinished,
                "report shards/shard-2/shard.json never finished"),
    _merge_case("shard-data-not-uploaded", _no_data, "upload the report's .data folder too"),
    _merge_case("shard-results-cut-short", _events_cut, f"{SHARD2}: its test results"),
    _merge_case("shard-other-total", _other_total, "shards of runs split in different numbers"),
    FaultCase("merge-partial-required", GATES, "partial merge, and require_complete is set",
              files=FILES, args=(*MERGE, "--tower-require-complete"), setup=_lint_job_only,
              timeout=300.0),
    FaultCase("merge-nothing-found", GATES, "no tower report in this folder", files=FILES,
              args=MERGE, setup=lambda p: (p / "shards").mkdir()),
    FaultCase("shard-out-of-range", GATES, "the shard must be 1 to 4", files=FILES,
              args=("--tower-shard=5/4",), rc=4),
    FaultCase("shard-auto-without-ci", GATES, "neither $CI_NODE_INDEX and $CI_NODE_TOTAL",
              files=FILES, args=("--tower-shard=auto",), rc=4),
]
