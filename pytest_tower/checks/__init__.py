"""The built-in check types, registered through the same hook a third-party plugin uses."""

from __future__ import annotations

import pytest

from pytest_tower.model import CheckType


@pytest.hookimpl
def pytest_tower_check_types() -> list[CheckType]:
    from pytest_tower.checks import ruff

    return [ruff.CHECK_TYPE]
