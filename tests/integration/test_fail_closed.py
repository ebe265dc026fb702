"""Fail-closed: a tool that is missing, hangs, crashes or talks nonsense never passes.

The faults are injected with small fake executables (the only stand-ins we
allow); each must end as an ERROR with a message that says what happened.
"""

from __future__ import annotations

import os
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pytest

# A fake ruff answers the version, file-discovery and settings calls like ruff (the
# settings by asking the real one), then misbehaves.
DISCOVERY = (f'case "$*" in --version) echo "ruff {version("ruff")}"; exit 0;;\n'
             '  *--show-files*) echo "$PWD/a.py"; exit 0;;\n'
             f'  *--show-settings*) exec "{Path(sys.executable).with_name("ruff")}" "$@";;\n'
             # the probe lint that asks which files ruff really lints
             '''  *CPY001*) echo '[{"code": "CPY001", "filename": "'"$PWD"'/a.py", '''
             '''"message": "x"}]'; exit 0;; esac\n''')


@pytest.fixture
def ruff_gate(run_tower):
    """run_tower on one ruff check of a.py with the given `executable` (and extra options)."""

    def run(executable: str, extra: str = ""):
        return run_tower(f'[lint.ruff]\npaths = ["a.py"]\nexecutable = "{executable}"\n{extra}',
                         files={"a.py": "X = 1\n"})

    return run


def assert_errored(run, *words: str) -> None:
    out = run.stdout.str()
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    assert run.check["verdict"] == "error"
    assert "1 error" in out and "passed" not in out.splitlines()[-1]
    assert "TOWER GATE FAILED: 1 of 1 checks failed (1 error)" in out
    for word in words:
        assert word in out
    assert run.clean, out


def test_tool_not_installed(ruff_gate) -> None:
    run = ruff_gate("ruff-not-installed-here")
    assert_errored(run, "ruff is not installed", "'ruff-not-installed-here' was not "
                   "found beside", "nor on PATH", "fix: pip install 'ruff")


def test_tool_found_beside_the_interpreter_when_path_lacks_it(pytester, ruff_gate, monkeypatch
                                                              ) -> None:
    monkeypatch.setenv("PATH", str(pytester.path / "empty"))
    run = ruff_gate("ruff")
    assert run.check["verdict"] == "passed", run.stdout.str()


def test_a_ruff_earlier_on_path_does_not_replace_the_one_beside_the_interpreter(
        run_tower, fake_tool, monkeypatch) -> None:
    fake = fake_tool("ruff", DISCOVERY + "echo '[]'\n")
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ.get('PATH', '')}")
    run = run_tower('[lint.ruff]\npaths = ["a.py"]\n',
                    files={"a.py": "import os\n"})  # F401 under ruff's defaults
    check = run.check
    assert check["verdict"] == "failed", run.stdout.str()
    assert check["metrics"]["violations[F401]"] == 1


@pytest.mark.parametrize(("said", "words"), [
    pytest.param("ruff 0.1.0", ["ruff 0.1.0 (", "is not a supported version: pytest-tower reads "
                                "ruff>=0.15"], id="older"),
    pytest.param("ruff 1.0.0", ["ruff 1.0.0 (", "is not a supported version"], id="newer"),
    pytest.param("", ["did not say which version it is"], id="silent"),
])
def test_a_ruff_outside_the_supported_range_is_an_error(ruff_gate, fake_tool, said,
                                                      words) -> None:
    tool = fake_tool("ruff", f'case "$*" in --version) echo "{said}"; exit 0;; esac\n'
                     + DISCOVERY + "echo '[]'\n")
    run = ruff_gate(str(tool))
    assert_errored(run, *words, "fix: pip install 'ruff>=0.15,<0.18'")


def test_tool_that_hangs_is_stopped_at_the_timeout(pytester, ruff_gate, fake_tool,
                                                    process_gone) -> None:
    pidfile = pytester.path / "child.pid"
    tool = fake_tool("ruff", DISCOVERY + f"sleep 60 &\necho $! > {pidfile}\nwait\n")
    started = time.monotonic()
    run = ruff_gate(str(tool), 'timeout = "1s"\n')
    assert time.monotonic() - started < 30  # a guard against hanging, not a benchmark
    assert_errored(run, "ruff timed out after 1s and was stopped",
                   "raise `timeout`", "command: ")
    assert process_gone(int(pidfile.read_text()))  # the tool's own child was killed too


@pytest.mark.parametrize(("body", "words"), [
    pytest.param("echo 'all good, trust me'\necho oops >&2\n",
                 ["ruff printed output that is not its JSON report", "'all good, trust me",
                  "oops"], id="prints-garbage"),
    pytest.param("echo dying >&2\nkill -9 $$\n",
                 ["ruff was killed by signal SIGKILL", "dying"], id="killed-by-a-signal"),
    pytest.param("echo 'error: bad config' >&2\nexit 2\n",
                 ["ruff exited with code 2", "expected 0, 1", "error: bad config"],
                 id="exit-code-outside-the-documented-ones"),
    pytest.param("echo '[]'\nexit 1\n",
                 ["ruff exited 1 (violations) but reported none"],
                 id="violations-exit-without-any-violation-listed"),
])
def test_a_misbehaving_tool_is_an_error(ruff_gate, fake_tool, body: str,
                                        words: list[str]) -> None:
    tool = fake_tool("ruff", DISCOVERY + body)
    assert_errored(ruff_gate(str(tool)), *words)


def test_a_crashing_check_type_is_an_error(pytester, gates) -> None:
    pytester.makeconftest(
        """
        from pytest_tower import CheckType, MetricSpec

        def boom(ctx):
            raise RuntimeError("kaboom")

        def pytest_tower_check_types():
            return [CheckType("boom", boom, [MetricSpec("n")], default_conditions=["n == 0"])]
        """
    )
    gates("[x.boom]\n")
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    assert "the 'boom' check type crashed" in out
    assert "RuntimeError: kaboom" in out
    assert "TOWER GATE FAILED" in out
