"""An environment's recorded state (state.json) and its lock.

state.json is the one truth about which release is current and which was
last verified; it is replaced atomically, so a crash leaves the old or the
new record, never half of one. The lock (flock on a file) is held for a
deploy or a rollback, so two runs never interleave on one environment.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pytest_tower.core.fs import LockTimeout, locked, write_json_atomic
from pytest_tower.environments.model import EnvError, EnvLockedError


class ReleaseStatus(StrEnum):
    """A release's status in state.json (not a check's verdict: see core.outcome.Status)."""

    DEPLOYED = "deployed"
    VERIFIED = "verified"
    ROLLED_BACK = "rolled-back"
    FAILED = "failed"


# Plain str values: they travel to xdist workers, and execnet refuses enum members.
DEPLOYED, VERIFIED, ROLLED_BACK, FAILED = (s.value for s in ReleaseStatus)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def actor() -> str:
    """Who acts: the CI's user (GitHub Actions, GitLab CI), else the OS user."""
    import getpass

    for name in ("GITHUB_ACTOR", "GITLAB_USER_LOGIN"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def run_label() -> str:
    """Which run: the CI's run or pipeline id when there is one, else this process."""
    for name, what in (("GITHUB_RUN_ID", "GitHub run"), ("CI_PIPELINE_ID", "GitLab pipeline")):
        if os.environ.get(name):
            return f"{what} {os.environ[name]}"
    return f"pid {os.getpid()}"


class EnvState:
    """state.json of one environment: a counter, current, verified, history."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "state.json"

    def load(self) -> dict[str, Any]:
        """The record; one that cannot be read is an EnvError, never a guess."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"next": 1, "current": None, "verified": None, "history": []}
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise EnvError(f"cannot read {self.path}: {exc}. It records which release serves "
                           "and which was verified; restore it, or delete the folder "
                           f"{self.folder} (and stop what it ran) to start afresh") from None
        history = data.get("history") if isinstance(data, dict) else None
        if not isinstance(history, list) or not all(
                isinstance(e, dict) and isinstance(e.get("release"), str) for e in history):
            raise EnvError(f"{self.path} is not a state record pytest-tower wrote (no valid "
                           f"history): restore it, or delete the folder {self.folder} (and "
                           "stop what it ran) to start afresh")
        result: dict[str, Any] = data
        return result

    def save(self, data: dict[str, Any]) -> None:
        write_json_atomic(self.path, data)

    def new_release(self) -> tuple[str, int]:
        """Reserve the next release number (under the lock)."""
        data = self.load()
        number = int(data.get("next", 1))
        data["next"] = number + 1
        self.save(data)
        return f"r{number}", number

    def entry(self, release: str | None, data: dict[str, Any] | None = None
              ) -> dict[str, Any] | None:
        data = data if data is not None else self.load()
        return next((e for e in reversed(data["history"]) if e["release"] == release), None)

    def record(self, entry: dict[str, Any], *, current: bool) -> None:
        """Add or replace a release's history entry; make it current if told."""
        data = self.load()
        data["history"] = [e for e in data["history"] if e["release"] != entry["release"]]
        data["history"].append(entry)
        if current:
            data["current"] = entry["release"]
        self.save(data)

    def set_status(self, release: str, status: str, **extra: Any) -> None:
        data = self.load()
        for entry in data["history"]:
            if entry["release"] == release:
                entry["status"] = status
                entry.update(extra)
        if status == VERIFIED:
            data["verified"] = release
        self.save(data)

    def set_current(self, release: str, **changes: Any) -> None:
        data = self.load()
        data["current"] = release
        for entry in data["history"]:
            if entry["release"] == release:
                entry.update(changes)
        self.save(data)


@contextlib.contextmanager
def env_lock(path: Path, timeout: float, what: str) -> Iterator[None]:
    """Lock `path`; wait up to `timeout`, then raise EnvLockedError naming the holder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with locked(path, timeout=timeout, holder=f"pid {os.getpid()} since {now()}"):
            yield
    except LockTimeout as exc:
        holder = exc.holder or "unknown holder"
        if not timeout:  # a person's command: said at once, never a wait
            raise EnvLockedError(f"{what}: the environment is locked by another run "
                                 f"({holder}); try again once that run has finished") from None
        raise EnvLockedError(
            f"{what}: the environment is locked by another run "
            f"({holder}) and was not released within "
            f"{timeout:g}s; wait for that run to finish, or raise lock_timeout"
        ) from None
