"""What earlier runs say about one check: its past entries and its typical duration.

Read once per session, lazily (a run that never asks reads nothing), and used as
evidence by whoever plans: the outer scheduler orders gates by how long they took
(run/xdist.py), and the tests check type's `workers = "auto"` picks serial or
parallel from the durations each choice had (checks/pytest_suite/workers.py).
A check that errored or was blocked says nothing about its duration and is left
out; a history that cannot be read is no evidence at all (empty), never an error.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_tower.history.store import read_history

MEASURED = ("passed", "failed")  # verdicts whose duration is the check's real work
RECENT = 3  # runs a typical duration is the median of


class PastRuns:
    """Each check's entries from the history file, oldest first, by the id the report
    gives it: its pytest node id (`gates.toml::unit::tests`), so two gates files that
    share a history keep their evidence apart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._by_check: dict[str, list[dict[str, Any]]] | None = None

    def of(self, check_id: str) -> list[dict[str, Any]]:
        """This check's measured entries (verdict passed or failed), oldest first."""
        if self._by_check is None:
            self._by_check = _index(read_history(self.path) if self.path.is_file() else [])
        return list(self._by_check.get(check_id, []))

    def typical_durations(self, check_ids: Sequence[str]) -> dict[str, float]:
        """The median of each check's last RECENT measured durations (absent: never ran)."""
        typical: dict[str, float] = {}
        for check_id in check_ids:
            durations = [e["duration_s"] for e in self.of(check_id)
                         if isinstance(e.get("duration_s"), int | float)][-RECENT:]
            if durations:
                typical[check_id] = float(statistics.median(durations))
        return typical


def _index(runs: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    by_check: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        for check in run.get("checks") or []:
            if isinstance(check, dict) and check.get("verdict") in MEASURED and check.get("id"):
                by_check.setdefault(str(check["id"]), []).append(check)
    return by_check
