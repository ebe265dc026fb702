"""A gate imports only the check types its gates.toml uses (start-up cost)."""

from __future__ import annotations

import pytest

RECORD_MODULES = """
import sys

def pytest_unconfigure(config):
    with open("modules.txt", "w") as fh:
        fh.write("\\n".join(sorted(m for m in sys.modules if m.startswith("pytest_tower"))))
"""


def test_a_lint_only_gate_imports_no_other_check_type(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(RECORD_MODULES)
    pytester.makepyfile(a="X = 1\n")
    pytester.makefile(".toml", gates='[lint.ruff]\npaths = ["a.py"]\n')
    result = pytester.runpytest_subprocess("--tower", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    loaded = set((pytester.path / "modules.txt").read_text().split())
    assert "pytest_tower.checks.ruff.check" in loaded
    for other in ("bandit.check", "licenses.spdx", "pip_audit.check", "pytest_suite.check",
                  "load.check", "sbom", "package"):
        assert f"pytest_tower.checks.{other}" not in loaded, other
    assert "pytest_tower.environments.base" not in loaded  # no environments in this file


def test_an_unknown_tool_still_lists_every_builtin_type(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", gates='[lint.ruf]\npaths = ["."]\n')
    result = pytester.runpytest_subprocess("--tower", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert "Did you mean 'ruff'?" in err
    for name in ("bandit", "files", "licenses", "load", "package", "pip-audit", "sbom", "tests"):
        assert name in err
