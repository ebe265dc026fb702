"""`pytest --tower -n 2`: gates spread over workers, needs hold across them, one verdict."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("xdist")

# A check type that sleeps, records when it ran and on which worker, and
# reports the metric `bad` it was told to.
CONFTEST = """
import json, os, sys, time
from pathlib import Path
from pytest_tower import CheckType, Measurement, MetricSpec, Option

def sleepy(ctx):
    started = time.time()
    ctx.run([sys.executable, "-c", f"import time; time.sleep({ctx.options['seconds']})"],
            tool="python")
    if ctx.options["crash"]:
        os._exit(3)
    log = Path(os.environ["TOWER_TEST_LOG"])
    with log.open("a") as fh:
        fh.write(json.dumps({"check": ctx.check_id, "start": started, "end": time.time(),
                             "worker": os.environ.get("PYTEST_XDIST_WORKER")}) + "\\n")
    return Measurement({"bad": ctx.options["bad"]})

def pytest_tower_check_types():
    return [CheckType("sleepy", sleepy, [MetricSpec("bad")], default_conditions=["bad == 0"],
                      options={"seconds": Option("number", default=0.0),
                               "bad": Option("int", default=0),
                               "crash": Option("bool", default=False)})]
"""

GATES = """
[unit.slow]
tool = "sleepy"
seconds = 2
bad = 1

[lint.quick]
tool = "sleepy"

[security.quick]
tool = "sleepy"

[integration.after]
tool = "sleepy"
needs = ["unit"]

[compliance.free]
tool = "sleepy"
needs = ["lint"]
"""


@pytest.fixture
def project(pytester: pytest.Pytester, gates, monkeypatch) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    monkeypatch.setenv("TOWER_TEST_LOG", str(pytester.path / "ran.jsonl"))
    return pytester


def ran(project: pytest.Pytester) -> list[dict]:
    lines = (project.path / "ran.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_needs_hold_across_workers_and_nothing_runs_twice(project, gates, read_report) -> None:
    gates(GATES)
    result = project.runpytest_subprocess("--tower", "-n", "2", "--tower-report=r.json", "-v")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    verdicts = {c["id"].split("::", 1)[1]: c["verdict"] for c in read_report(project.path /
                                                                             "r.json")["checks"]}
    assert verdicts == {"unit::slow": "failed", "lint::quick": "passed",
                        "security::quick": "passed", "integration::after": "blocked",
                        "compliance::free": "passed"}
    checks = [r["check"] for r in ran(project)]
    assert sorted(checks) == ["compliance::free", "lint::quick", "security::quick", "unit::slow"]
    assert len({r["worker"] for r in ran(project)}) == 2
    out = result.stdout.str()
    assert out.count("TOWER GATE FAILED: 2 of 5 checks failed (1 failed, 1 blocked)") == 1


def test_lint_does_not_wait_for_the_slow_test_stage(project, gates) -> None:
    gates(GATES.replace("bad = 1", "bad = 0"))
    result = project.runpytest_subprocess("--tower", "-n", "2")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    runs = {r["check"]: r for r in ran(project)}
    slow = runs["unit::slow"]
    # Both quick gates started while the slow stage was still running.
    assert runs["lint::quick"]["start"] < slow["end"]
    assert runs["lint::quick"]["worker"] != slow["worker"]
    # ...and the check that needs the slow stage started only after it ended.
    assert runs["integration::after"]["start"] >= slow["end"]


def test_a_crashed_worker_is_an_error_and_its_dependents_are_blocked(project, gates,
                                                                     read_report) -> None:
    gates(GATES.replace("bad = 1", "crash = true"))
    result = project.runpytest_subprocess("--tower", "-n", "2", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    checks = {c["id"].split("::", 1)[1]: c for c in read_report(project.path / "r.json")["checks"]}
    assert checks["unit::slow"]["verdict"] == "error"
    assert "crashed" in checks["unit::slow"]["message"]
    assert checks["integration::after"]["verdict"] == "blocked"
    assert "TOWER GATE FAILED" in result.stdout.str()


ORDER = """
[lint.a]
tool = "sleepy"

[lint.b]
tool = "sleepy"

[lint.c]
tool = "sleepy"

[unit.long]
tool = "sleepy"
seconds = 1.5
"""


def test_the_history_an_earlier_run_wrote_deals_the_longest_gate_first(project, gates) -> None:
    """Nothing planted: the second run orders gates by what the first one recorded."""
    gates(ORDER)

    def first_on_each_worker() -> set[str]:
        first: dict[str, str] = {}
        for record in sorted(ran(project), key=lambda r: r["start"]):
            first.setdefault(record["worker"], record["check"])
        (project.path / "ran.jsonl").unlink()
        return set(first.values())

    before = project.runpytest_subprocess("--tower", "-n", "2")
    assert before.ret == pytest.ExitCode.OK, before.stdout.str()
    assert first_on_each_worker() == {"lint::a", "lint::b"}  # no history: file order
    assert (project.path / ".tower" / "history.jsonl").is_file()
    after = project.runpytest_subprocess("--tower", "-n", "2")
    assert after.ret == pytest.ExitCode.OK, after.stdout.str()
    assert "unit::long" in first_on_each_worker()  # known now as the longest: dealt first
