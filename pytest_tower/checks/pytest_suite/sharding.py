"""The `tests` check in a shard run: which share of the items its child pytest runs.

The run (run/shard.py) hands the shard to the check as two run-time options a
gates.toml cannot set, `tower_shard` ("K/N") and `tower_durations` (a JSON file
{node id: seconds}, or ""). The child plugin splits the items and writes what it
collected and kept; this module checks that file against what really ran, so a
shard never reports a share it did not run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest_tower.checks.pytest_suite.results as results
from pytest_tower.checks.pytest_suite.child_plugin import (
    SHARD_DURATIONS_ENV,
    SHARD_ENV,
    SHARD_ITEMS_ENV,
)
from pytest_tower.core.model import ToolError
from pytest_tower.run.shard import DURATIONS_OPTION, SHARD_OPTION

ITEMS_FILE = "shard-items.json"


def child_env(opts: Mapping[str, Any], out: Path) -> dict[str, str | None]:
    """The child's shard variables; unset outside a shard run (never inherited)."""
    shard = str(opts.get(SHARD_OPTION) or "")
    if not shard:
        return dict.fromkeys((SHARD_ENV, SHARD_DURATIONS_ENV, SHARD_ITEMS_ENV))
    return {SHARD_ENV: shard, SHARD_DURATIONS_ENV: str(opts.get(DURATIONS_OPTION) or ""),
            SHARD_ITEMS_ENV: str(out / ITEMS_FILE)}


def verify(opts: Mapping[str, Any], out: Path, suite: results.Suite | None) -> list[str]:
    """Raise ToolError unless the child ran exactly this shard's items; notes to show."""
    shard = str(opts.get(SHARD_OPTION) or "")
    if not shard or suite is None:
        return []
    path = out / ITEMS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        collected, selected = list(data["collected"]), list(data["selected"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if not suite.finished or suite.collect_errors:
            return []  # the child's own trouble says more (check.trouble)
        raise ToolError(f"shard {shard}: the child pytest did not record its share of the "
                        f"tests ({path.name}: {exc}), so what it ran cannot be proven",
                        fix="keep pytest-tower importable in the Python that runs the tests"
                        ) from None
    if data.get("shard") != shard:
        raise ToolError(f"shard {shard}: the child pytest split the tests as shard "
                        f"{data.get('shard')!r}")
    if collected and not selected:
        raise ToolError(f"shard {shard} got none of the {len(collected)} tests (more shards "
                        "than tests can share): nothing was proven", fix="use fewer shards")
    foreign = sorted(set(suite.tests) - set(selected))
    if foreign:
        raise ToolError(f"shard {shard}: {len(foreign)} test(s) ran that belong to another "
                        f"shard, e.g. {foreign[0]} (a plugin or conftest.py re-added them)")
    return [f"shard {shard}: {len(selected)} of {len(collected)} tests, balanced by "
            f"{data.get('balanced_by', 'count')}"]
