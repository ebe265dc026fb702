"""The terminal summary: every check with its conditions, then one verdict line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_tower.verdict import BLOCKED, ERROR, FAILED, PASSED, describe_condition

if TYPE_CHECKING:
    from pytest_tower.session import TowerSession

_STYLE = {PASSED: {"green": True}, FAILED: {"red": True}, ERROR: {"red": True},
          BLOCKED: {"yellow": True}}


def write_summary(tr: Any, tower: TowerSession) -> None:
    tr.write_sep("=", "tower gate")
    outcomes = tower.selected_outcomes()
    width = max((len(f"{o.stage}::{o.check}") for o in outcomes), default=10) + 2
    for o in outcomes:
        label = "ERROR" if o.verdict == ERROR else o.verdict
        tr.write(f"{o.stage}::{o.check}".ljust(width))
        tr.write(f"{label:<8}", bold=True, **_STYLE.get(o.verdict, {}))
        extra = ", ".join(x for x in (o.tool, f"{o.duration_s:.2f}s" if o.duration_s else "") if x)
        tr.write_line(f" {extra}")
        for condition in o.conditions:
            tr.write_line("    " + describe_condition(condition))
        if o.verdict not in (PASSED, FAILED) and o.message:
            first = o.message.splitlines()[0]
            tr.write_line(f"    {first}")
    verdict = tower.verdict
    assert verdict is not None
    tr.write_sep("=", verdict.line, bold=True, green=verdict.passed, red=not verdict.passed)
