"""Selection never buys a pass: partial runs say so, ini selection is ignored, --lf re-runs
what did not pass (and what it needs), production only after every gate before it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# lint and style pass or fail with their files; suite needs lint.
PIPELINE = """
[lint.ruff]
paths = ["a.py"]

[suite.ruff]
paths = ["b.py"]
needs = ["lint"]

[other.ruff]
paths = ["c.py"]
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    (pytester.path / "gates.toml").write_text(PIPELINE)
    for name in "abc":
        (pytester.path / f"{name}.py").write_text("X = 1\n")
    return pytester


@pytest.fixture
def report(project: pytest.Pytester, read_report):
    """report(): the r.json the project's last run wrote."""
    return lambda: read_report(project.path / "r.json")


def test_a_partial_run_says_so_in_the_line_and_the_report(project, report) -> None:
    result = project.runpytest("--tower", "--tower-report=r.json", "-k", "lint or other")
    assert result.ret == pytest.ExitCode.OK
    assert "TOWER GATE PASSED (partial: 2 of 3 checks selected): 2 of 2 checks passed" in (
        result.stdout.str())
    data = report()
    assert (data["verdict"], data["complete"]) == ("passed", False)
    assert data["not_run"] == ["gates.toml::suite::ruff"]


def test_a_complete_run_is_complete(project, report) -> None:
    result = project.runpytest("--tower", "--tower-report=r.json")
    assert "TOWER GATE PASSED: 3 of 3 checks passed" in result.stdout.str()
    assert (report()["complete"], report()["not_run"]) == (True, [])


