"""Hooks pytest-tower offers to other plugins (added in pytest_addhooks)."""

from __future__ import annotations

import pytest


@pytest.hookspec
def pytest_tower_check_types() -> list:  # type: ignore[type-arg]
    """Return a list of `pytest_tower.CheckType` this plugin provides.

    Called once per run with --tower. The built-in check types register
    through this same hook (see `pytest_tower.checks`); a name registered
    twice is a usage error.
    """
