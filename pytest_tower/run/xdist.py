"""Spread gate items over pytest-xdist workers without breaking `needs`.

Provided through xdist's own `pytest_xdist_make_scheduler` hook. Items are
sent in one fixed order, longest path first: each check's priority is its
typical duration (the history's median of its last runs; a check with none is
taken to be as long as the longest known) plus the longest priority among the
checks that need it. So a long test stage, or the start of a long chain
(build -> deploy -> load test), starts at once and short checks fill the other
workers around it, instead of the file order leaving the long one for last.
Ties (no history at all) keep needs depth, then file order. A check's priority
is never below that of a check needing it, so the order is topological: a worker
that gets a check whose needs are still running elsewhere waits for their
outcome (see TowerSession.need_verdicts), and because every worker's queue
follows one topological order, no two workers can wait on each other.

xdist's worker runs an item only once it knows the next one (or shutdown), so
each worker is kept two items deep, and every worker is shut down as soon as
nothing is left to send. The item sent behind a running one is committed to
that worker; so, with durations known, a worker that will be busy longer than
another gets the shortest item it may take (one whose needs are all sent), and
the next in line waits for the worker that frees first: a short check does not
sit behind a long one while another worker idles. XdistControllerHooks (the controller's xdist-only
hooks) installs it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tower.core.config import Pipeline
from pytest_tower.core.names import check_key

if TYPE_CHECKING:
    from pytest_tower.run.session import TowerSession

QUEUE_DEPTH = 2


def dispatch_order(collection: Sequence[str], pipeline: Pipeline,
                   durations: Mapping[str, float] | None = None) -> list[int]:
    """Indices of `collection` (node ids): longest path first (see the module), then
    needs depth, then file order. `durations`: check id -> typical seconds."""
    specs = {check_key(c.stage, c.name): c for c in pipeline.checks()}
    needs = {key: [n.id for ref in spec.needs for n in pipeline.resolve(ref)]
             for key, spec in specs.items()}
    needed_by: dict[str, list[str]] = {key: [] for key in specs}
    for key, needed in needs.items():
        for other in needed:
            needed_by[other].append(key)
    known = dict(durations or {})
    unknown = max(known.values(), default=0.0)
    depth: dict[str, int] = {}
    priority: dict[str, float] = {}

    def depth_of(key: str) -> int:
        if key not in depth:
            depth[key] = 1 + max((depth_of(n) for n in needs[key]), default=-1)
        return depth[key]

    def priority_of(key: str) -> float:
        if key not in priority:
            after = max((priority_of(k) for k in needed_by[key]), default=0.0)
            priority[key] = max(known.get(key, unknown), 0.0) + after
        return priority[key]

    keys = ["::".join(nodeid.split("::")[-2:]) for nodeid in collection]
    return sorted(range(len(collection)),
                  key=lambda i: (-priority_of(keys[i]), depth_of(keys[i]), i))


def expected_seconds(collection: Sequence[str], durations: Mapping[str, float]) -> list[float]:
    """Each item's typical duration; one with no history counts as the longest known."""
    unknown = max(durations.values(), default=0.0)
    return [max(durations.get("::".join(n.split("::")[-2:]), unknown), 0.0) for n in collection]


def needed_indices(collection: Sequence[str], pipeline: Pipeline) -> list[set[int]]:
    """For each item, the indices of the items it needs (those collected)."""
    index = {"::".join(n.split("::")[-2:]): i for i, n in enumerate(collection)}
    specs = {check_key(c.stage, c.name): c for c in pipeline.checks()}
    needed: list[set[int]] = []
    for nodeid in collection:
        spec = specs["::".join(nodeid.split("::")[-2:])]
        refs = [n.id for ref in spec.needs for n in pipeline.resolve(ref)]
        needed.append({index[r] for r in refs if r in index})
    return needed


