"""The `tests` check type with real child pytest runs, pytest-cov and pytest-xdist.

Every test builds a small project, runs `pytest --tower` on it in-process and
reads the JSON report; the stage's child pytest is a real subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

PKG = '''\
def used(x):
    if x:
        return "yes"
    return "no"


def never_called():
    a = 1
    b = 2
    return a + b
'''
MIXED = '''\
import pytest
from pkg.core import used


def test_yes():
    assert used(1) == "yes"


def test_no():
    assert used(0) == "no"


@pytest.mark.skip(reason="not today")
def test_skipped():
    pass


@pytest.mark.xfail(reason="known bug")
def test_xfailed():
    assert used(1) == "no"


@pytest.mark.xfail(reason="fixed already")
def test_xpassed():
    assert used(1) == "yes"
'''


def project(pytester: pytest.Pytester, tests: dict[str, str], *, pkg: str = PKG) -> None:
    """pkg/core.py plus tests/<name>.py files; coverage source is pkg."""
    (pytester.path / "pkg").mkdir()
    (pytester.path / "pkg" / "__init__.py").write_text("")
    (pytester.path / "pkg" / "core.py").write_text(pkg)
    (pytester.path / "tests").mkdir()
    for name, body in tests.items():
        (pytester.path / "tests" / f"{name}.py").write_text(textwrap.dedent(body))
    pytester.makepyprojecttoml('[tool.coverage.run]\nsource = ["pkg"]\n')


@pytest.fixture
def tests_gate(run_tower):
    """run_tower on one [unit.tests] check with the given table body."""

    def run(table: str):
        return run_tower("[unit.tests]\n" + textwrap.dedent(table))

    return run


def assert_error(run, *words: str) -> None:
    out = run.stdout.str()
    assert run.check["verdict"] == "error", out
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    assert "TOWER GATE FAILED: 1 of 1 checks failed (1 error)" in out
    for word in words:
        assert word in out
    assert "INTERNALERROR" not in out and "check type crashed" not in out


def test_passing_suite_exact_counts_and_artifacts(pytester, tests_gate) -> None:
    project(pytester, {"test_mixed": MIXED})
    run = tests_gate('paths = ["tests"]\n')
    check = run.check
    assert run.rc == pytest.ExitCode.OK, run.stdout.str()
    metrics = check["metrics"]
    assert {k: metrics[k] for k in ("tests", "passed", "failed", "errors", "skipped",
                                    "xfailed", "xpassed")} == {
        "tests": 5, "passed": 2, "failed": 0, "errors": 0, "skipped": 1, "xfailed": 1,
        "xpassed": 1}
    assert metrics["coverage"] == pytest.approx(100 * 5 / 8)  # never_called: 3 of 8 lines
    assert metrics["line_coverage"] == metrics["coverage"]  # no branches: one figure
    assert "branch_coverage" not in metrics
    assert metrics["duration"] > 0 and metrics["slowest"] >= 0
    # the tests' own time: each test's setup, call and teardown, summed
    each = json.loads((pytester.path / check["artifacts"]["durations"]).read_text())
    assert len(each) == 5
    assert metrics["test_time"] == pytest.approx(sum(each.values()), abs=0.001)
    assert metrics["slowest"] <= metrics["test_time"] <= metrics["duration"]
    assert [c["expr"] for c in check["conditions"]] == ["failed == 0", "tests >= 1",
                                                        "passed >= 1", "errors == 0"]
    assert check["tool"].startswith("pytest 9.")
    for name in ("junit", "coverage", "output"):
        assert (pytester.path / check["artifacts"][name]).is_file()
    assert len(check["notes"]) == 1
    assert "2 passed, 1 skipped, 1 xfailed, 1 xpassed" in check["notes"][0]
    junit = (pytester.path / check["artifacts"]["junit"]).read_text()
    assert 'tests="5"' in junit
    assert "TOWER GATE PASSED: 1 of 1 checks passed" in run.stdout.str()


def test_failing_test_is_named_with_its_reason(pytester, tests_gate) -> None:
    project(pytester, {"test_bad": '''
        from pkg.core import used

        def test_ok():
            assert used(1) == "yes"

        def test_wrong():
            assert used(0) == "yes", "used(0) should say yes"

        def test_raises():
            raise KeyError("missing-key")
    '''})
    run = tests_gate('paths = ["tests"]\nconditions = ["failed == 0"]\n')
    check = run.check
    assert check["verdict"] == "failed"
    assert check["metrics"]["failed"] == 2 and check["metrics"]["passed"] == 1
    out = run.stdout.str()
    assert "tests/test_bad.py::test_wrong FAILED AssertionError: used(0) should say yes" in out
    assert "tests/test_bad.py::test_raises FAILED KeyError: 'missing-key'" in out
    assert " FAIL  failed == 0  (measured 2)" in out
    assert "TOWER GATE FAILED: 1 of 1 checks failed (1 failed)" in out


@pytest.mark.parametrize("workers", [1, 2])
def test_collection_error_is_an_error(pytester, workers, tests_gate) -> None:
    project(pytester, {"test_ok": "def test_ok():\n    pass\n",
                       "test_broken": "import no_such_module_here\n"})
    run = tests_gate(f'paths = ["tests"]\nworkers = {workers}\n')
    assert_error(run, "could not collect 1 test file(s)",
                 "ERROR collecting tests/test_broken.py: ModuleNotFoundError: "
                 "No module named 'no_such_module_here'")


def test_zero_tests_is_an_error_even_with_a_permissive_bound(pytester, tests_gate) -> None:
    project(pytester, {"test_none": "def helper():\n    pass\n"})
    run = tests_gate('paths = ["tests"]\nconditions = ["tests >= 0"]\n')
    assert_error(run, "no tests ran (pytest collected 0, exit code 5)")


def test_all_skipped_is_an_error_that_says_so(pytester, tests_gate) -> None:
    project(pytester, {"test_skip": '''
        import pytest

        @pytest.mark.skip(reason="needs a GPU")
        def test_a():
            pass

        @pytest.mark.parametrize("n", range(4))
        def test_b(n):
            pytest.skip("no database")
    '''})
    run = tests_gate('paths = ["tests"]\n')
    assert_error(run, "all 5 tests were skipped: nothing was proven; a test stage "
                 "needs at least one passing test (passed >= 1). Reasons: needs a GPU; "
                 "no database.")


def test_one_pass_among_skips_and_xfails_is_enough(pytester, tests_gate) -> None:
    project(pytester, {"test_mixed": MIXED.replace("def test_no():", "def no():")})
    run = tests_gate('paths = ["tests"]\n')
    check = run.check
    assert check["verdict"] == "passed"
    assert check["metrics"]["passed"] == 1


def test_projects_own_fail_under_is_kept(pytester, tests_gate) -> None:
    """A project moving from `--cov-fail-under=N` keeps that bar: pytest-cov still applies it."""
    project(pytester, {"test_mixed": MIXED})
    pytester.makepyprojecttoml('[tool.coverage.run]\nsource = ["pkg"]\n'
                               "[tool.coverage.report]\nfail_under = 70\n")
    run = tests_gate('paths = ["tests"]\n')
    check = run.check
    assert_error(run, "the project's own coverage threshold was not met: FAIL "
                 "Required test coverage of 70.0% not reached. Total coverage: 62.50%")
    pytester.makepyprojecttoml('[tool.coverage.run]\nsource = ["pkg"]\n'
                               "[tool.coverage.report]\nfail_under = 60\n")
    run = tests_gate('paths = ["tests"]\n')
    check = run.check
    assert check["verdict"] == "passed", run.stdout.str()


def test_markers_deselecting_everything_is_an_error(pytester, tests_gate) -> None:
    project(pytester, {"test_mixed": MIXED})
    run = tests_gate('paths = ["tests"]\nmarkers = "integration"\n')
    assert_error(run, "no tests ran")


def test_coverage_below_threshold_names_least_covered_files(pytester, tests_gate) -> None:
    project(pytester, {"test_mixed": MIXED})
    (pytester.path / "pkg" / "idle.py").write_text("X = 1\n\n\ndef f():\n    return X\n")
    run = tests_gate('paths = ["tests"]\n'
                     'conditions = ["coverage >= 90%"]\n')
    check = run.check
    assert check["verdict"] == "failed"
    out = run.stdout.str()
    assert " FAIL  coverage >= 90%" in out
    assert "pkg/core.py COVERAGE 62.5% of 8 lines; missing 8-10" in out
    assert "pkg/idle.py COVERAGE 0.0% of 3 lines; missing 1, 4-5" in out
    assert out.index("pkg/idle.py COVERAGE") < out.index("pkg/core.py COVERAGE")


SPREAD = '''
import os
from pathlib import Path

import pytest
from pkg import core, left, right


@pytest.fixture(autouse=True)
def seen():
    Path("seen").mkdir(exist_ok=True)
    (Path("seen") / os.environ.get("PYTEST_XDIST_WORKER", "serial")).touch()


@pytest.mark.parametrize("n", range(4))
def test_left(n):
    assert left.go(n) == n + 1


@pytest.mark.parametrize("n", range(4))
def test_right(n):
    assert right.go(n) == n - 1


def test_core():
    assert core.used(1) == "yes"
'''


def test_workers_coverage_equals_serial_coverage_run(pytester, tests_gate) -> None:
    project(pytester, {"test_spread": SPREAD})
    for name, op in (("left", "+"), ("right", "-")):
        (pytester.path / "pkg" / f"{name}.py").write_text(
            f"def go(n):\n    value = n {op} 1\n    return value\n\n\ndef idle():\n"
            "    return 0\n")
    run = tests_gate('paths = ["tests"]\nworkers = 2\n')
    check = run.check
    assert check["verdict"] == "passed", run.stdout.str()
    assert sorted(p.name for p in (pytester.path / "seen").iterdir()) == ["gw0", "gw1"]
    ours = json.loads((pytester.path / check["artifacts"]["coverage"]).read_text())

    env = {"COVERAGE_FILE": str(pytester.path / "serial.coverage")}
    for argv in (["run", "-m", "pytest", "-p", "no:tower", "-p", "no:xdist", "-q", "tests"],
                 ["json", "-o", "serial.json"]):
        subprocess.run([sys.executable, "-m", "coverage", *argv], cwd=pytester.path,
                       env={**_env(), **env}, check=True, capture_output=True)
    serial = json.loads((pytester.path / "serial.json").read_text())

    assert check["metrics"]["coverage"] == serial["totals"]["percent_covered"]
    assert serial["totals"]["percent_covered"] < 100  # a real comparison, not 100 == 100
    assert _lines(ours) == _lines(serial)
    for name in ("pkg/left.py", "pkg/right.py"):  # run only inside an xdist worker
        assert ours["files"][name]["executed_lines"] == [1, 2, 3, 6]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}


def _lines(report: dict) -> dict[str, tuple[list[int], list[int]]]:
    return {name: (info["executed_lines"], info["missing_lines"])
            for name, info in report["files"].items()}


def test_branch_coverage_when_asked(pytester, tests_gate) -> None:
    project(pytester, {"test_one": "from pkg.core import used\n\n\ndef test_yes():\n"
                       "    assert used(1) == 'yes'\n"})
    run = tests_gate('paths = ["tests"]\nbranch = true\n'
                     'conditions = ["branch_coverage >= 50%"]\n')
    check = run.check
    assert check["verdict"] == "passed"
    assert check["metrics"]["branch_coverage"] == 50.0  # `if x` went one way of two
    assert check["metrics"]["line_coverage"] == pytest.approx(100 * 4 / 8)
    assert check["metrics"]["coverage"] == pytest.approx(100 * (4 + 1) / (8 + 2))


BRANCHY = '''\
def grade(n):
    if n > 90:
        return "A"
    if n > 50:
        return "B"
    return "C"


def sign(n):
    return -1 if n < 0 else 1


def both(a, b):
    if a:
        if b:
            return 3
        return 2
    return 1
'''
BRANCHY_TESTS = '''\
import pytest
from pkg.core import both, grade


@pytest.mark.parametrize("n", [95, 20])
def test_grade(n):
    assert grade(n) in "AC"


def test_both():
    assert both(1, 1) == 3
    assert both(0, 0) == 1
'''


def _by_hand(root) -> tuple[dict, str]:
    """`coverage run -m pytest && coverage json && coverage report` in the project."""
    env = {**_env(), "COVERAGE_FILE": str(root / "hand.coverage")}
    outputs = []
    for argv in (["run", "-m", "pytest", "-p", "no:tower", "-p", "no:xdist", "-p", "no:cov",
                  "-q", "tests"], ["json", "-o", "hand.json"], ["report", "--precision=4"]):
        done = subprocess.run([sys.executable, "-m", "coverage", *argv], cwd=root, env=env,
                              check=True, capture_output=True, text=True)
        outputs.append(done.stdout)
    return json.loads((root / "hand.json").read_text()), outputs[-1]


@pytest.mark.parametrize("workers", [1, 2])
def test_coverage_is_coverage_pys_total_with_the_projects_branch_config(
        pytester, workers, tests_gate) -> None:
    """`branch = true` in the project's config: `coverage` is the line+branch TOTAL."""
    project(pytester, {"test_branchy": BRANCHY_TESTS}, pkg=BRANCHY)
    pytester.makepyprojecttoml('[tool.coverage.run]\nsource = ["pkg"]\nbranch = true\n')
    run = tests_gate(f'paths = ["tests"]\nworkers = {workers}\n')
    check = run.check
    assert check["verdict"] == "passed"
    hand, report = _by_hand(pytester.path)
    totals, metrics = hand["totals"], check["metrics"]
    assert metrics["coverage"] == totals["percent_covered"]
    assert metrics["line_coverage"] == totals["percent_statements_covered"]
    assert metrics["branch_coverage"] == pytest.approx(
        100 * totals["covered_branches"] / totals["num_branches"])
    assert metrics["coverage"] != metrics["line_coverage"]  # the two figures really differ
    total_line = next(line for line in report.splitlines() if line.startswith("TOTAL"))
    assert total_line.split()[-1] == f"{metrics['coverage']:.4f}%"


