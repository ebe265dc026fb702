"""workers = "auto" through the gate: serial without evidence, parallel when the history
says serial is slow, and never more workers than the CPUs left by an outer -n."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from pytest_tower.checks.pytest_suite.workers import available_cpus

GATES = """
[unit.tests]
paths = ["tests"]
coverage = false
workers = "auto"
"""
TESTS = {"tests/test_a.py": """
    import os

    def test_one():
        assert os.environ.get("PYTEST_XDIST_WORKER", "main")

    def test_two():
        assert 1 + 1 == 2
    """}


def plant(project: Path, *runs: tuple[int, float]) -> None:
    """History lines in which unit::tests ran with (workers, seconds) for 100 tests,
    recorded as a run records them: by node id."""
    lines = [json.dumps({"schema": 1, "verdict": "passed", "duration_s": seconds + 1,
                         "checks": [{"id": "gates.toml::unit::tests", "stage": "unit",
                                     "check": "tests", "tool": "pytest", "verdict": "passed",
                                     "duration_s": seconds,
                                     "metrics": {"workers": workers, "tests": 100,
                                                 "duration": seconds}}]})
             for workers, seconds in runs]
    (project / ".tower").mkdir(exist_ok=True)
    (project / ".tower" / "history.jsonl").write_text("\n".join(lines) + "\n")


@pytest.fixture(autouse=True)
def _one_gate_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """This suite itself may run under xdist: its worker count is not the gate's."""
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)


def test_no_history_runs_serially_and_records_the_count(run_tower, pytester) -> None:
    run = run_tower(GATES, files=TESTS)
    assert run.rc == 0, run.output
    assert run.check["metrics"]["workers"] == 1
    assert any("no earlier run" in note for note in run.check["notes"]), run.check["notes"]
    # the count is in the history, where the next run's choice reads it
    (last,) = (pytester.path / ".tower" / "history.jsonl").read_text().splitlines()
    assert json.loads(last)["checks"][0]["metrics"]["workers"] == 1


def test_the_next_run_reads_what_this_run_recorded(run_tower, pytester) -> None:
    """Nothing planted: the second run's choice rests on the first run's record, and a
    second gates file sharing the history keeps its own (it has none yet)."""
    assert run_tower(GATES, files=TESTS).rc == 0
    second = run_tower(None, files=TESTS)
    assert second.rc == 0, second.output
    assert any("serial runs took" in n and "median of 1" in n and "of it in the tests" in n
               for n in second.check["notes"]), second.check["notes"]
    (pytester.path / "other.toml").write_text(textwrap.dedent(GATES))
    other = run_tower(None, "--tower-config=other.toml", files=TESTS)
    assert other.rc == 0, other.output
    assert any("no earlier run" in n for n in other.check["notes"]), other.check["notes"]


def test_slow_serial_history_tries_parallel_then_keeps_the_faster(run_tower, pytester) -> None:
    cpus = available_cpus()
    plant(pytester.path, (1, 40.0), (1, 42.0), (1, 41.0))
    run = run_tower(GATES, files=TESTS)
    assert run.rc == 0, run.output
    expected = cpus if cpus >= 2 else 1
    assert run.check["metrics"]["workers"] == expected
    if expected > 1:
        assert any("measuring a parallel run" in n for n in run.check["notes"])
    # the history now holds that run too: a parallel run far faster per test than serial
    plant(pytester.path, (1, 40.0), (1, 42.0), (2, 30.0), (2, 31.0))
    assert run_tower(None, files=TESTS).check["metrics"]["workers"] == expected
    # and a parallel run slower per test than serial: back to serial
    plant(pytester.path, (1, 20.5), (1, 21.0), (2, 45.0), (2, 44.0))
    again = run_tower(None, files=TESTS)
    assert again.check["metrics"]["workers"] == 1
    assert any("parallel 44" in n for n in again.check["notes"]), again.check["notes"]


def test_an_outer_worker_share_of_the_cpus_keeps_the_stage_serial(
        run_tower, pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    plant(pytester.path, (1, 60.0), (1, 61.0), (1, 62.0))
    # as on one worker of `pytest --tower -n N` with as many gates as CPUs at once
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", str(available_cpus()))
    run = run_tower(GATES, files=TESTS)
    assert run.rc == 0, run.output
    assert run.check["metrics"]["workers"] == 1
    assert any("leave no second CPU" in n for n in run.check["notes"]), run.check["notes"]
