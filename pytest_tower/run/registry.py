"""Collect the check types every plugin registers into one name -> CheckType map."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_tower.core.model import CheckType


def collect_check_types(config: pytest.Config) -> dict[str, CheckType]:
    """Ask every plugin for its check types; a duplicate name is a usage error."""
    found: dict[str, CheckType] = {}
    for batch in config.hook.pytest_tower_check_types():
        for check_type in batch or []:
            _validate(check_type)
            if check_type.name in found:
                raise pytest.UsageError(
                    f"pytest-tower: two plugins register the check type {check_type.name!r}"
                )
            found[check_type.name] = check_type
    return found


def _validate(check_type: Any) -> None:
    if not isinstance(check_type, CheckType):
        raise pytest.UsageError(
            f"pytest-tower: pytest_tower_check_types returned {check_type!r}, "
            "which is not a pytest_tower.CheckType"
        )
