"""pytest hooks for environments: registered only when gates.toml declares some.

Selection (production only with --tower-promote), when to deploy and roll
back (after each outcome, on the controller), and what a check that uses an
environment gets to see (in whatever process it runs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_tower.core.env_config import ENV_STAGE
from pytest_tower.core.outcome import BLOCKED, ERROR
from pytest_tower.environments.deployments import (
    DEPLOYED,
    WAIT_MARGIN,
    Deployments,
    EnvView,
    read_view,
)
from pytest_tower.run.items import CheckItem

if TYPE_CHECKING:
    from pytest_tower.core.config import CheckSpec
    from pytest_tower.report.schema import EnvironmentDict
    from pytest_tower.run.session import TowerSession


class EnvironmentHooks:
    def __init__(self, tower: TowerSession) -> None:
        self.tower = tower
        self.promote = bool(tower.config.getoption("tower_promote"))
        self.deployments = None if tower.is_worker else Deployments(
            tower.pipeline, tower.run_dir, self.promote, tower.nodeid,
            lambda: set(tower.selected or ()))

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[Any]) -> None:
        """Without --tower-promote, production (promote-only) is never touched."""
        if self.promote:
            return
        envs = self.tower.pipeline.environments
        drop = [i for i in items if isinstance(i, CheckItem) and i.spec.environment
                and envs[i.spec.environment].promote]
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = [i for i in items if i not in drop]

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Any:
        self.update()  # an environment whose needs were all deselected still gets its say
        return (yield)

    @pytest.hookimpl(trylast=True)  # after TowerSession stored the outcome
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when in ("teardown", "???") or (report.failed and report.when != "call"):
            self.update()

    def update(self) -> None:
        if self.deployments is not None:
            self.deployments.update(self.tower.outcomes)

    def finish(self) -> None:
        if self.deployments is not None:
            self.deployments.finish(self.tower.outcomes)

    def promotion_problem(self) -> str:
        """Why a promote-only environment was not deployed although promotion was asked."""
        if self.deployments is None:
            return ""
        return self.deployments.promotion_problem()

    def report(self) -> list[EnvironmentDict]:
        return self.deployments.report() if self.deployments is not None else []

    def view(self, spec: CheckSpec) -> tuple[EnvView | None, tuple[str, str] | None]:
        """The environment a check tests, or (verdict, why) when it cannot be tested."""
        assert spec.environment is not None
        final = spec.stage == ENV_STAGE
        view = read_view(self.tower.run_dir, spec.environment, final=final,
                         timeout=spec.timeout + WAIT_MARGIN)
        if view.status == DEPLOYED or (final and view.final_metrics is not None):
            return view, None
        if view.status == "failed":
            return None, (ERROR, f"could not measure: {view.message}")
        return None, (BLOCKED, f"blocked: {view.message}")

    def summary_lines(self) -> list[str]:
        lines = []
        for env in self.report():
            events = [e["reason"] or f"{e['status']} {e['release']}" for e in env["events"]]
            if env["status"] == "not used" and env["promote"] and not self.promote:
                events = ["not deployed: production is only touched with --tower-promote"]
            for event in events:
                lines.append(f"{env['env']}: {event}")
        return lines
