"""The required-files gate on tmp projects."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import no_traceback, read_report

GATE = """
    [compliance.files]
    required = ["LICENSE*", "README.md", "SECURITY.md", "docs/*.md"]
"""


def run_gate(pytester: pytest.Pytester) -> tuple[pytest.RunResult, dict[str, Any]]:
    result = pytester.runpytest("--tower", "-p", "no:cacheprovider", "--tower-report", "r.json")
    return result, read_report(pytester.path / "r.json")["checks"][0]


def test_all_present_passes(pytester, gates) -> None:
    pytester.makefile("", LICENSE_MIT="MIT License\n")
    pytester.makefile(".md", README="# x\n", SECURITY="mail us\n")
    (pytester.path / "docs").mkdir()
    (pytester.path / "docs" / "guide.md").write_text("# guide\n")
    gates(GATE)
    result, check = run_gate(pytester)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert check["metrics"] == {"missing": 0, "present": 4}
    assert "TOWER GATE PASSED" in result.stdout.str()


def test_missing_and_empty_files_are_listed_by_name(pytester, gates) -> None:
    pytester.makefile(".md", README="# x\n", SECURITY="")
    gates(GATE)
    result, check = run_gate(pytester)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert check["verdict"] == "failed"
    assert check["metrics"] == {"missing": 3, "present": 1}
    root = pytester.path
    result.stdout.fnmatch_lines([
        "findings (3):",
        f"  LICENSE* missing no file matches under {root}",
        "  SECURITY.md missing is empty",
        f"  docs/*.md missing no file matches under {root}",
    ])
    assert "TOWER GATE FAILED" in result.stdout.str()
    assert no_traceback(result.stdout.str())


@pytest.mark.parametrize(
    ("required", "message"),
    [("[]", "`required` is empty"), ('["../LICENSE"]', "must be a path or glob relative"),
     ('["/etc/passwd"]', "must be a path or glob relative")],
)
def test_bad_required_is_a_config_error(pytester, gates, required: str, message: str) -> None:
    gates(f"[compliance.files]\nrequired = {required}\n")
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "[compliance.files]" in result.stderr.str()
    assert message in result.stderr.str()


def test_required_must_be_given(pytester, gates) -> None:
    gates("[compliance.files]\n")
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "required: missing required option" in result.stderr.str()
