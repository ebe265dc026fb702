"""What every strategy shares: state, lock, verification, monitoring, metrics."""

from __future__ import annotations

import hashlib
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_tower.core.env_spec import EnvironmentSpec
from pytest_tower.environments.model import (
    Deployment,
    EnvError,
    RollbackError,
    RollbackResult,
)
from pytest_tower.environments.procs import Monitor, interrupts_raise
from pytest_tower.environments.state import ROLLED_BACK, VERIFIED, EnvState, env_lock, now

if TYPE_CHECKING:
    from pytest_tower.environments.on_demand import OnDemand


class Environment:
    """A deploy target. Subclasses implement deploy, rollback, stop and _probe."""

    monitor_interval = 1.0

    def __init__(self, spec: EnvironmentSpec, root: Path, state_dir: Path) -> None:
        self.spec = spec
        self.name = spec.name
        self.options = spec.options
        self.root = Path(root).resolve()
        self.folder = Path(state_dir).resolve() / spec.name
        self.state = EnvState(self.folder)
        self.timings: dict[str, float] = {}
        self.rollback_seconds = 0.0
        self._monitor: Monitor | None = None
        self._health_failures = 0

    # -- the API the session calls ------------------------------------------
    def deploy(self, artifact: Path) -> Deployment:
        raise NotImplementedError

    def rollback(self, reason: str, on_demand: OnDemand | None = None) -> RollbackResult:
        """Back to the last verified release. The frame every strategy shares: the lock,
        on_failure = "keep", no earlier release, the failed one's status and the timing;
        the strategy's `_roll_back` does the switch.

        `on_demand` (a person's `--tower-rollback`): no waiting for the lock, no
        on_failure = "keep", the target is the verified release before the current one
        (or the one named), and it becomes the verified release the gate falls back to."""
        timeout = None if on_demand is None else 0.0
        with self.lock(timeout), interrupts_raise():
            began = time.monotonic()
            data = self.state.load()
            current = self.state.entry(data.get("current"), data)
            if current is None:
                raise RollbackError(f"{self.name}: nothing is deployed, nothing to roll back")
            if on_demand is None and self.options["on_failure"] == "keep":
                self.state.set_status(current["release"], current["status"],
                                      kept=self.mask(reason))
                return RollbackResult(self.name, current["release"], None, 0.0,
                                      self.mask(reason))
            if on_demand is None:
                target = self.state.entry(data.get("verified"), data)
                if target is None or target["release"] == current["release"]:
                    raise self._cannot_roll_back(current, reason,
                                                 "there is no earlier verified release")
            else:
                target = on_demand.target(self.name, current, data["history"])
            confirmed = self._roll_back(current, target, reason)
            by = {} if on_demand is None else {"by": on_demand.by, "at": now()}
            self.state.set_status(current["release"], ROLLED_BACK, reason=self.mask(reason),
                                  **({"rolled_back": by} if by else {}))
            if on_demand is not None:  # what the gate's next failure returns to
                self.state.set_status(target["release"], VERIFIED, restored=by)
            self.rollback_seconds = elapsed(began)
            return RollbackResult(self.name, current["release"], target["release"],
                                  round(self.rollback_seconds, 3), self.mask(reason),
                                  confirmed=confirmed)

    def stop(self) -> None:
        self._unwatch()

    def leave_serving(self) -> None:
        """End this run's watch and leave what serves running (a rollback on demand's
        release outlives the run, like a promote-only environment's)."""
        self._unwatch()

    def health(self) -> tuple[bool, str]:
        """One health probe of what serves now (and, where configured, that it is the
        release this run put there)."""
        return self._probe()

    def lock(self, timeout: float | None = None) -> AbstractContextManager[None]:
        wait = self.options["lock_timeout"] if timeout is None else timeout
        return env_lock(self.folder / "lock", wait, f"environment {self.name!r}")

    def current(self) -> Deployment | None:
        """The release serving now, from state.json; None when nothing serves."""
        data = self.state.load()
        entry = self.state.entry(data.get("current"), data)
        if entry is None or not self._serving(entry):
            return None
        return self._deployment(entry)

    def mark_verified(self) -> None:
        """Record the current release as verified, once it shows that it still serves.

        A release that died, or was replaced behind our back, after its checks
        passed must not become the release every later rollback returns to.
        """
        with self.lock():
            data = self.state.load()
            entry = self.state.entry(data.get("current"), data)
            if entry is None:
                raise EnvError(f"{self.name}: nothing is deployed, so nothing can be verified")
            problem = self._not_serving(entry)
            if problem:
                raise EnvError(f"{self.name}: {entry['release']} passed its checks but "
                               f"{problem}; it is NOT marked verified")
            self.state.set_status(entry["release"], VERIFIED, verified_at=now())

    def metrics(self) -> dict[str, float]:
        failures = self._health_failures
        if self._monitor is not None:
            failures = max(failures, self._monitor.max_consecutive)
        return {"deploy_seconds": round(self.timings.get("deploy", 0.0), 3),
                "rollback_seconds": round(self.rollback_seconds, 3),
                "health_failures": float(failures),
                **{f"{k}_seconds": round(v, 3) for k, v in self.timings.items()
                   if k != "deploy"}}

    # -- shared parts -------------------------------------------------------
    def _roll_back(self, current: dict[str, Any], target: dict[str, Any], reason: str) -> bool:
        """Make `target` serve instead of `current` (under the lock); True when the switch
        is confirmed. Raise `_cannot_roll_back(...)` when it cannot be done."""
        raise NotImplementedError

    def _cannot_roll_back(self, current: dict[str, Any], reason: str, problem: str,
                          target: dict[str, Any] | None = None) -> RollbackError:
        to = f" to {target['release']}" if target is not None else ""
        return RollbackError(self.mask(
            f"{self.name} could not roll back from {current['release']}{to} ({reason}): "
            f"{problem.rstrip('. ')}. {self._still_serving(current)}"))

    def _still_serving(self, current: dict[str, Any]) -> str:
        """What is known to serve after a failed rollback (said in its error)."""
        return f"{current['release']} may STILL BE SERVING."

    def mask(self, text: str) -> str:
        """Text for messages and state (a strategy with secrets hides them)."""
        return text

    def _serving(self, entry: dict[str, Any]) -> bool:
        return True

    def _not_serving(self, entry: dict[str, Any]) -> str:
        """Why `entry` is not (provably) the release serving now; "" when it is."""
        return ""

    def _probe(self) -> tuple[bool, str]:
        raise NotImplementedError

    def _deployment(self, entry: dict[str, Any]) -> Deployment:
        return Deployment.from_dict({**entry, "env": self.name})

    def _watch(self) -> None:
        self._unwatch()
        self._monitor = Monitor(self._probe, self.monitor_interval)

    def _unwatch(self) -> None:
        if self._monitor is not None:
            self._monitor.stop()
            self._health_failures = max(self._health_failures, self._monitor.max_consecutive)
            self._monitor = None


def artifact_facts(artifact: Path) -> dict[str, str]:
    """Path, sha256 and version (from the wheel's file name) of an artifact."""
    digest = hashlib.sha256()
    with open(artifact, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    parts = artifact.name.split("-")
    version = parts[1] if artifact.suffix == ".whl" and len(parts) >= 5 else ""
    return {"artifact": str(artifact), "sha256": digest.hexdigest(), "version": version}


def elapsed(since: float) -> float:
    return time.monotonic() - since
