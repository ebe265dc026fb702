"""Waivers that expire: `ignore = [{ id, reason, until }]` entries of a check. Pure.

A waiver says who accepted which finding, why, and until when. Without a
reason or a date it is a config error; past its date it waives nothing and
is reported as expired; one that matched nothing is stale and reported so it
gets removed instead of silently waiving a future finding.

A check type whose findings have a place (an API operation, a URL) may let a
waiver name it too: `scope_key` (e.g. `operation`) is then an optional key of
an entry, a glob (`POST /tasks*`) matched against that place, so accepting a
finding in one operation never waives the same kind of finding in another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fnmatch import fnmatchcase
from typing import Any

KEYS = {"id", "reason", "until"}


@dataclass(frozen=True)
class Waiver:
    id: str
    reason: str
    until: date
    where: str = ""
    """A glob on the finding's place (operation, URL); empty: every place."""

    def describe(self) -> str:
        at = f" at {self.where}" if self.where else ""
        return f"{self.id}{at} (until {self.until}: {self.reason})"

    def covers(self, ids: Iterable[str], places: Iterable[str]) -> bool:
        if self.id not in set(ids):
            return False
        return not self.where or any(fnmatchcase(p, self.where) for p in places)


def validate(entries: Sequence[Mapping[str, Any]], *, scope_key: str = "",
             example: str = "PYSEC-2023-74") -> None:
    """Raise ValueError naming the first malformed entry (a config error)."""
    keys = KEYS | ({scope_key} if scope_key else set())
    for number, entry in enumerate(entries, 1):
        where = f"ignore entry {number}"
        unknown = set(entry) - keys
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                             f"an entry has {', '.join(sorted(keys))}")
        if not isinstance(entry.get("id"), str) or not entry["id"].strip():
            raise ValueError(f'{where}: `id` must name the finding, e.g. "{example}"')
        where += f" ({entry['id']})"
        if not isinstance(entry.get("reason"), str) or not entry["reason"].strip():
            raise ValueError(f"{where}: `reason` is required: say why it is acceptable")
        until = entry.get("until")
        if not isinstance(until, date) or isinstance(until, datetime):
            raise ValueError(f"{where}: `until` must be a TOML date such as 2027-03-31 "
                             "(unquoted): every waiver expires")
        if scope_key in entry and (not isinstance(entry[scope_key], str)
                                   or not entry[scope_key].strip()):
            raise ValueError(f"{where}: `{scope_key}` must be a non-empty pattern "
                             "(a glob, * matches anything); leave it out to match everywhere")


class Waivers:
    """The waivers of one check on one day; remembers which ones were used."""

    def __init__(self, entries: Iterable[Mapping[str, Any]], today: date, *,
                 scope_key: str = "") -> None:
        waivers = [Waiver(e["id"], e["reason"], e["until"],
                          str(e.get(scope_key, "")) if scope_key else "") for e in entries]
        self.active = [w for w in waivers if w.until >= today]
        self.expired = [w for w in waivers if w.until < today]
        self._used: set[Waiver] = set()

    def match(self, ids: Iterable[str], places: Iterable[str] = ()
              ) -> tuple[Waiver | None, Waiver | None]:
        """(active waiver, expired waiver) for a finding known by any of `ids`, found at any
        of `places` (a waiver without a place matches everywhere)."""
        wanted, at = list(ids), list(places)
        active = next((w for w in self.active if w.covers(wanted, at)), None)
        expired = next((w for w in self.expired if w.covers(wanted, at)), None)
        self._used.update(w for w in (active, expired) if w is not None)
        return active, expired

    def stale(self) -> list[Waiver]:
        """Active waivers that matched no finding so far."""
        return [w for w in self.active if w not in self._used]
