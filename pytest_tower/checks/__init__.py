"""The built-in check types, registered through the same hook a third-party plugin uses."""

from __future__ import annotations

import pytest

from pytest_tower.model import CheckType


@pytest.hookimpl
def pytest_tower_check_types() -> list[CheckType]:
    from pytest_tower.checks import (
        bandit,
        build,
        files,
        licenses,
        locust,
        pip_audit,
        pytest_suite,
        ruff,
        sbom,
    )

    return [
        bandit.CHECK_TYPE,
        build.CHECK_TYPE,
        files.CHECK_TYPE,
        licenses.CHECK_TYPE,
        locust.CHECK_TYPE,
        pip_audit.CHECK_TYPE,
        pytest_suite.CHECK_TYPE,
        ruff.CHECK_TYPE,
        sbom.CHECK_TYPE,
    ]
