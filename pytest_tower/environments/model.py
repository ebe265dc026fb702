"""What an environment hands out: a Deployment, a RollbackResult, and its errors.

Plain data so the lead can pass a Deployment between xdist workers as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

UNCONFIRMED = " (health ok; the release was not verified by the target: set release_check)"


@dataclass
class Deployment:
    """One release serving in one environment: where, what, and its log."""

    env: str
    url: str
    release: str
    version: str
    artifact: str
    sha256: str
    log_path: str
    pid: int | None = None
    port: int | None = None
    # Whether the target itself showed that this release serves (local: our own
    # process on its own port; command: `release_check`), not only that "something
    # answered the health check".
    confirmed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Deployment:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class RollbackResult:
    """What a rollback did; `to_release` None means the failed release was kept."""

    env: str
    from_release: str
    to_release: str | None
    seconds: float
    reason: str
    confirmed: bool = False  # the target showed that to_release serves again

    @property
    def message(self) -> str:
        """What the run shows about this rollback (the terminal and the report)."""
        if self.to_release is None:
            return f"{self.env} kept {self.from_release} after {self.reason} (on_failure = keep)"
        return (f"{self.env} rolled back from {self.from_release} to {self.to_release}"
                f"{'' if self.confirmed else UNCONFIRMED}: {self.reason}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class EnvError(Exception):
    """Base of every environment failure; the message is complete and safe to show."""


class DeployError(EnvError):
    """A deploy or its health check failed; says where the environment stands now."""


class RollbackError(EnvError):
    """A rollback itself failed: the environment may be serving a failed release."""


class EnvLockedError(EnvError):
    """Another run holds the environment's lock past our timeout."""