def test_branch_condition_without_branch_measurement_errors(pytester, tests_gate) -> None:
    project(pytester, {"test_mixed": MIXED})
    run = tests_gate('paths = ["tests"]\n'
                     'conditions = ["branch_coverage >= 50%"]\n')
    assert_error(run, "no value for branch_coverage")


def test_omit_leaves_files_out_of_the_figure(pytester, tests_gate) -> None:
    project(pytester, {"test_mixed": MIXED})
    (pytester.path / "pkg" / "idle.py").write_text("X = 1\n")
    run = tests_gate('paths = ["tests"]\nomit = ["pkg/idle.py"]\n')
    check = run.check
    ours = json.loads((pytester.path / check["artifacts"]["coverage"]).read_text())
    assert sorted(ours["files"]) == ["pkg/__init__.py", "pkg/core.py"]
    assert check["metrics"]["coverage"] == pytest.approx(100 * 5 / 8)


def test_missing_coverage_data_is_an_error(pytester, tests_gate) -> None:
    project(pytester, {"test_mixed": MIXED})
    run = tests_gate('paths = ["tests"]\nargs = ["--no-cov"]\n')
    assert_error(run, "coverage data is missing")


CRASH = '''
import os


def test_first():
    pass


def test_exit():
    os._exit(1)
'''