@pytest.mark.parametrize("how", ["option", "setting"])
def test_require_complete_fails_a_partial_run(project, how, report) -> None:
    args = ["--tower", "--tower-report=r.json", "-k", "lint"]
    if how == "option":
        args.append("--tower-require-complete")
    else:
        (project.path / "gates.toml").write_text("[tower]\nrequire_complete = true\n" + PIPELINE)
    result = project.runpytest(*args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "partial run, and require_complete is set: suite::ruff, other::ruff were " \
           "not run" in result.stdout.str()
    assert report()["verdict"] == "failed"


def test_ini_addopts_selection_does_not_drop_a_gate(project, report) -> None:
    (project.path / "b.py").write_text("import os\n")
    project.makeini('[pytest]\naddopts = -k "not suite" -m slow --deselect '
                    "gates.toml::suite::ruff\n")
    result = project.runpytest("--tower", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    assert "ini addopts -k 'not suite' ignored for the gates" in out
    assert "ini addopts -m slow ignored for the gates" in out
    assert "suite::ruff  failed" in out
    assert report()["complete"] is True


def test_pytest_addopts_selects_but_the_run_is_partial(project, monkeypatch, report) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-k lint")
    result = project.runpytest("--tower", "--tower-report=r.json")
    out = result.stdout.str()
    assert "PYTEST_ADDOPTS selects gates: -k lint" in out
    assert "(partial: 1 of 3 checks selected)" in out
    assert report()["complete"] is False


def test_a_gate_dropped_by_a_conftest_hook_fails_the_run(project) -> None:
    project.makeconftest("def pytest_collection_modifyitems(items):\n"
                         "    del items[1:]\n")
    result = project.runpytest("--tower", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "suite::ruff, other::ruff were not run, and nothing on the command line " \
           "deselected it" in result.stdout.str()


def test_lf_reruns_blocked_checks_and_their_needs(project) -> None:
    (project.path / "a.py").write_text("import os\n")  # lint fails, suite is blocked
    (project.path / "b.py").write_text("import sys\n")  # and the suite fails on its own
    first = project.runpytest("--tower")
    assert "1 failed, 1 blocked" in first.stdout.str()
    cache = json.loads((project.path / ".pytest_cache/v/cache/lastfailed").read_text())
    assert set(cache) == {"gates.toml::lint::ruff", "gates.toml::suite::ruff"}
    (project.path / "a.py").write_text("X = 1\n")  # fix lint only
    second = project.runpytest("--tower", "--lf")
    assert second.ret == pytest.ExitCode.TESTS_FAILED  # not a pass on lint alone
    second.assert_outcomes(passed=1, failed=1, deselected=1)
    # Only the suite is remembered now; --lf still brings back the lint it needs.
    (project.path / "a.py").write_text("import os\n")
    third = project.runpytest("--tower", "--lf")
    outcomes = third.parseoutcomes()
    assert (outcomes.get("failed"), outcomes.get("skipped")) == (1, 1)
    assert "blocked: needs 'lint', and lint::ruff failed" in third.stdout.str()


def test_ff_keeps_pipeline_order(project) -> None:
    (project.path / "a.py").write_text("import os\n")
    project.runpytest("--tower")
    result = project.runpytest("--tower", "--ff", "-v")
    result.stdout.fnmatch_lines(["*lint::ruff FAILED*", "*suite::ruff SKIPPED*",
                                 "*other::ruff PASSED*"])


def test_outputs_say_running_while_the_run_is_on(project, report) -> None:
    """A check that reads the outputs mid-run sees the stubs, never an older pass."""
    project.makeconftest('''
import json, pathlib
from pytest_tower import CheckType, Measurement, MetricSpec

def peek(ctx):
    root = ctx.root
    verdict = json.loads((root / "r.json").read_text())["verdict"]
    sarif = json.loads((root / "s.sarif").read_text())
    return Measurement({
        "running": int(verdict == "running"),
        "md": int("did not finish" in (root / "s.md").read_text()),
        "html": int("did not finish" in (root / "s.html").read_text()),
        "sarif": int(sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False)})

def pytest_tower_check_types():
    return [CheckType("peek", peek, [MetricSpec(m) for m in ("running", "md", "html",
                                                               "sarif")])]
''')
    (project.path / "gates.toml").write_text(
        '[a.peek]\nconditions = ["running == 1", "md == 1", "html == 1", "sarif == 1"]\n')
    for name in ("r.json", "s.sarif"):
        (project.path / name).write_text('{"verdict": "passed"}')
    result = project.runpytest("--tower", "--tower-report=r.json", "--tower-markdown=s.md",
                               "--tower-html=s.html", "--tower-sarif=s.sarif")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert report()["verdict"] == "passed"


def test_a_broken_conftest_replaces_an_older_pass(project, report) -> None:
    (project.path / "r.json").write_text('{"verdict": "passed"}')
    project.makeconftest("import no_such_module_here\n")
    result = project.runpytest("--tower", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    data = report()
    assert data["verdict"] == "failed"
    assert "No module named 'no_such_module_here'" in data["error"]


def test_unwritable_state_folder_is_a_usage_error(project, report) -> None:
    (project.path / ".tower").write_text("a file where the folder should be\n")
    (project.path / "r.json").write_text('{"verdict": "passed"}')
    result = project.runpytest("--tower", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "cannot write the state folder" in result.stderr.str()
    assert report()["verdict"] == "failed"


def test_report_path_that_is_a_folder_is_a_usage_error(project) -> None:
    (project.path / "r.json").mkdir()
    result = project.runpytest("--tower", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--tower-report" in result.stderr.str() and "is a folder" in result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_non_finite_metric_is_an_error_and_the_report_is_strict_json(project) -> None:
    project.makeconftest('''
from pytest_tower import CheckType, Measurement, MetricSpec

def pytest_tower_check_types():
    return [CheckType("nan", lambda ctx: Measurement({"x": float("nan")}), [MetricSpec("x")])]
''')
    (project.path / "gates.toml").write_text('[a.nan]\nconditions = ["x != 1"]\n')
    result = project.runpytest("--tower", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    text = (project.path / "r.json").read_text()
    assert "NaN" not in text
    assert json.loads(text)["checks"][0]["verdict"] == "error"


def test_a_check_type_returning_unwritable_data_errors(project, report) -> None:
    project.makeconftest('''
from pytest_tower import CheckType, Finding, Measurement, MetricSpec

def pytest_tower_check_types():
    return [CheckType("odd", lambda ctx: Measurement({"x": 1}, [Finding("a", message={1})]),
                      [MetricSpec("x")])]
''')
    (project.path / "gates.toml").write_text('[a.odd]\nconditions = ["x == 1"]\n')
    result = project.runpytest("--tower", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "cannot be written as JSON" in result.stdout.str()
    assert report()["checks"][0]["verdict"] == "error"


CRASHING_REPORT = """
import pytest_tower.report.json_report as json_report

def boom(tower):
    raise RuntimeError("disk on fire")

json_report.build_report = boom
"""


@pytest.mark.parametrize("tb", ["auto", "long"])
def test_an_exception_in_the_gate_itself_is_an_error_verdict(project, tb, report) -> None:
    project.makeconftest(CRASHING_REPORT)  # subprocess: the patch must not leak
    result = project.runpytest_subprocess("--tower", "--tower-report=r.json", f"--tb={tb}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str() + result.stderr.str()
    assert ("TOWER GATE ERROR: the gate's own code failed (report: RuntimeError: disk on "
            "fire)") in out
    assert "INTERNALERROR" not in out
    assert ("Traceback" in out) == (tb == "long")
    assert report()["verdict"] == "error"


def test_promote_with_a_deselected_gate_never_deploys_production(
        demo: pytest.Pytester, write_gates, probes, stop_everything, read_report) -> None:
    log = write_gates(demo)
    gates = demo.path / "gates.toml"
    gates.write_text('[lint.ruff]\npaths = ["lint_me.py"]\n\n' + gates.read_text())
    (demo.path / "lint_me.py").write_text("import os\n")  # lint fails
    result = demo.runpytest_subprocess("--tower", "--tower-promote", "--tower-report=r.json",
                                       "-k", "package or smoke")
    try:
        assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
        out = result.stdout.str()
        assert ("lint::ruff did not run in this session (deselected or not reached); "
                "production is only touched after every other gate ran and passed") in out
        data = read_report(demo.path / "r.json")
        verdicts = {c["id"].split("::", 1)[1]: c["verdict"] for c in data["checks"]}
        assert verdicts["release::smoke"] == "blocked"
        assert "release::smoke" not in {r["check"] for r in probes(log)}
        assert not (demo.path / ".tower/envs/production/releases").exists()
    finally:
        stop_everything(demo.path)


def test_path_is_relative_to_the_project(project, report) -> None:
    """`pytest --tower some_file` is refused: gates only (and the stale report is gone)."""
    (project.path / "r.json").write_text('{"verdict": "passed"}')
    result = project.runpytest("--tower", "--tower-report=r.json", "a.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert report()["verdict"] != "passed"
    assert Path(project.path / "r.json").is_file()


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_gates_file_outside_the_rootdir_is_judged_by_its_own_items(
        pytester: pytest.Pytester, xdist: list[str]) -> None:
    """--tower-config pointing outside pytest's rootdir: pytest words the node ids from the
    command line, not from the rootdir; the gate must still see that its check ran."""
    gates_dir = pytester.mkdir("elsewhere")
    (gates_dir / "gates.toml").write_text('[compliance.files]\nrequired = ["x.txt"]\n')
    (gates_dir / "x.txt").write_text("here\n")
    work = pytester.mkdir("work")
    (work / "pytest.ini").write_text("[pytest]\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)
        result = pytester.runpytest_subprocess(
            "--tower", f"--tower-config={gates_dir / 'gates.toml'}", *xdist)
    output = result.stdout.str()
    assert "TOWER GATE PASSED: 1 of 1 checks passed" in output, output
    assert "not run" not in output
    assert result.ret == 0
