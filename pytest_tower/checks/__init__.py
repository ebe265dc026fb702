"""The built-in check types, registered through the same hook a third-party plugin uses."""

from __future__ import annotations

import importlib

import pytest

from pytest_tower.model import CheckType

BUILTIN = ("bandit", "build", "files", "licenses", "locust", "pip_audit", "pytest_suite", "ruff",
           "sbom")


@pytest.hookimpl
def pytest_tower_check_types() -> list[CheckType]:
    # import_module reads sys.modules, so the CheckType class is the current one
    return [importlib.import_module(f"pytest_tower.checks.{name}").CHECK_TYPE
            for name in BUILTIN]
