"""The run history: append, trim, read past broken lines, concurrent writers."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_tower.history.store import (
    DURATION,
    append_history,
    read_history,
    resolve_series,
    series_keys,
    series_values,
)
from tests.unit.real_reports import RUFF_ONLY, real_report


def report(n: int = 0, verdict: str = "passed", root: Path | None = None) -> dict:
    return {
        "schema": 1, "verdict": verdict, "started": f"2026-01-01T00:00:{n:02d}+00:00",
        "duration_s": 1.0 + n, "project": {"root": str(root or "/nonexistent"), "commit": "abc"},
        "checks": [{"id": "g::lint::ruff", "stage": "lint", "check": "ruff", "tool": "ruff 0.17.6",
                    "verdict": verdict, "metrics": {"violations": n}, "duration_s": 0.5,
                    "conditions": [], "findings": [{"path": "a.py"}], "message": "",
                    "artifacts": {}, "notes": []}],
        "environments": [],
    }


def test_a_real_run_is_recorded_with_its_metrics_and_tool(pytester, tmp_path) -> None:
    data = real_report(pytester, RUFF_ONLY)
    history = tmp_path / ".tower" / "history.jsonl"
    append_history(history, data, keep=None)
    (run,) = read_history(history)
    assert run["verdict"] == "failed"
    assert run["started"] == data["started"]
    assert run["duration_s"] == data["duration_s"]
    (check,) = run["checks"]
    assert check["metrics"]["violations"] == 1  # os unused
    assert check["tool"].startswith("ruff ")
    assert "findings" not in check  # history keeps numbers, not what the report shows


def test_commit_and_branch_come_from_git(tmp_path) -> None:
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "release-7"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    append_history(tmp_path / "h.jsonl", report(root=tmp_path), keep=None)
    assert read_history(tmp_path / "h.jsonl")[0]["branch"] == "release-7"


def test_no_git_means_no_branch(tmp_path) -> None:
    append_history(tmp_path / "h.jsonl", report(root=tmp_path), keep=None)
    assert read_history(tmp_path / "h.jsonl")[0]["branch"] is None


def test_keep_trims_to_the_newest_runs(tmp_path) -> None:
    path = tmp_path / "h.jsonl"
    for n in range(6):
        append_history(path, report(n), keep=4)
    runs = read_history(path)
    assert [r["checks"][0]["metrics"]["violations"] for r in runs] == [2, 3, 4, 5]


def test_keep_must_be_positive(tmp_path) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        append_history(tmp_path / "h.jsonl", report(), keep=0)


def test_broken_lines_are_skipped_and_counted(tmp_path) -> None:
    path = tmp_path / "h.jsonl"
    append_history(path, report(1), keep=None)
    with path.open("a") as fh:
        fh.write('{"verdict": "pas\n[1, 2]\n\n"just a string"\n')
    append_history(path, report(2), keep=None)
    runs = read_history(path)
    assert [r["started"][-8:-6] for r in runs] == ["01", "02"]
    assert runs.skipped == 3


def test_a_torn_last_line_does_not_swallow_the_next_run(tmp_path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text('{"verdict": "passed", "checks": [')  # a run killed mid-write
    append_history(path, report(3), keep=None)
    runs = read_history(path)
    assert len(runs) == 1 and runs[0]["duration_s"] == 4.0
    assert runs.skipped == 1


@pytest.mark.parametrize("line", [
    '{"verdict": "passed", "duration_s": NaN, "checks": []}',
    '{"verdict": "passed", "checks": [{"stage": "s", "check": "c", "metrics": {"v": Infinity}}]}',
    '{"verdict": "passed", "checks": ["not a check"]}',
    '{"verdict": "passed", "checks": [{"stage": "s", "check": "c", "metrics": [1]}]}',
    '{"verdict": "passed", "checks": [{"stage": 1, "check": "c"}]}',
    '{"verdict": "passed", "checks": {"s": 1}}',
    '{"verdict": "passed", "duration_s": "10s", "checks": []}',
    "[" * 100_000,
])
def test_a_line_no_reader_can_use_is_skipped(tmp_path, line: str) -> None:
    """JSON, but not a run every reader (show, HTML, baseline) can use as it is."""
    path = tmp_path / "h.jsonl"
    path.write_text(line + "\n")
    append_history(path, report(2), keep=None)
    runs = read_history(path)
    assert len(runs) == 1 and runs.skipped == 1
    assert runs.note == "1 unreadable line of history skipped"


def test_a_history_that_is_a_folder_is_a_problem_not_a_crash(tmp_path) -> None:
    path = tmp_path / "history.jsonl"
    path.mkdir()
    runs = read_history(path)
    assert list(runs) == [] and "cannot be read (Is a directory)" in runs.problem
    assert runs.note == runs.problem


def test_missing_history_is_empty(tmp_path) -> None:
    runs = read_history(tmp_path / "none.jsonl")
    assert list(runs) == [] and runs.skipped == 0


WRITER = textwrap.dedent("""\
    import sys, time
    from pathlib import Path
    from pytest_tower.history.store import append_history
    path, who, count, keep, go = sys.argv[1:]
    path, count, go = Path(path), int(count), Path(go)
    while not go.exists():
        time.sleep(0.01)
    for i in range(count):
        report = {"verdict": "passed", "started": f"{who}-{i}", "duration_s": 1.0,
                  "project": {"root": "/nonexistent", "commit": None},
                  "checks": [{"stage": "s", "check": who, "metrics": {"i": i, "pad": "x" * 5000}}]}
        append_history(path, report, keep=int(keep) if keep != "none" else None)
    """)


def run_writers(tmp_path: Path, writers: int, count: int, keep: int | None) -> Path:
    path = tmp_path / ".tower" / "history.jsonl"
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"w{n}", str(count),
                               str(keep).lower(), str(go)]) for n in range(writers)]
    go.touch()  # all start appending together
    assert [p.wait(timeout=300) for p in procs] == [0] * writers
    return path


def test_concurrent_writers_never_corrupt_or_lose_a_run(tmp_path) -> None:
    path = run_writers(tmp_path, writers=4, count=150, keep=None)
    lines = path.read_bytes().splitlines()
    assert len(lines) == 600
    started = [json.loads(line)["started"] for line in lines]  # every line whole JSON
    assert sorted(started) == sorted(f"w{n}-{i}" for n in range(4) for i in range(150))
    assert read_history(path).skipped == 0


def test_concurrent_writers_with_trimming_keep_exactly_the_newest(tmp_path) -> None:
    path = run_writers(tmp_path, writers=3, count=120, keep=100)
    runs = read_history(path)
    assert len(runs) == 100 and runs.skipped == 0
    # The file holds a suffix of the global append order, so each writer's runs in it
    # are its newest ones with no hole: an append lost to a concurrent trim leaves one.
    for who in ("w0", "w1", "w2"):
        mine = [int(r["started"].split("-")[1]) for r in runs if r["started"].startswith(who)]
        assert mine == list(range(120 - len(mine), 120))
    assert any(r["started"].endswith("-119") for r in runs)


def test_series_by_exact_key_or_bare_metric_name() -> None:
    runs = [report(n) for n in range(3)]
    runs[1]["checks"][0]["metrics"] = {}  # a run that did not measure it
    assert series_keys(runs) == ["lint::ruff:violations", DURATION]
    assert resolve_series(runs, "violations") == ["lint::ruff:violations"]
    assert resolve_series(runs, "lint::ruff:violations") == ["lint::ruff:violations"]
    assert resolve_series(runs, "coverage") == []
    assert series_values(runs, "lint::ruff:violations") == [0.0, None, 2.0]
    assert series_values(runs, DURATION) == [1.0, 2.0, 3.0]


def test_a_non_finite_metric_is_left_out_not_the_whole_run(tmp_path) -> None:
    """The run stays in history (and in trends); only the value no reader can use goes."""
    path = tmp_path / "h.jsonl"
    bad = report(1)
    bad["checks"][0]["metrics"] = {"violations": 2, "p95": float("inf")}
    append_history(path, bad, keep=None)
    assert "Infinity" not in path.read_text()
    (run,) = read_history(path)
    assert run["checks"][0]["metrics"] == {"violations": 2}
