"""The collection hooks of a --tower run: gates.toml as items, in pipeline order.

A mixin of TowerSession (run/session.py), kept apart so the session module holds
measuring, recording and the verdict only. It also drops, in a shard run, the
checks another shard runs (run/shard.py), the same way on every xdist worker.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tower.core.fs import write_json_atomic
from pytest_tower.run.items import CheckItem, GatesFile

if TYPE_CHECKING:
    from pytest_tower.core.config import CheckSpec, Pipeline
    from pytest_tower.run.selection import Selection
    from pytest_tower.run.shard import Shard


class CollectionHooks:
    config: pytest.Config
    pipeline: Pipeline
    is_worker: bool
    selection: Selection
    selected: list[str] | None
    cli_dropped: set[str] | None
    hook_deselected: set[str]
    shard: Shard | None
    gates_nodeid: str | None

    if TYPE_CHECKING:  # provided by TowerSession
        @property
        def run_dir(self) -> Path: ...

        def nodeid(self, spec: CheckSpec) -> str: ...

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> GatesFile | None:
        if file_path.resolve() == self.pipeline.path.resolve():
            node: GatesFile = GatesFile.from_parent(parent, path=file_path)
            self.gates_nodeid = node.nodeid  # a gates.toml outside the rootdir included
            return node
        return None

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> Generator[None, None, None]:
        """After every other plugin: --lf brings back what its checks need; file order."""
        collected = list(items)
        self._selection_of_command_line(config, collected)
        result = yield
        if config.getoption("lf", False) and items:
            from pytest_tower.run.selection import with_needs

            items[:] = with_needs(items, collected, self.pipeline)
        if self.shard is not None:
            self._keep_this_shard(config, items)
        from pytest_tower.core.env_config import run_order  # file order, needs first

        order = {spec.id: n for n, spec in enumerate(run_order(self.pipeline))}
        items.sort(key=lambda i: order.get(i.spec.id, -1) if isinstance(i, CheckItem) else -1)
        return result

    def _keep_this_shard(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        from pytest_tower.run.shard import not_here

        shard = self.shard
        assert shard is not None
        dropped = [i for i in items if isinstance(i, CheckItem) and not_here(i.spec, shard)]
        if dropped:
            items[:] = [i for i in items if i not in dropped]
            config.hook.pytest_deselected(items=dropped)

    def shard_dropped(self) -> set[str]:
        """The node ids another shard (or a job of its own) runs: excused here."""
        if self.shard is None:
            return set()
        from pytest_tower.run.shard import not_here

        shard = self.shard
        return {self.nodeid(s) for s in self.pipeline.checks() if not_here(s, shard)}

    def _selection_of_command_line(self, config: pytest.Config, collected: list[Any]) -> None:
        """Which gates -k/-m/--deselect/node ids alone drop (workers tell the controller)."""
        from pytest_tower.run.selection import cli_dropped

        args = (list(config.workerinput.get("tower_selection_args", ()))  # type: ignore[attr-defined]
                if self.is_worker else self.selection.args)
        self.cli_dropped = cli_dropped(config, [self.nodeid(s) for s in self.pipeline.checks()],
                                       collected, args)
        if self.is_worker:
            write_json_atomic(self.run_dir / "cli_dropped.json", sorted(self.cli_dropped))

    def pytest_deselected(self, items: list[Any]) -> None:
        self.hook_deselected.update(i.nodeid for i in items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if session.items or self.selected is None:
            self.selected = [i.nodeid for i in session.items if isinstance(i, CheckItem)]
