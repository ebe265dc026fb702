"""Fail-closed: a tool that is missing, hangs, crashes or talks nonsense never passes.

The faults are injected with small fake executables (the only stand-ins we
allow); each must end as an ERROR with a message that says what happened.
"""

from __future__ import annotations

import os
import time
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import no_traceback, read_report

# A fake ruff answers the version and file-discovery calls like ruff, then misbehaves.
DISCOVERY = (f'case "$*" in --version) echo "ruff {version("ruff")}"; exit 0;;\n'
             '  *--show-files*) echo "$PWD/a.py"; exit 0;; esac\n')


def run_gate(pytester: pytest.Pytester, gates, executable: str, extra: str = ""):
    (pytester.path / "a.py").write_text("X = 1\n")
    gates(f'[lint.ruff]\npaths = ["a.py"]\nexecutable = "{executable}"\n{extra}')
    report = pytester.path / "report.json"
    result = pytester.runpytest("--tower", f"--tower-report={report}")
    return result, read_report(report)["checks"][0]


def assert_errored(result: pytest.RunResult, check: dict, *words: str) -> None:
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert check["verdict"] == "error"
    assert "1 error" in out and "passed" not in out.splitlines()[-1]
    assert "TOWER GATE FAILED: 1 of 1 checks failed (1 error)" in out
    for word in words:
        assert word in out
    assert no_traceback(out)


def test_tool_not_installed(pytester, gates) -> None:
    result, check = run_gate(pytester, gates, "ruff-not-installed-here")
    assert_errored(result, check, "ruff is not installed", "'ruff-not-installed-here' was not "
                   "found beside", "nor on PATH", "fix: pip install 'ruff")


def test_tool_found_beside_the_interpreter_when_path_lacks_it(pytester, gates, monkeypatch
                                                              ) -> None:
    monkeypatch.setenv("PATH", str(pytester.path / "empty"))
    result, check = run_gate(pytester, gates, "ruff")
    assert check["verdict"] == "passed", result.stdout.str()


def test_a_ruff_earlier_on_path_does_not_replace_the_one_beside_the_interpreter(
        pytester, gates, fake_tool, monkeypatch) -> None:
    fake = fake_tool("ruff", DISCOVERY + "echo '[]'\n")
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ.get('PATH', '')}")
    (pytester.path / "a.py").write_text("import os\n")  # F401 under ruff's defaults
    gates('[lint.ruff]\npaths = ["a.py"]\n')
    report = pytester.path / "report.json"
    result = pytester.runpytest("--tower", f"--tower-report={report}")
    check = read_report(report)["checks"][0]
    assert check["verdict"] == "failed", result.stdout.str()
    assert check["metrics"]["violations[F401]"] == 1


@pytest.mark.parametrize(("said", "words"), [
    ("ruff 0.1.0", ["ruff 0.1.0 (", "is not a supported version: pytest-tower reads ruff>=0.17"]),
    ("ruff 1.0.0", ["ruff 1.0.0 (", "is not a supported version"]),
    ("", ["did not say which version it is"]),
])
def test_a_ruff_outside_the_supported_range_is_an_error(pytester, gates, fake_tool, said,
                                                      words) -> None:
    tool = fake_tool("ruff", f'case "$*" in --version) echo "{said}"; exit 0;; esac\n'
                     + DISCOVERY + "echo '[]'\n")
    result, check = run_gate(pytester, gates, str(tool))
    assert_errored(result, check, *words, "fix: pip install 'ruff>=0.17,<0.18'")


def test_tool_that_hangs_is_stopped_at_the_timeout(pytester, gates, fake_tool) -> None:
    pidfile = pytester.path / "child.pid"
    tool = fake_tool("ruff", DISCOVERY + f"sleep 60 &\necho $! > {pidfile}\nwait\n")
    started = time.monotonic()
    result, check = run_gate(pytester, gates, str(tool), 'timeout = "1s"\n')
    assert time.monotonic() - started < 30  # a guard against hanging, not a benchmark
    assert_errored(result, check, "ruff timed out after 1s and was stopped",
                   "raise `timeout`", "command: ")
    assert process_gone(int(pidfile.read_text()))  # the tool's own child was killed too


def process_gone(pid: int, within: float = 10.0) -> bool:
    """True once pid no longer runs (gone, or a zombie nobody reaped yet)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, IndexError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_tool_that_prints_garbage(pytester, gates, fake_tool) -> None:
    tool = fake_tool("ruff", DISCOVERY + "echo 'all good, trust me'\necho oops >&2\n")
    result, check = run_gate(pytester, gates, str(tool))
    assert_errored(result, check, "ruff printed output that is not its JSON report",
                   "'all good, trust me", "oops")


def test_tool_killed_by_a_signal(pytester, gates, fake_tool) -> None:
    tool = fake_tool("ruff", DISCOVERY + "echo dying >&2\nkill -9 $$\n")
    result, check = run_gate(pytester, gates, str(tool))
    assert_errored(result, check, "ruff was killed by signal SIGKILL", "dying")


def test_exit_code_outside_the_documented_ones(pytester, gates, fake_tool) -> None:
    tool = fake_tool("ruff", DISCOVERY + "echo 'error: bad config' >&2\nexit 2\n")
    result, check = run_gate(pytester, gates, str(tool))
    assert_errored(result, check, "ruff exited with code 2", "expected 0, 1",
                   "error: bad config")


def test_violations_exit_without_any_violation_listed(pytester, gates, fake_tool) -> None:
    tool = fake_tool("ruff", DISCOVERY + "echo '[]'\nexit 1\n")
    result, check = run_gate(pytester, gates, str(tool))
    assert_errored(result, check, "ruff exited 1 (violations) but reported none")


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
