"""The child's event log and coverage JSON as numbers: the pure part of the tests stage."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_tower.checks.pytest_suite.results import (
    coverage_findings,
    coverage_metrics,
    ranges,
    read_events,
    suite_metrics,
)
from pytest_tower.report.text import finding_line


def write(path: Path, *events: dict, tail: str = "") -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events) + tail)
    return path


def phase(nodeid: str, when: str, outcome: str, **extra) -> dict:
    return {"event": "report", "nodeid": nodeid, "when": when, "outcome": outcome,
            "duration": 0.5, **extra}


def test_ranges_as_coverage_writes_them() -> None:
    assert ranges([10, 9, 1, 2, 3, 7]) == "1-3, 7, 9-10"
    assert ranges([]) == ""


def test_missing_log_is_none(tmp_path) -> None:
    assert read_events(tmp_path / "absent.jsonl") is None


def test_a_dying_process_leaves_the_running_test_and_a_cut_line(tmp_path) -> None:
    log = write(tmp_path / "e.jsonl", {"event": "start", "nodeid": "t.py::a"},
                phase("t.py::a", "setup", "passed"), phase("t.py::a", "call", "passed"),
                phase("t.py::a", "teardown", "passed"),
                {"event": "start", "nodeid": "t.py::b"}, phase("t.py::b", "setup", "passed"),
                tail='{"event": "rep')
    suite = read_events(log)
    assert suite is not None and not suite.finished
    assert suite.running == "t.py::b"
    assert suite_metrics(suite)["tests"] == 1


def test_each_test_counted_once(tmp_path) -> None:
    log = write(tmp_path / "e.jsonl",
                phase("a", "setup", "skipped", xfail=True),  # xfail(run=False)
                phase("b", "setup", "failed", reason="boom"),
                phase("c", "call", "failed", reason="x"), phase("c", "teardown", "failed"),
                phase("d", "call", "passed", xfail=True),
                phase("e", "???", "failed", reason="worker 'gw0' crashed", crashed=True),
                {"event": "finish", "exitstatus": 1})
    suite = read_events(log)
    assert suite is not None
    metrics = suite_metrics(suite)
    assert {k: metrics[k] for k in ("tests", "xfailed", "errors", "failed", "xpassed")} == {
        "tests": 5, "xfailed": 1, "errors": 1, "failed": 2, "xpassed": 1}
    assert [t.nodeid for t in suite.crashed] == ["e"]
    assert metrics["slowest"] == 1.0


def test_coverage_is_coverage_pys_total_with_lines_and_branches_apart() -> None:
    """The figures `coverage json` writes, unrounded; `coverage` is the line+branch total."""
    data = {"meta": {"branch_coverage": True},
            "totals": {"num_statements": 8, "covered_lines": 6, "num_branches": 4,
                       "covered_branches": 1, "percent_covered": 100 * 7 / 12,
                       "percent_covered_display": "58", "percent_statements_covered": 75.0,
                       "percent_branches_covered": 25.0},
            "files": {"a.py": {"summary": {"num_statements": 8, "covered_lines": 6},
                               "missing_lines": [4, 5]}}}
    assert coverage_metrics(data) == {"coverage": 100 * 7 / 12, "line_coverage": 75.0,
                                      "branch_coverage": 25.0}
    first = finding_line(coverage_findings(data)[0].to_dict())
    assert first == "a.py COVERAGE 75.0% of 8 lines; missing 4-5"
    data["files"]["a.py"]["summary"].update(percent_covered=100 * 7 / 12, num_branches=4)
    first = finding_line(coverage_findings(data)[0].to_dict())
    assert first == "a.py COVERAGE 58.3% of 8 lines and 4 branches; missing 4-5"


def test_without_branches_there_is_no_branch_figure() -> None:
    data = {"meta": {"branch_coverage": False},
            "totals": {"num_statements": 3, "covered_lines": 2, "percent_covered": 200 / 3,
                       "percent_statements_covered": 200 / 3}}
    assert coverage_metrics(data) == {"coverage": 200 / 3, "line_coverage": 200 / 3}


def test_older_coverage_json_gets_the_same_ratios_from_counts() -> None:
    """coverage.py before 7.6 wrote no percent_statements_covered: compute it as it does."""
    data = {"meta": {"branch_coverage": True},
            "totals": {"num_statements": 8, "covered_lines": 6, "num_branches": 0,
                       "covered_branches": 0, "percent_covered": 75.0}}
    assert coverage_metrics(data) == {"coverage": 75.0, "line_coverage": 75.0,
                                      "branch_coverage": 100.0}


def test_skip_and_xfail_reasons_are_kept(tmp_path) -> None:
    log = write(tmp_path / "e.jsonl",
                phase("a", "setup", "skipped", reason="no database"),
                phase("b", "call", "skipped", xfail=True, reason="bug 12"),
                {"event": "options", "addopts": ["-m", "slow"], "partial": [],
                 "markexpr": "slow", "keyword": ""},
                {"event": "deselected", "count": 3}, {"event": "deselected", "count": 2})
    suite = read_events(log)
    assert suite is not None
    assert [(t.outcome, t.reason) for t in suite.tests.values()] == [
        ("skipped", "no database"), ("xfailed", "bug 12")]
    assert (suite.deselected, suite.selection, suite.addopts) == (5, ["-m 'slow'"],
                                                                  ["-m", "slow"])
