"""The shard split is a pure function every runner computes alone: checked with seeded
property loops (no hypothesis) — exactly once, deterministic, order kept, balanced."""

from __future__ import annotations

import random

import pytest

from pytest_tower.checks.pytest_suite.split import loads, split, weigh
from pytest_tower.run.shard import Shard, parse_shard

CASES = 300


def _case(seed: int) -> tuple[list[str], int, dict[str, float]]:
    rng = random.Random(seed)
    ids = [f"tests/test_{rng.randrange(40)}.py::test_{n}" for n in range(rng.randrange(0, 120))]
    ids = list(dict.fromkeys(ids))
    rng.shuffle(ids)
    total = rng.randrange(1, 9)
    known = rng.random()  # some, all or no durations recorded
    durations = {i: rng.choice([0.0, rng.expovariate(2.0), rng.uniform(0, 30)])
                 for i in ids if rng.random() < known}
    return ids, total, durations


@pytest.mark.parametrize("seed", range(0, CASES, 30))
def test_every_item_in_exactly_one_shard(seed: int) -> None:
    for case in range(seed, seed + 30):
        ids, total, durations = _case(case)
        shards = split(ids, total, durations)
        assert len(shards) == total
        flat = [i for shard in shards for i in shard]
        assert sorted(flat) == sorted(ids) and len(flat) == len(set(flat)), case


@pytest.mark.parametrize("seed", range(0, CASES, 30))
def test_deterministic_and_in_collection_order(seed: int) -> None:
    for case in range(seed, seed + 30):
        ids, total, durations = _case(case)
        first = split(ids, total, durations)
        assert split(list(ids), total, dict(reversed(list(durations.items())))) == first
        position = {i: n for n, i in enumerate(ids)}
        for shard in first:
            assert [position[i] for i in shard] == sorted(position[i] for i in shard)


@pytest.mark.parametrize("seed", range(0, CASES, 30))
def test_greedy_balance_bound(seed: int) -> None:
    """Longest-first greedy: no shard exceeds the lightest by more than the heaviest item."""
    for case in range(seed, seed + 30):
        ids, total, durations = _case(case)
        if not ids:
            continue
        times = loads(ids, total, durations)
        heaviest = max(weigh(ids, durations).values())
        assert max(times) - min(times) <= heaviest + 1e-9, case


def test_by_count_without_durations() -> None:
    ids = [f"t{n}" for n in range(10)]
    assert [len(s) for s in split(ids, 4)] == [3, 3, 2, 2]


def test_unknown_items_weigh_the_mean_of_the_known() -> None:
    assert weigh(["a", "b", "c"], {"a": 1.0, "b": 3.0}) == {"a": 1.0, "b": 3.0, "c": 2.0}
    assert weigh(["a"], {"a": float("nan")}) == {"a": 1.0}  # unusable: as if unknown


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="collected twice"):
        split(["a", "b", "a"], 2)


@pytest.mark.parametrize(("text", "env", "shard"), [
    ("2/4", {}, Shard(2, 4)),
    (" 1/1 ", {}, Shard(1, 1)),
    ("auto", {"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "4"}, Shard(3, 4)),
    ("auto", {"TOWER_SHARD": "2/2"}, Shard(2, 2)),
    ("auto", {"TOWER_SHARD": "2/2", "CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "3"}, Shard(1, 3)),
])
def test_parse_shard(text: str, env: dict[str, str], shard: Shard) -> None:
    parsed = parse_shard(text, env)
    assert (parsed.index, parsed.total) == (shard.index, shard.total)


@pytest.mark.parametrize(("text", "env"), [
    ("3/2", {}), ("0/2", {}), ("1/0", {}), ("-1/2", {}), ("1/2/3", {}), ("", {}),
    ("1/1001", {}), ("auto", {}), ("auto", {"CI_NODE_INDEX": "1"}),
    ("auto", {"CI_NODE_INDEX": "x", "CI_NODE_TOTAL": "2"}), ("auto", {"TOWER_SHARD": "auto"}),
])
def test_bad_shards_are_refused(text: str, env: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        parse_shard(text, env)
