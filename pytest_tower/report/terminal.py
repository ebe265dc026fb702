"""The terminal summary: every check with its conditions, then one verdict line."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

import pytest

from pytest_tower.core.names import check_key
from pytest_tower.core.outcome import BLOCKED, ERROR, FAILED, PASSED
from pytest_tower.report.text import condition_line

if TYPE_CHECKING:
    from pytest_tower.run.session import TowerSession

_STYLE: dict[str, dict[str, bool]] = {
    PASSED: {"green": True}, FAILED: {"red": True}, ERROR: {"red": True},
    BLOCKED: {"yellow": True}}


def write_summary(tr: pytest.TerminalReporter, tower: TowerSession) -> None:
    tr.write_sep("=", "tower gate")
    outcomes = tower.selected_outcomes()
    width = max((len(check_key(o.stage, o.check)) for o in outcomes), default=10) + 2
    for o in outcomes:
        label = "ERROR" if o.verdict == ERROR else o.verdict
        tr.write(check_key(o.stage, o.check).ljust(width))
        tr.write(f"{label:<8}", bold=True, **_STYLE.get(o.verdict, {}))
        extra = ", ".join(x for x in (o.tool, f"{o.duration_s:.2f}s" if o.duration_s else "") if x)
        tr.write_line(f" {extra}")
        for condition in o.conditions:
            tr.write_line("    " + condition_line(condition))
        if o.verdict not in (PASSED, FAILED) and o.message:
            first = o.message.splitlines()[0]
            tr.write_line(f"    {first}")
        for note in o.notes:  # stale waivers and the like: worth a look even on a pass
            tr.write_line(f"     note  {note}")
    if tower.env_hooks is not None:
        for line in tower.env_hooks.summary_lines():
            tr.write_line(line, bold=True)
    if tower.baseline_source and not tower.is_worker:
        tr.write_line(f"baseline: {tower.baseline_source}")
    if tower.baseline_message:
        tr.write_line(tower.baseline_message)
    for line in tower.publish_lines:
        tr.write_line(line)
    for note in tower.selection.notes:
        tr.write_line(f"tower: {note}")
    for error in tower.internal_errors:
        tr.write_line(f"tower: gate error: {error}", red=True)
    passed = tower.status() == PASSED
    tr.write_sep("=", tower.line(), bold=True, green=passed, red=not passed)


class ProgressLine:
    """Live progress of one check: rewritten in place on a terminal, else plain lines.

    Plain lines (CI, pipes) are throttled to one every PLAIN_EVERY seconds.
    """

    PLAIN_EVERY = 5.0

    def __init__(self, tr: pytest.TerminalReporter) -> None:
        self.tr = tr
        self.in_place = bool(getattr(tr, "isatty", False)) and not os.environ.get("CI")
        self.started = False
        self.last = -self.PLAIN_EVERY

    def __call__(self, line: str) -> None:
        if self.in_place:
            if not self.started:
                self.tr.write("\n")
                self.started = True
            self.tr.rewrite(f"    {line}", erase=True)
        elif time.monotonic() - self.last >= self.PLAIN_EVERY:
            self.last = time.monotonic()
            self.tr.write_line(f"    {line}")

    def close(self) -> None:
        if self.started:
            self.tr.write("\n")
