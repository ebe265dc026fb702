"""Hooks pytest-tower offers to other plugins (added in pytest_addhooks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_tower.core.model import CheckType


@pytest.hookspec
def pytest_tower_check_types() -> list[CheckType] | None:
    """Return a list of `pytest_tower.CheckType` this plugin provides.

    Called once per run with --tower. The built-in check types register
    through this same hook (see `pytest_tower.checks`); a name registered
    twice is a usage error. Returning None (nothing to offer) is allowed.
    """
    return None