def test_child_crash_names_the_running_test(pytester, tests_gate) -> None:
    project(pytester, {"test_crash": CRASH})
    run = tests_gate('paths = ["tests"]\n')
    assert_error(run, "the test process died while running "
                 "tests/test_crash.py::test_exit (exit code 1)")


def test_xdist_worker_crash_is_an_error(pytester, tests_gate) -> None:
    project(pytester, {"test_crash": CRASH})
    run = tests_gate('paths = ["tests"]\nworkers = 2\n')
    assert_error(run, "a pytest-xdist worker crashed", "crashed while running "
                 "'tests/test_crash.py::test_exit'")


def test_usage_error_is_an_error(pytester, tests_gate) -> None:
    project(pytester, {"test_mixed": MIXED})
    run = tests_gate('paths = ["tests"]\nargs = ["--no-such-option"]\n')
    assert_error(run, "pytest rejected its command line or configuration (exit code "
                 "4)", "unrecognized arguments: --no-such-option")


def test_a_python_that_runs_nothing_is_an_error(pytester, fake_tool, tests_gate) -> None:
    project(pytester, {"test_mixed": MIXED})
    fake = fake_tool("python", "echo '1 passed'\nexit 0\n")
    run = tests_gate(f'paths = ["tests"]\npython = "{fake}"\n')
    assert_error(run, "pytest failed to start (exit code 0) before running any test")


