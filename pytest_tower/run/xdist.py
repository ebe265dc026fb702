"""Spread gate items over pytest-xdist workers without breaking `needs`.

Provided through xdist's own `pytest_xdist_make_scheduler` hook. Items are
sent in one fixed order: checks with no needs first (so lint and security
never queue behind a long test stage), each check after everything it needs,
file order breaking ties. A worker that gets a check whose needs are still
running elsewhere waits for their outcome (see TowerSession.need_verdicts).
Because every worker's queue follows one topological order, no two workers
can wait on each other.

xdist's worker runs an item only once it knows the next one (or shutdown), so
each worker is kept two items deep, and every worker is shut down as soon as
nothing is left to send. XdistControllerHooks (the controller's xdist-only
hooks) installs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tower.core.config import Pipeline
from pytest_tower.core.names import check_key

if TYPE_CHECKING:
    from pytest_tower.run.session import TowerSession

QUEUE_DEPTH = 2


def dispatch_order(collection: Sequence[str], pipeline: Pipeline) -> list[int]:
    """Indices of `collection` (node ids) ordered by needs depth, then file order."""
    specs = {check_key(c.stage, c.name): c for c in pipeline.checks()}
    depth: dict[str, int] = {}

    def depth_of(key: str) -> int:
        if key not in depth:
            spec = specs[key]
            needed = [n.id for ref in spec.needs for n in pipeline.resolve(ref)]
            depth[key] = 1 + max((depth_of(n) for n in needed), default=-1)
        return depth[key]

    keys = ["::".join(nodeid.split("::")[-2:]) for nodeid in collection]
    return sorted(range(len(collection)), key=lambda i: (depth_of(keys[i]), i))


class TowerScheduling:
    """An xdist scheduler (see xdist/scheduler/protocol.py) for gate items."""

    def __init__(self, config: pytest.Config, log: Any, pipeline: Pipeline) -> None:
        from xdist.workermanage import parse_tx_spec_config

        self.config = config
        self.log = log.towersched if log is not None else (lambda *a: None)
        self.pipeline = pipeline
        self.numnodes = len(parse_tx_spec_config(config))
        self.node2collection: dict[Any, list[str]] = {}
        self.node2pending: dict[Any, list[int]] = {}
        self.collection: list[str] | None = None
        self.pending: list[int] = []
        self.shut: set[Any] = set()

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
            self.pending = dispatch_order(self.collection, self.pipeline)
            self.log("dispatch order:", [self.collection[i] for i in self.pending])
        for depth in range(1, QUEUE_DEPTH + 1):  # round-robin: one item each, then a second
            for node in self.nodes:
                self._feed(node, depth)

    def _feed(self, node: Any, depth: int = QUEUE_DEPTH) -> None:
        if node in self.shut:
            return
        queued = self.node2pending[node]
        while self.pending and len(queued) < depth:
            index = self.pending.pop(0)
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
        return TowerScheduling(config, log, self.tower.pipeline)

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.tower.selected = list(ids)
