"""The run's environments, owned by the controller; checks only read them.

Under pytest-xdist session fixtures run once per worker, so a deployment
cannot live in a fixture: the controller (the only process when xdist is
off) deploys an environment as soon as what it needs has passed (the build,
and for a promote-only environment every other gate of the file), rolls it
back once when a check using it fails, and at the end marks it verified (a
promote-only one only when every gate of the run passed) and stops what the
run started. It publishes each environment's state in a small JSON file
of the run folder; a check, in whatever process it runs, waits for that file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_tower.core.conditions import FAIL
from pytest_tower.core.config import CheckSpec, Pipeline
from pytest_tower.core.env_config import BUILD_TOOL, ENV_STAGE, EnvEntry
from pytest_tower.core.fs import write_json_atomic
from pytest_tower.core.names import check_key
from pytest_tower.core.outcome import PASSED, Outcome
from pytest_tower.environments.model import UNCONFIRMED

if TYPE_CHECKING:
    from pytest_tower.environments.base import Environment
    from pytest_tower.report.schema import EnvironmentDict, EventDict

DEPLOYED, FAILED, ROLLED_BACK, NOT_DEPLOYED = "deployed", "failed", "rolled-back", "not-deployed"
WAIT_MARGIN = 600.0  # seconds a check waits for its environment beyond the deploy timeouts


@dataclass
class EnvView:
    """What a check sees of its environment: the deployment, or why there is none."""

    name: str
    status: str
    deployment: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    final_metrics: dict[str, float] | None = None

    @property
    def url(self) -> str:
        return str(self.deployment.get("url", ""))

    def metrics(self) -> dict[str, float]:
        return dict(self.final_metrics or {})


def read_view(run_dir: Path, name: str, *, final: bool, timeout: float) -> EnvView:
    """Wait for the controller to publish `name` (with final metrics if asked)."""
    path = env_file(run_dir, name)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            view = EnvView(**json.loads(path.read_text(encoding="utf-8")))
            if not final or view.final_metrics is not None or view.status != DEPLOYED:
                return view
        time.sleep(0.1)
    return EnvView(name, FAILED, message=f"environment {name!r} was not deployed within "
                   f"{timeout:.0f}s of waiting (see the controller's output)")


def env_file(run_dir: Path, name: str) -> Path:
    return run_dir / "envs" / f"{name}.json"


def _listed(ids: list[str]) -> str:
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "") + (
        " was" if len(ids) == 1 else " were")


class Deployments:
    """Controller side: deploy, roll back, verify, stop; record a timeline."""

    def __init__(self, pipeline: Pipeline, run_dir: Path, promote: bool,
                 nodeid: Callable[[CheckSpec], str], selected: Callable[[], set[str]]) -> None:
        self.pipeline = pipeline
        self.run_dir = run_dir
        self.promote = promote
        self.nodeid = nodeid          # CheckSpec -> node id
        self.selected = selected      # () -> set of selected node ids
        self.envs: dict[str, Environment] = {}  # name -> Environment, once deployed
        self.views: dict[str, EnvView] = {}
        self.events: dict[str, list[EventDict]] = {n: [] for n in pipeline.environments}

    # -- what triggers what -------------------------------------------------
    def update(self, outcomes: Mapping[str, Outcome]) -> None:
        """Called on the controller after each outcome arrives (and once at start)."""
        by_id = {check_key(o.stage, o.check): o for o in outcomes.values()}
        for entry in self.pipeline.environments.values():
            users = self._selected_users(entry)
            if not users:
                continue
            if entry.name not in self.views:
                self._maybe_deploy(entry, users, by_id)
            view = self.views.get(entry.name)
            if view is None or view.status != DEPLOYED:
                continue
            broken = [u for u in users if by_id.get(u.id) and by_id[u.id].verdict != PASSED]
            if broken:
                self._roll_back(entry, broken[0], by_id[broken[0].id])
            elif all(u.id in by_id for u in users if u.stage != ENV_STAGE):
                self._publish_final_metrics(entry)

    def finish(self, outcomes: Mapping[str, Outcome]) -> None:
        """End of run: verify what held, stop what this run started.

        A promote-only environment is verified only when every check of the run
        passed: its release is what the next failure there rolls back to.
        """
        by_id = {check_key(o.stage, o.check): o for o in outcomes.values()}
        failing = [o.id for o in by_id.values() if o.verdict != PASSED]
        for name, env in self.envs.items():
            view = self.views[name]
            entry = self.pipeline.environments[name]
            users = self._selected_users(entry)
            release = view.deployment.get("release")
            held = view.status == DEPLOYED and users and all(
                by_id.get(u.id) is not None and by_id[u.id].verdict == PASSED for u in users)
            if held and entry.promote and failing:
                self._event(name, "not verified", release, (
                    f"{release} is NOT marked verified: {failing[0]} did not pass, and a "
                    "promote-only environment is verified only when every gate passed"))
            elif held:
                try:
                    env.mark_verified()
                    self._event(name, "verified", release, "" if view.deployment.get(
                        "confirmed") else f"verified {release}{UNCONFIRMED}")
                except Exception as exc:  # a broken state file must be heard, not hidden
                    self._event(name, FAILED, view.deployment.get("release"),
                                f"could not mark verified: {exc}")
            if not self.pipeline.environments[name].promote:
                try:
                    env.stop()
                except Exception as exc:
                    self._event(name, FAILED, None, f"could not stop: {exc}")

    def promotion_problem(self) -> str:
        """A promote-only environment that --tower-promote asked for and that was not deployed."""
        for name, entry in self.pipeline.environments.items():
            view = self.views.get(name)
            if entry.promote and self.promote and view is not None and (
                    view.status == NOT_DEPLOYED):
                return (f"--tower-promote asked to deploy {name}, and it was not: "
                        f"{view.message}")
        return ""

    # -- steps --------------------------------------------------------------
    def _maybe_deploy(self, entry: EnvEntry, users: list[CheckSpec],
                      by_id: Mapping[str, Outcome]) -> None:
        # A promote-only environment's checks need every other gate (promote_needs).
        needs = {n.id: n for u in users for ref in u.needs for n in self.pipeline.resolve(ref)
                 if n.environment != entry.name}
        selected = self.selected()
        if entry.promote:  # a complete run only: every check of the file, its own too
            missing = [c.id for c in self.pipeline.checks() if self.nodeid(c) not in selected]
            if missing:
                self._not_deployed(entry.name, (
                    f"not deployed: {entry.name} is only deployed when every gate of "
                    f"gates.toml runs in this session and passes, and {_listed(missing)} not "
                    "selected (a partial run never promotes)"))
                return
        pending = [n for n in needs.values() if self.nodeid(n) in selected and n.id not in by_id]
        if pending:
            return
        failed = [n.id for n in needs.values() if n.id in by_id and by_id[n.id].verdict != PASSED]
        if failed:
            verdict = by_id[failed[0]].verdict
            self._not_deployed(entry.name, f"not deployed: {failed[0]} did not pass ({verdict})"
                               + (f"; {entry.name} is only deployed when every other gate "
                                  "passed" if entry.promote else ""))
            return
        if entry.promote:
            new = [n.id for n in needs.values() if n.id in by_id and any(
                r.get("passed") is None and r.get("level") == FAIL
                for r in by_id[n.id].conditions)]
            if new:
                self._not_deployed(entry.name, (
                    f"not deployed: {new[0]} has a condition with no baseline yet, passed "
                    "only because this run records the baseline (--tower-update-baseline); "
                    "that is not evidence for promotion: promote in a run after it"))
                return
        build = next((n for n in needs.values() if n.check_type.name == BUILD_TOOL), None)
        wheel = (by_id[build.id].artifacts.get("wheel") if build and build.id in by_id else None)
        if not wheel:
            self._publish(EnvView(entry.name, FAILED, message=(
                f"environment {entry.name!r} deploys the wheel built by "
                f"{build.id if build else 'a package check'}, which did not run in this "
                "session: select it too (e.g. -k 'build or ...')")))
            return
        self._deploy(entry, self.pipeline.root / wheel)

    def _not_deployed(self, name: str, message: str) -> None:
        self._event(name, NOT_DEPLOYED, None, message)
        self._publish(EnvView(name, NOT_DEPLOYED, message=message))

    def _deploy(self, entry: EnvEntry, artifact: Path) -> None:
        from pytest_tower.environments import open_environment
        from pytest_tower.environments.model import DeployError, EnvError

        env = open_environment(entry.spec, self.pipeline.root, self.pipeline.root / ".tower"
                               / "envs")
        try:
            deployment = env.deploy(artifact)  # takes the environment's lock itself
        except (DeployError, EnvError, OSError) as exc:
            self.envs[entry.name] = env
            self._event(entry.name, FAILED, None, str(exc))
            self._publish(EnvView(entry.name, FAILED, message=f"deploy failed: {exc}"))
            return
        self.envs[entry.name] = env
        data = deployment.to_dict()
        self._event(entry.name, DEPLOYED, data.get("release"), "" if data.get("confirmed")
                    else f"deployed {data.get('release')}{UNCONFIRMED}")
        self._publish(EnvView(entry.name, DEPLOYED, data))

    def _roll_back(self, entry: EnvEntry, user: CheckSpec, outcome: Outcome) -> None:
        from pytest_tower.environments.model import EnvError, RollbackError

        env, view = self.envs[entry.name], self.views[entry.name]
        reason = f"{user.stage}.{user.name} {outcome.verdict}"
        try:
            result = env.rollback(reason)  # takes the environment's lock itself
        except (RollbackError, EnvError, OSError) as exc:
            message = f"ROLLBACK FAILED for {entry.name}: {exc}"
            self._event(entry.name, FAILED, view.deployment.get("release"), message)
            self._publish(EnvView(entry.name, FAILED, view.deployment, message))
            return
        message = result.message  # says when the target did not confirm the release
        self._event(entry.name, ROLLED_BACK, result.from_release, message,
                    rollback=(result.to_release, result.seconds))
        self._publish(EnvView(entry.name, ROLLED_BACK, view.deployment, message,
                              dict(env.metrics())))

    def _publish_final_metrics(self, entry: EnvEntry) -> None:
        view = self.views[entry.name]
        if view.final_metrics is None:
            view.final_metrics = dict(self.envs[entry.name].metrics())
            self._publish(view)

    def _publish(self, view: EnvView) -> None:
        self.views[view.name] = view
        write_json_atomic(env_file(self.run_dir, view.name), view.__dict__)

    def _event(self, name: str, status: str, release: str | None, reason: str = "",
               rollback: tuple[str | None, float] | None = None) -> None:
        """`rollback`: the release serving again (None: kept) and the seconds it took."""
        event: EventDict = {"status": status, "release": release, "reason": reason,
                            "at": datetime.now(UTC).isoformat()}
        if rollback is not None:
            event["to_release"], event["seconds"] = rollback
        self.events[name].append(event)

    def _selected_users(self, entry: EnvEntry) -> list[CheckSpec]:
        if entry.promote and not self.promote:
            return []
        selected = self.selected()
        return [c for c in self.pipeline.checks()
                if c.environment == entry.name and self.nodeid(c) in selected]

    # -- the report -----------------------------------------------------------
    def report(self) -> list[EnvironmentDict]:
        out: list[EnvironmentDict] = []
        for name, entry in self.pipeline.environments.items():
            view = self.views.get(name)
            out.append({
                "env": name, "strategy": entry.spec.strategy, "promote": entry.promote,
                "status": view.status if view else "not used",
                "url": view.url if view else None,
                "release": view.deployment.get("release") if view else None,
                # whether the target itself showed that this release serves (release_check)
                "confirmed": bool(view.deployment.get("confirmed")) if view else None,
                "message": view.message if view else "",
                "events": self.events[name],
                "metrics": dict(self.envs[name].metrics()) if name in self.envs else {},
            })
        return out