class TowerScheduling:
    """An xdist scheduler (see xdist/scheduler/protocol.py) for gate items."""

    def __init__(self, config: pytest.Config, log: Any, pipeline: Pipeline,
                 durations: Mapping[str, float] | None = None) -> None:
        from xdist.workermanage import parse_tx_spec_config

        self.config = config
        self.log = log.towersched if log is not None else (lambda *a: None)
        self.pipeline = pipeline
        self.durations = durations or {}
        self.numnodes = len(parse_tx_spec_config(config))
        self.node2collection: dict[Any, list[str]] = {}
        self.node2pending: dict[Any, list[int]] = {}
        self.collection: list[str] | None = None
        self.pending: list[int] = []
        self.shut: set[Any] = set()
        self.expected: list[float] = []  # per collection index, from the history
        self.needed: list[set[int]] = []
        self.head_started: dict[Any, float] = {}  # when each worker's first queued item began

    @property
    def nodes(self) -> list[Any]:
        return list(self.node2pending)

    @property
    def collection_is_completed(self) -> bool:
        return len(self.node2collection) >= self.numnodes

    @property
    def tests_finished(self) -> bool:
        if not self.collection_is_completed or self.pending:
            return False
        return not any(self.node2pending.values())

    @property
    def has_pending(self) -> bool:
        return bool(self.pending) or any(self.node2pending.values())

    def add_node(self, node: Any) -> None:
        assert node not in self.node2pending
        self.node2pending[node] = []

    def add_node_collection(self, node: Any, collection: Sequence[str]) -> None:
        assert node in self.node2pending
        if self.collection is not None and list(collection) != self.collection:
            from xdist.report import report_collection_diff

            raise RuntimeError(report_collection_diff(
                self.collection, list(collection), "first worker", node.gateway.id))
        self.node2collection[node] = list(collection)

    def mark_test_complete(self, node: Any, item_index: int, duration: float = 0) -> None:
        self.node2pending[node].remove(item_index)
        self.head_started[node] = time.monotonic()
        self._feed(node)

    def mark_test_pending(self, item: str) -> None:
        raise NotImplementedError("pytest-tower's scheduler does not re-queue items")

    def remove_pending_tests_from_node(self, node: Any, indices: Sequence[int]) -> None:
        raise NotImplementedError("pytest-tower's scheduler never steals items")

    def remove_node(self, node: Any) -> str | None:
        """A worker went away: its running item crashed, the rest go back in line."""
        pending = self.node2pending.pop(node)
        self.shut.discard(node)
        if not pending or self.collection is None:
            return None
        self.pending[:0] = pending[1:]
        return self.collection[pending[0]]

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.collection is None:
            self.collection = next(iter(self.node2collection.values()))
            self.pending = dispatch_order(self.collection, self.pipeline, self.durations)
            self.log("dispatch order:", [self.collection[i] for i in self.pending])
            if self.durations:
                self.expected = expected_seconds(self.collection, self.durations)
                self.needed = needed_indices(self.collection, self.pipeline)
        now = time.monotonic()
        for node in self.nodes:
            self.head_started.setdefault(node, now)
        for node in self.nodes:  # one item each, then a second: the first to free first
            self._feed(node, 1)
        for node in sorted(self.nodes, key=self._free_at):
            self._feed(node)

    def _free_at(self, node: Any) -> float:
        """When this worker is expected to have run everything it holds."""
        queued = self.node2pending.get(node, [])
        if not queued or not self.expected:
            return self.head_started.get(node, 0.0)
        return self.head_started[node] + sum(self.expected[i] for i in queued)

    def _next_for(self, node: Any) -> int:
        """The head of the line, unless this worker is busier than another that is up:
        then the shortest item it may take (all its needs already sent)."""
        queued = self.node2pending[node]
        if queued and self.expected:
            mine = self._free_at(node)
            if any(self._free_at(o) < mine for o in self.nodes
                   if o is not node and o not in self.shut):
                sent = set(range(len(self.expected))) - set(self.pending)
                ready = [i for i in self.pending if self.needed[i] <= sent]
                if ready:
                    pick = min(reversed(ready), key=lambda i: self.expected[i])
                    self.pending.remove(pick)
                    return pick
        return self.pending.pop(0)

    def _feed(self, node: Any, depth: int = QUEUE_DEPTH) -> None:
        if node in self.shut:
            return
        queued = self.node2pending[node]
        while self.pending and len(queued) < depth:
            index = self._next_for(node)
            queued.append(index)
            node.send_runtest_some([index])
        if not self.pending:
            for other in self.nodes:  # release every worker's held last item
                if other not in self.shut:
                    self.shut.add(other)
                    other.shutdown()


class XdistControllerHooks:
    """xdist-only hooks, registered only when xdist is active (unknown hooks otherwise)."""

    def __init__(self, tower: TowerSession) -> None:
        self.tower = tower

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["tower_run_id"] = self.tower.run_id
        # node ids on the command line select gates on the workers too
        node.workerinput["tower_selection_args"] = list(self.tower.selection.args)

    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> TowerScheduling:
        pipeline = self.tower.pipeline
        # the history records each gate by its node id (its gates file's path included)
        ids = {self.tower.nodeid(spec): spec.id for spec in pipeline.checks()}
        typical = self.tower.past.typical_durations(list(ids))
        durations = {ids[nodeid]: seconds for nodeid, seconds in typical.items()}
        return TowerScheduling(config, log, pipeline, durations)

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.tower.selected = list(ids)
