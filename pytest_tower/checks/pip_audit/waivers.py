"""Waivers that expire: `ignore = [{ id, reason, until }]` entries of a check. Pure.

A waiver says who accepted which finding, why, and until when. Without a
reason or a date it is a config error; past its date it waives nothing and
is reported as expired; one that matched nothing is stale and reported so it
gets removed instead of silently waiving a future finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

KEYS = {"id", "reason", "until"}


@dataclass(frozen=True)
class Waiver:
    id: str
    reason: str
    until: date

    def describe(self) -> str:
        return f"{self.id} (until {self.until}: {self.reason})"


def validate(entries: Sequence[Mapping[str, Any]]) -> None:
    """Raise ValueError naming the first malformed entry (a config error)."""
    for number, entry in enumerate(entries, 1):
        where = f"ignore entry {number}"
        unknown = set(entry) - KEYS
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                             "an entry has id, reason and until")
        if not isinstance(entry.get("id"), str) or not entry["id"].strip():
            raise ValueError(f'{where}: `id` must name the finding, e.g. "PYSEC-2023-74"')
        where += f" ({entry['id']})"
        if not isinstance(entry.get("reason"), str) or not entry["reason"].strip():
            raise ValueError(f"{where}: `reason` is required: say why it is acceptable")
        until = entry.get("until")
        if not isinstance(until, date) or isinstance(until, datetime):
            raise ValueError(f"{where}: `until` must be a TOML date such as 2027-03-31 "
                             "(unquoted): every waiver expires")


class Waivers:
    """The waivers of one check on one day; remembers which ones were used."""

    def __init__(self, entries: Iterable[Mapping[str, Any]], today: date) -> None:
        waivers = [Waiver(e["id"], e["reason"], e["until"]) for e in entries]
        self.active = [w for w in waivers if w.until >= today]
        self.expired = [w for w in waivers if w.until < today]
        self._used: set[str] = set()

    def match(self, ids: Iterable[str]) -> tuple[Waiver | None, Waiver | None]:
        """(active waiver, expired waiver) for a finding known by any of `ids`."""
        wanted = set(ids)
        active = next((w for w in self.active if w.id in wanted), None)
        expired = next((w for w in self.expired if w.id in wanted), None)
        self._used.update(w.id for w in (active, expired) if w is not None)
        return active, expired

    def stale(self) -> list[Waiver]:
        """Active waivers that matched no finding so far."""
        return [w for w in self.active if w.id not in self._used]