URL = '''
def test_target(tower_base_url):
    assert tower_base_url == "http://127.0.0.1:8123"
'''


def test_base_url_reaches_the_fixture(pytester, tests_gate) -> None:
    project(pytester, {"test_url": URL})
    run = tests_gate('paths = ["tests"]\nbase_url = "http://127.0.0.1:8123"\n'
                     "coverage = false\n")
    check = run.check
    assert check["verdict"] == "passed"
    assert check["metrics"]["passed"] == 1 and "coverage" not in check["metrics"]


def test_fixture_without_base_url_skips_with_its_reason(pytester, tests_gate) -> None:
    project(pytester, {"test_url": URL, "test_other": "def test_x():\n    pass\n"})
    run = tests_gate('paths = ["tests"]\ncoverage = false\n')
    check = run.check
    assert check["metrics"]["skipped"] == 1 and check["metrics"]["passed"] == 1
    junit = (pytester.path / check["artifacts"]["junit"]).read_text()
    assert "tower_base_url: no target for this run ($TOWER_BASE_URL is not set)" in junit


@pytest.mark.parametrize("value", ["0", '"many"', "true", "1.5"])
def test_bad_workers_value_is_a_config_error(pytester, gates, value) -> None:
    gates(f'[unit.tests]\nworkers = {value}\n')
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    expected = 'workers: wrong type or value. Expected a number from 1 to 1,000,000, or "auto"'
    assert expected in result.stderr.str()


