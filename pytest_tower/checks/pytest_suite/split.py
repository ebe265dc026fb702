"""Which test items a shard K of N runs: a pure function of the item ids and durations.

Every shard computes the split on its own, on its own runner, so it must be
deterministic for the same inputs (ids, N, durations) and put every item in
exactly one shard. Balanced greedily, longest first (the LPT rule pytest-split's
"least_duration" uses): an item without a recorded duration counts as the mean
of the known ones, and with no durations at all every item weighs the same
(balanced by count). Hand-written because pytest-split and pytest-shard are
plugins with their own command line, not functions; the rule is ten lines.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence


def split(ids: Sequence[str], total: int, durations: Mapping[str, float] | None = None
          ) -> list[list[str]]:
    """`total` lists of ids, each in collection order; together exactly `ids`, once each.

    Duplicate ids (pytest never yields two items with one node id) are refused,
    since "ran exactly once" could not be told apart for them.
    """
    if total < 1:
        raise ValueError(f"a split needs at least 1 shard, got {total}")
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"the same test id collected twice: {', '.join(twice[:3])}")
    weights = weigh(ids, durations or {})
    heap = [(0.0, shard) for shard in range(total)]  # (load, shard): ties go to the lowest
    owner: dict[str, int] = {}
    for nodeid in sorted(ids, key=lambda i: (-weights[i], i)):
        load, shard = heapq.heappop(heap)
        owner[nodeid] = shard
        heapq.heappush(heap, (load + weights[nodeid], shard))
    shards: list[list[str]] = [[] for _ in range(total)]
    for nodeid in ids:
        shards[owner[nodeid]].append(nodeid)
    return shards


def weigh(ids: Sequence[str], durations: Mapping[str, float]) -> dict[str, float]:
    """Each id's weight: its duration, the mean of the known ones, or 1 with none known."""
    known = [float(durations[i]) for i in ids if _usable(durations.get(i))]
    default = sum(known) / len(known) if known else 1.0
    return {i: float(durations[i]) if _usable(durations.get(i)) else default for i in ids}


def _usable(value: object) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and 0.0 <= float(value) < float("inf"))


def loads(ids: Sequence[str], total: int, durations: Mapping[str, float] | None = None
          ) -> list[float]:
    """The expected time of each shard (for the bench and the shard's notes)."""
    weights = weigh(ids, durations or {})
    return [sum(weights[i] for i in shard) for shard in split(ids, total, durations)]
