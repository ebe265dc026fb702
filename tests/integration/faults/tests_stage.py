"""Fault cases: the `tests` stage (the project's own tests in a child pytest, with coverage).

Each project is real: a child pytest runs its tests under pytest-cov. The
faults are in the project itself (its addopts, conftest, coverage config,
tests that kill their own process) or in what a previous run left behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.integration.faults import FaultCase

CORE = '''\
def used(x):
    if x:
        return "yes"
    return "no"


def never_called():
    return 3
'''
COVERAGE_SOURCE = '[tool.coverage.run]\nsource = ["pkg"]\n'
GATES = '[unit.tests]\npaths = ["tests"]\n'
PASSING = "from pkg.core import used\n\n\ndef test_yes():\n    assert used(1) == 'yes'\n"


def project(tests: str, *, pyproject: str = COVERAGE_SOURCE, **extra: str) -> dict[str, str]:
    """pkg/core.py, tests/test_it.py, a pyproject (coverage source pkg) and `extra` files."""
    return {"pkg/__init__.py": "", "pkg/core.py": CORE, "tests/test_it.py": tests,
            "pyproject.toml": pyproject, **extra}


def addopts(opts: str, coverage: str = COVERAGE_SOURCE) -> str:
    return f'[tool.pytest.ini_options]\naddopts = "{opts}"\n\n{coverage}'


def _full_coverage_data(project_dir: Path) -> None:
    """A `.coverage` in the project root that says every line of pkg ran."""
    script = "from pkg.core import used, never_called\nused(1); used(0); never_called()\n"
    (project_dir / "everything.py").write_text(script)
    subprocess.run([sys.executable, "-m", "coverage", "run", "--source=pkg", "everything.py"],
                   cwd=project_dir, check=True, capture_output=True,
                   env={**os.environ, "COVERAGE_FILE": str(project_dir / ".coverage")})


ALL_SKIPPED = '''\
import pytest


@pytest.mark.skip(reason="flaky on CI")
def test_a():
    pass


@pytest.mark.skip(reason="flaky on CI")
def test_b():
    pass


def test_c():
    pytest.skip("no database")
'''
XFAIL = '''\
import pytest


@pytest.mark.xfail(reason="bug 12")
def test_a():
    assert False


@pytest.mark.xfail(reason="bug 13", strict=True)
def test_b():
    assert False
'''
XPASS = '''\
import pytest


@pytest.mark.xfail(reason="was broken")
def test_a():
    assert True
'''
MIX = '''\
import pytest


@pytest.mark.skip(reason="later")
def test_a():
    pass


@pytest.mark.xfail(reason="bug 12")
def test_b():
    assert False
'''
KILL_SELF = '''\
import os
import signal


def test_ok():
    pass


def test_kill():
    os.kill(os.getpid(), signal.SIGKILL)
'''
TWO = PASSING + "\n\ndef test_no():\n    from pkg.core import used\n    assert used(0) == 'no'\n"
EXIT_IN_CONFTEST = '''\
import os

import pytest


@pytest.fixture(autouse=True)
def leave(request):
    if request.node.name == "test_no":
        os._exit(0)
'''
INTERNAL_ERROR = '''\
import os


def pytest_collection_finish(session):
    if os.environ.get("TOWER_CHILD_RESULTS"):  # only in the child, not the gate session
        raise RuntimeError("plugin broke")
'''
OLD_JUNIT = ('<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="1" '
             'failures="0" errors="0" skipped="0"><testcase classname="t" name="test_ok"/>'
             '</testsuite></testsuites>')
OLD_EVENTS = ('{"event": "start", "nodeid": "t::test_ok"}\n'
              '{"event": "report", "nodeid": "t::test_ok", "when": "call", "outcome": "passed"}\n'
              '{"event": "finish", "exitstatus": 0}\n')
EAT_REPORT = '''\
import os
from pathlib import Path


def pytest_unconfigure(config):
    data = os.environ.get("COVERAGE_FILE")
    if data:
        Path(data).with_name("coverage.json").unlink(missing_ok=True)
'''
LYING_REPORT = '''\
import os
from pathlib import Path


def pytest_unconfigure(config):
    data = os.environ.get("COVERAGE_FILE")
    if data:
        Path(data).with_name("coverage.json").write_text(
            '{"meta": {}, "totals": {"num_statements": 5, "percent_covered": NaN}}')
'''
RUN_ONE = '''\
import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    item = session.items[0]
    item.config.hook.pytest_runtest_protocol(item=item, nextitem=None)
    return True
'''
WORKER_CRASH = "import os\n\n\ndef test_ok():\n    pass\n\n\ndef test_die():\n    os._exit(1)\n"


def _plant_old_results(project_dir: Path) -> None:
    """A passing junit.xml and event log where a run would leave them, and at the root."""
    for folder in (project_dir, project_dir / ".tower"):
        folder.mkdir(exist_ok=True)
        (folder / "junit.xml").write_text(OLD_JUNIT)
        (folder / "events.jsonl").write_text(OLD_EVENTS)


CASES = [
    FaultCase(
        id="tests-all-skipped",
        gates=GATES,
        files=project(ALL_SKIPPED),
        expect="all 3 tests were skipped: nothing was proven",
    ),
    FaultCase(
        id="tests-all-skipped-permissive-bound",
        gates=GATES + 'conditions = ["passed >= 0", "tests >= 0"]\n',
        files=project(ALL_SKIPPED),
        expect="Reasons: flaky on CI; no database.",
    ),
    FaultCase(
        id="tests-all-xfail-strict-and-not",
        gates=GATES,
        files=project(XFAIL),
        expect="all 2 tests were xfail (expected to fail, and failed): nothing was proven",
    ),
    FaultCase(
        id="tests-only-non-strict-xpass",
        gates=GATES,
        files=project(XPASS),
        expect="the only test was a non-strict xfail that passed (an xpass proves nothing): "
               "nothing was proven",
    ),
    FaultCase(
        id="tests-skip-and-xfail-only",
        gates=GATES,
        files=project(MIX),
        expect="no test passed (1 skipped, 1 xfailed): nothing was proven",
    ),
    FaultCase(
        # the addopts -k applies to the gate session too (the session's own guard may catch
        # it first): either way nothing was proven
        id="tests-addopts-k-deselects-all",
        gates=GATES,
        files=project(TWO, pyproject=addopts("-k nothing_matches")),
        expect="nothing was proven",
    ),
    FaultCase(
        id="tests-addopts-deselect-all",
        gates=GATES,
        files=project(TWO, pyproject=addopts("--deselect tests/test_it.py::test_yes "
                                             "--deselect tests/test_it.py::test_no")),
        expect="no tests ran: all 2 collected tests were deselected by -k/-m/--deselect; "
               "the project's addopts (and $PYTEST_ADDOPTS): --deselect tests/test_it.py::test_yes",
    ),
    FaultCase(
        id="tests-args-k-deselects-all",
        gates=GATES + 'args = ["-k", "nothing_matches"]\n',
        files=project(TWO),
        expect="no tests ran: all 2 collected tests were deselected by -k 'nothing_matches'",
    ),
    FaultCase(
        id="tests-markers-deselect-all-under-xdist",
        gates=GATES + 'workers = 2\nmarkers = "slow"\n',
        files=project(TWO),
        expect="no tests ran: the selection left no test to run by -m 'slow': nothing was proven",
    ),
    FaultCase(
        id="tests-collects-nothing-exit-5",
        gates=GATES,
        files=project("def helper():\n    pass\n"),
        expect="no tests ran (pytest collected 0, exit code 5): nothing was proven",
    ),
    FaultCase(
        id="tests-addopts-last-failed",
        gates=GATES,
        files=project(TWO, pyproject=addopts("--lf")),
        expect="the child pytest ran with --lf",
    ),
    FaultCase(
        id="tests-child-internal-error-exit-3",
        gates=GATES,
        files=project(PASSING, **{"tests/conftest.py": INTERNAL_ERROR}),
        expect="pytest hit an internal error: RuntimeError: plugin broke",
    ),
    FaultCase(
        id="tests-usage-error-with-old-junit",
        gates=GATES + 'args = ["--no-such-option"]\n',
        files=project(PASSING),
        setup=_plant_old_results,
        expect="pytest rejected its command line or configuration (exit code 4)",
    ),
    FaultCase(
        id="tests-conftest-os-exit-0",
        gates=GATES,
        files=project(TWO, **{"tests/conftest.py": EXIT_IN_CONFTEST}),
        expect="the test process died while running tests/test_it.py::test_no (exit code 0)",
    ),
    FaultCase(
        id="tests-test-sigkills-the-child",
        gates=GATES,
        files=project(KILL_SELF),
        expect="pytest was killed by signal SIGKILL while running tests/test_it.py::test_kill",
    ),
    FaultCase(
        id="tests-xdist-worker-crash",
        gates=GATES + "workers = 2\n",
        files=project(WORKER_CRASH),
        expect="a pytest-xdist worker crashed",
    ),
    FaultCase(
        id="tests-addopts-no-cov-plugin",
        gates=GATES,
        files=project(PASSING, pyproject=addopts("-p no:cov")),
        expect="pytest-cov is not active in the child pytest",
    ),
    FaultCase(
        id="tests-addopts-no-cov-flag",
        gates=GATES + 'conditions = ["coverage >= 0%"]\n',
        files=project(PASSING, pyproject=addopts("--no-cov")),
        expect="coverage data is missing",
    ),
    FaultCase(
        id="tests-coverage-source-elsewhere",
        gates=GATES,
        files=project(PASSING, pyproject="", **{".coveragerc": "[run]\nsource = elsewhere\n"}),
        expect="coverage measured no code: Module elsewhere was never imported.",
    ),
    FaultCase(
        id="tests-coverage-omit-everything",
        gates=GATES + 'conditions = ["coverage >= 0%"]\n',
        files=project(PASSING, pyproject="", **{".coveragerc": "[run]\nomit = *\n"}),
        expect="coverage measured no code",
    ),
    FaultCase(
        id="tests-stale-coverage-data-appended",
        gates=GATES + 'conditions = ["coverage >= 100%"]\n',
        files=project(PASSING, pyproject=addopts("--cov-append")),
        setup=_full_coverage_data,
        expect="FAIL  coverage >= 100%",
    ),
    FaultCase(
        id="tests-project-cov-fail-under",
        gates=GATES,
        files=project(PASSING, pyproject=addopts("--cov-fail-under=95")),
        expect="the project's own coverage threshold was not met",
    ),
    FaultCase(
        id="tests-project-config-fail-under",
        gates=GATES,
        files=project(PASSING, pyproject=COVERAGE_SOURCE + "\n[tool.coverage.report]\n"
                      "fail_under = 95\n"),
        expect="the project's own coverage threshold was not met",
    ),
    FaultCase(
        id="tests-branch-total-below-line-figure",
        # lines 4 of 6 = 66.7% would pass; coverage.py's total (4 + 1 branch of 6 + 2) is 62.5%
        gates=GATES + 'conditions = ["coverage >= 65%"]\n',
        files=project(PASSING, pyproject=COVERAGE_SOURCE + "branch = true\n"),
        expect="FAIL  coverage >= 65%",
    ),
    FaultCase(
        id="tests-coverage-json-missing",
        gates=GATES,
        files=project(PASSING, **{"tests/conftest.py": EAT_REPORT}),
        expect="coverage data is missing: no readable coverage report",
    ),
    FaultCase(
        id="tests-pytest-addopts-env-k",
        gates=GATES,
        files=project(TWO),
        env={"PYTEST_ADDOPTS": "-k nothing_matches"},
        expect="nothing was proven",
    ),
    FaultCase(
        id="tests-addopts-no-junitxml",
        gates=GATES,
        files=project(PASSING, pyproject=addopts("-p no:junitxml")),
        expect="pytest wrote no JUnit XML",
    ),
    FaultCase(
        id="tests-args-collect-only",
        gates=GATES + 'args = ["--collect-only"]\n',
        files=project(TWO),
        expect="no tests ran (pytest collected 2, exit code 0): nothing was proven",
    ),
    FaultCase(
        id="tests-args-setup-only",
        gates=GATES + 'args = ["--setup-only"]\n',
        files=project(TWO),
        expect="nothing was proven",
    ),
    FaultCase(
        id="tests-test-calls-pytest-exit-0",
        gates=GATES,
        files=project(TWO.replace("assert used(0) == 'no'",
                                  "import pytest; pytest.exit('done early', returncode=0)")),
        expect="pytest was interrupted",
    ),
    FaultCase(
        id="tests-coverage-json-not-a-number",
        gates=GATES + 'conditions = ["coverage >= 0%"]\n',
        files=project(PASSING, **{"tests/conftest.py": LYING_REPORT}),
        expect="totals out of range",
    ),
    FaultCase(
        id="tests-conftest-runs-only-the-first-test",
        gates=GATES,
        files=project(TWO, **{"tests/conftest.py": RUN_ONE}),
        expect="pytest selected 2 tests but only 1 ran, and nothing stopped the run",
    ),
    FaultCase(
        id="tests-coverage-report-include-nothing",
        gates=GATES + 'conditions = ["coverage >= 0%"]\n',
        files=project(PASSING, pyproject=COVERAGE_SOURCE + '\n[tool.coverage.report]\n'
                      'include = ["nowhere/*"]\n'),
        expect="coverage measured no code",
    ),
    FaultCase(
        # the project's warnings-as-errors turn coverage's "never imported" into an exception
        id="tests-coverage-source-elsewhere-warnings-are-errors",
        gates=GATES,
        files=project(PASSING, pyproject='[tool.pytest.ini_options]\nfilterwarnings = '
                      '["error"]\n\n[tool.coverage.run]\nsource = ["elsewhere"]\n'),
        expect="coverage measured no code: Module elsewhere was never imported.",
    ),
    FaultCase(
        id="tests-addopts-no-xdist-with-workers",
        gates=GATES + "workers = 2\n",
        files=project(TWO, pyproject=addopts("-p no:xdist")),
        expect="pytest-xdist is not active in the child pytest: the project's addopts may "
               "disable it (-p no:xdist)",
    ),
]
