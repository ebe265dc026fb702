"""Fault cases: the run's outputs and its exit status (breaker round 2: N4, N8, N10, N13,
N17, N23, N25).

Outputs never replace what pytest-tower did not write (the gates file, a source file, a
FIFO or device) and follow a symlink so no older pass survives behind it; the project's
conftest.py cannot turn a gate that did not pass into exit 0; PYTEST_ADDOPTS never
reaches the tests' own pytest; a held history lock is an error, not a hang.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.integration.faults import FaultCase

FAILING = '[a.one]\ntool = "files"\nrequired = ["NOPE"]\n'
PASSING = '[a.one]\ntool = "files"\nrequired = ["gates.toml"]\n'


def _report_behind_symlink(project: Path) -> None:
    """report.json (a stale pass) moved to shared/latest.json; report.json links to it."""
    (project / "shared").mkdir()
    (project / "report.json").rename(project / "shared" / "latest.json")
    (project / "report.json").symlink_to("shared/latest.json")


def _fifo(project: Path) -> None:
    os.mkfifo(project / "out.html")


def _symlinked_gates(project: Path) -> None:
    """gates.toml links to a template in another folder where LICENSE exists; here it does not."""
    template = project.parent / f"{project.name}-template"
    template.mkdir(exist_ok=True)
    (template / "gates.toml").write_text('[a.one]\ntool = "files"\nrequired = ["LICENSE"]\n')
    (template / "LICENSE").write_text("MIT License\n\nCopyright (c) someone\n")
    (project / "gates.toml").unlink()
    (project / "gates.toml").symlink_to(template / "gates.toml")


HOLD = ("import fcntl, pathlib, sys, time\n"
        "f = open(sys.argv[1], 'w'); fcntl.flock(f, fcntl.LOCK_EX)\n"
        "pathlib.Path(sys.argv[2]).touch(); time.sleep(float(sys.argv[3]))\n")


def _history_locked(project: Path) -> None:
    """Another (hung) run holds the history lock for longer than this run waits."""
    state = project / ".tower"
    state.mkdir(exist_ok=True)
    held = project / "lock-held"
    subprocess.Popen([sys.executable, "-c", HOLD, str(state / "history.jsonl.lock"), str(held),
                      "45"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     start_new_session=True)  # ends by itself after 45 s
    deadline = time.monotonic() + 10
    while not held.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


TESTS = {"pytest.ini": "[pytest]\nmarkers =\n    slow: slow tests\n",
         "tests/test_a.py": "import pytest\n\n\ndef test_fast():\n    assert True\n\n\n"
                            "@pytest.mark.slow\ndef test_slow_broken():\n    assert False\n"}
TESTS_GATE = '[unit.tests]\npaths = ["tests"]\ncoverage = false\n'
COVERED = {"pkg/__init__.py": "def f():\n    return 1\n",
           "pkg/big.py": "def g(x):\n    if x:\n        return 1\n    return 2\n",
           "tests/test_f.py": "from pkg import f\n\n\ndef test_f():\n    assert f() == 1\n",
           "pyproject.toml": '[tool.coverage.run]\nsource = ["pkg"]\n',
           "evil.rc": "[run]\nomit = */big.py\n"}

CASES = [
    # N8: a symlinked report is followed: its target (a stale pass) now says failed
    FaultCase("outputs-report-symlink-target-rewritten", FAILING, "TOWER GATE FAILED",
              setup=_report_behind_symlink),
    # N8: a FIFO (like a device) is never renamed over
    FaultCase("outputs-fifo-refused", PASSING, "is a FIFO, not a regular file",
              args=("--tower-html=out.html",), setup=_fifo, rc=4),
    # N10: an output on the gates file, or on a file pytest-tower did not write
    FaultCase("outputs-gates-file-refused", PASSING, "it is the gates file",
              args=("--tower-markdown=gates.toml",), rc=4),
    FaultCase("outputs-source-file-refused", PASSING,
              "pytest-tower did not write it; choose another path or delete it",
              files={"keep.py": "x = 1\n"}, args=("--tower-html=keep.py",), rc=4),
    FaultCase("outputs-foreign-json-refused", PASSING,
              "pytest-tower did not write it",
              files={"data.json": '{"users": []}\n'}, args=("--tower-sarif=data.json",), rc=4),
    # N4: PYTEST_ADDOPTS selects nothing inside the tests' own pytest
    FaultCase("outputs-addopts-mark-not-passed", TESTS_GATE, "test_slow_broken",
              files=TESTS, env={"PYTEST_ADDOPTS": "-m 'not slow'"}, subprocess=True),
    FaultCase("outputs-addopts-deselect-not-passed", TESTS_GATE,
              "$PYTEST_ADDOPTS was not passed to the tests' pytest", files=TESTS,
              env={"PYTEST_ADDOPTS": "--deselect tests/test_a.py::test_slow_broken"},
              subprocess=True),
    FaultCase("outputs-addopts-cov-config-not-passed",
              '[unit.tests]\npaths = ["tests"]\nconditions = ["coverage >= 90%"]\n',
              "coverage >= 90%", files=COVERED,
              env={"PYTEST_ADDOPTS": "--cov-config=evil.rc"}, subprocess=True),
    # N13: the project's conftest.py cannot end a gate that did not pass with exit 0
    FaultCase("outputs-conftest-sessionstart-exit0", FAILING, "exit status 0 refused",
              files={"conftest.py": "import pytest\n\n\ndef pytest_sessionstart(session):\n"
                                    "    pytest.exit('no DB here, skipping', returncode=0)\n"},
              subprocess=True),
    FaultCase("outputs-conftest-sys-exit0", FAILING, "it called sys.exit(0)",
              files={"conftest.py": "import sys\n\nsys.exit(0)\n"}, subprocess=True, rc=4),
    FaultCase("outputs-conftest-exitstatus0", FAILING, "exit status 0 refused",
              files={"conftest.py": "def pytest_sessionfinish(session, exitstatus):\n"
                                    "    session.exitstatus = 0\n"}, subprocess=True),
    FaultCase("outputs-conftest-exit5-to-0", FAILING, "exit status 0 refused",
              files={"conftest.py": "def pytest_sessionfinish(session, exitstatus):\n"
                                    "    if exitstatus == 5:\n        session.exitstatus = 0\n"},
              args=("-k", "typo"), subprocess=True),
    # N17: --tower with --tower-show would gate nothing
    FaultCase("outputs-tower-show-refused", PASSING, "--tower-show prints the history and runs "
              "no gate", args=("--tower-show",), rc=4),
    # N23: a symlinked gates.toml checks the project it is linked into
    FaultCase("outputs-symlinked-gates-checks-here", "", "missing == 0", setup=_symlinked_gates),
    # N25: a history lock held by a hung run: an error verdict after the wait, not a hang
    FaultCase("outputs-history-locked", PASSING, "history locked by another run",
              setup=_history_locked, subprocess=True, timeout=100),
]
