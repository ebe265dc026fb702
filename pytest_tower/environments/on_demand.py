"""A person's rollback (`pytest --tower-rollback ENV[=RELEASE]`): which release, and doing it.

The gate's own rollback returns to the last verified release after a failed
check; a person who finds a problem later, in a release that passed, needs
to go further back: to the verified release *before* the one serving (or a
named one), never to one that failed or was rolled back. The switch itself is
the strategies' (Environment.rollback); this picks the target, health-checks
the result once more, and leaves the release serving when the run ends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_tower.core.env_spec import EnvironmentSpec
from pytest_tower.core.suggest import did_you_mean
from pytest_tower.environments.model import EnvError, RollbackError
from pytest_tower.environments.state import VERIFIED, now


class RollbackRefused(RollbackError):
    """Nothing was touched: no such release, none earlier verified, or locked."""


@dataclass
class OnDemand:
    """What a person asked for: `release` (None: the previous verified one), by whom."""

    release: str | None
    by: str

    def target(self, env: str, current: dict[str, Any],
               history: list[dict[str, Any]]) -> dict[str, Any]:
        """The release to return to, or RollbackRefused saying why there is none."""
        if self.release is None:
            earlier = previous_verified(history, current)
            if earlier is None:
                raise RollbackRefused(
                    f"{env}: there is no verified release before {current['release']} (the "
                    "one serving) to roll back to; `pytest --tower-status "
                    f"{env}` lists its releases")
            return earlier
        entry: dict[str, Any] | None = next(
            (e for e in reversed(history) if e["release"] == self.release), None)
        if entry is None:
            known = [e["release"] for e in history]
            close = did_you_mean(self.release, known)
            raise RollbackRefused(
                f"{env} has no release {self.release!r}"
                + (f"; did you mean {close!r}?" if close else "")
                + f" (its releases: {', '.join(known) or 'none'})")
        if entry["release"] == current["release"]:
            raise RollbackRefused(f"{env}: {self.release} is the release serving now; "
                                  "nothing to roll back")
        if entry.get("status") != VERIFIED:
            raise RollbackRefused(
                f"{env}: {self.release} is {entry.get('status')!r}, not a verified release "
                "(only a release whose checks all passed, and that was not rolled back "
                "since, is rolled back to)")
        return entry


@dataclass
class ManualRollback:
    """What the rollback on demand did, for the terminal, state, history and report."""

    env: str
    strategy: str
    who: str
    reason: str
    at: str
    requested: str | None
    from_release: str | None = None
    to_release: str | None = None
    seconds: float = 0.0
    health: str = ""
    done: bool = False
    refused: bool = False
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def roll_back_on_demand(spec: EnvironmentSpec, root: Path, release: str | None,
                        reason: str, who: str) -> ManualRollback:
    """Roll `spec`'s environment back; never raises an environment's error: the
    outcome says what happened (done only when the health check passed after it)."""
    from pytest_tower.environments import open_environment
    from pytest_tower.environments.model import EnvLockedError

    outcome = ManualRollback(spec.name, spec.strategy, who, reason, now(), release)
    env = open_environment(spec, root, root / ".tower" / "envs")
    began = time.monotonic()
    try:
        result = env.rollback(f"by hand by {who}: {reason}", OnDemand(release, who))
    except (RollbackRefused, EnvLockedError) as exc:
        outcome.refused, outcome.message = True, str(exc)
        return outcome
    except (EnvError, OSError) as exc:
        text = str(exc)
        if text.startswith(f"{spec.name}: nothing is deployed"):
            outcome.refused = True
        outcome.message = f"ROLLBACK FAILED: {text}" if not outcome.refused else text
        return outcome
    outcome.from_release, outcome.to_release = result.from_release, result.to_release
    try:
        ok, why = env.health()
    finally:
        env.leave_serving()
    outcome.seconds = round(time.monotonic() - began, 3)
    outcome.health = f"{'ok' if ok else 'FAILED'}: {why}"
    outcome.done = ok
    outcome.message = (
        f"{spec.name} rolled back from {result.from_release} to {result.to_release} "
        f"in {outcome.seconds:g}s; health check {outcome.health}"
        + ("" if result.confirmed else " (the target did not confirm which release "
           "serves: set release_check)"))
    return outcome


def previous_verified(history: list[dict[str, Any]], current: dict[str, Any]
                      ) -> dict[str, Any] | None:
    """The newest verified release older than `current`: where a rollback on demand goes
    (a failed or rolled-back release is never one)."""
    earlier = [e for e in history if e.get("status") == VERIFIED
               and _number(e) < _number(current)]
    newest: dict[str, Any] | None = max(earlier, key=_number) if earlier else None
    return newest


def _number(entry: dict[str, Any]) -> int:
    text = str(entry.get("release", ""))[1:]
    return int(text) if text.isdigit() else 0
