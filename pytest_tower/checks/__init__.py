"""The built-in check types, registered through the same hook a third-party plugin uses."""

from __future__ import annotations

import importlib

import pytest

from pytest_tower.core.model import CheckType

# check-type name -> the module that defines its CHECK_TYPE
BUILTIN = {
    "bandit": "pytest_tower.checks.bandit.check",
    "files": "pytest_tower.checks.files",
    "licenses": "pytest_tower.checks.licenses.check",
    "load": "pytest_tower.checks.load.check",
    "package": "pytest_tower.checks.package",
    "pip-audit": "pytest_tower.checks.pip_audit.check",
    "ruff": "pytest_tower.checks.ruff.check",
    "sbom": "pytest_tower.checks.sbom",
    "tests": "pytest_tower.checks.pytest_suite.check",
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