def test_missing_paths_are_an_error(tests_gate) -> None:
    run = tests_gate('paths = ["tests/nowhere"]\n')
    assert_error(run, "no tests at 'tests/nowhere'")


def test_project_without_coverage_source_measures_its_root(pytester, tests_gate) -> None:
    pytester.makepyfile(mod="def f():\n    return 1\n", test_mod="from mod import f\n\n\n"
                        "def test_f():\n    assert f() == 1\n")
    run = tests_gate("")
    check = run.check
    ours = json.loads((pytester.path / check["artifacts"]["coverage"]).read_text())
    assert sorted(ours["files"]) == ["mod.py", "test_mod.py"]  # not pytest-tower, not site


def test_strict_xpass_fails_and_teardown_error_counts_once(pytester, tests_gate) -> None:
    project(pytester, {"test_edges": '''
        import pytest

        @pytest.fixture
        def leaky():
            yield
            raise RuntimeError("teardown broke")

        @pytest.mark.xfail(strict=True, reason="should fail")
        def test_strict():
            pass

        def test_leaky(leaky):
            pass
    '''})
    run = tests_gate('paths = ["tests"]\n')
    check = run.check
    metrics = check["metrics"]
    assert (metrics["tests"], metrics["failed"], metrics["errors"], metrics["passed"]) == (
        2, 1, 1, 0)
    out = run.stdout.str()
    assert "tests/test_edges.py::test_strict FAILED [XPASS(strict)] should fail" in out
    assert ("tests/test_edges.py::test_leaky ERROR error in teardown: RuntimeError: "
            "teardown broke") in out


def test_timeout_stops_the_child_and_names_the_test(pytester, tests_gate) -> None:
    project(pytester, {"test_hang": "import time\n\n\ndef test_hang():\n"
                       "    time.sleep(60)\n"})
    started = time.monotonic()
    run = tests_gate('paths = ["tests"]\ntimeout = "3s"\n')
    assert time.monotonic() - started < 40  # a guard against hanging, not a benchmark
    assert_error(run, "pytest timed out after 3s and was stopped while running "
                 "tests/test_hang.py::test_hang")
