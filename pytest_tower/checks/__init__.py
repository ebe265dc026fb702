"""The built-in check types, registered through the same hook a third-party plugin uses."""

from __future__ import annotations

import importlib

import pytest

from pytest_tower.core.model import CheckType

# check-type name -> the module that defines its CHECK_TYPE
BUILTIN = {
    "bandit": "pytest_tower.checks.bandit.check",
    "deps": "pytest_tower.checks.deps",
    "command": "pytest_tower.checks.command.check",
    "files": "pytest_tower.checks.files",
    "junit": "pytest_tower.checks.junit.check",
    "licenses": "pytest_tower.checks.licenses.check",
    "load": "pytest_tower.checks.load.check",
    "mypy": "pytest_tower.checks.mypy",
    "package": "pytest_tower.checks.package",
    "pages": "pytest_tower.checks.pages.check",
    "pip-audit": "pytest_tower.checks.pip_audit.check",
    "ruff": "pytest_tower.checks.ruff.check",
    "sarif": "pytest_tower.checks.sarif.check",
    "sbom": "pytest_tower.checks.sbom",
    "schemathesis": "pytest_tower.checks.schemathesis.check",
    "tests": "pytest_tower.checks.pytest_suite.check",
    "wapiti": "pytest_tower.checks.wapiti.check",
}


def builtin_check_types() -> dict[str, CheckType]:
    """{name: CheckType} of the built-in types: what a report renderer falls back on
    when it is not given the run's check types (a report read back from a file)."""
    return {t.name: t for t in pytest_tower_check_types()}


@pytest.hookimpl
def pytest_tower_check_types() -> list[CheckType]:
    # import_module reads sys.modules, so the CheckType class is the current one
    found = []
    for name, module in BUILTIN.items():
        check_type: CheckType = importlib.import_module(module).CHECK_TYPE
        assert check_type.name == name, (module, check_type.name)
        found.append(check_type)
    return found
