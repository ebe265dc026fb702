"""Fault cases: rollback on demand (`pytest --tower-rollback ENV[=RELEASE]`).

The battery runs every case with `--tower`, and a rollback combined with the
gate is itself refused: that is the one battery case here. The others run
without `--tower` (a rollback runs no gate), so tests/integration/
test_rollback_on_demand.py runs ROLLBACK_FAULTS with the battery's checks:
exit code not 0, no traceback, the message, nothing switched. Each plants the
environment's state.json as the strategies write it, so no build is needed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.integration.faults import FaultCase
from tests.integration.faults.environments import GUNICORN

LOCAL = (f'[environments.staging]\ncommand = "{GUNICORN} envapp:app"\nhealth = "/healthz"\n'
         'health_timeout = "5s"\n')
# A rollback command that "succeeds" and brings nothing up: the health check must catch it.
COMMAND = ('[environments.staging]\nstrategy = "command"\n'
           'deploy = ["true"]\nrollback = ["true"]\nurl = "http://127.0.0.1:{port}"\n'
           'health = "/healthz"\nhealth_timeout = "1s"\n')


def release(number: int, status: str, root: Path, **extra: object) -> dict[str, object]:
    folder = root / ".tower" / "envs" / "staging" / "releases" / str(number)
    return {"release": f"r{number}", "status": status, "started": "2026-01-01T00:00:00+00:00",
            "dir": str(folder), "artifact": str(root / "app.whl"), "sha256": "0" * 64,
            "version": "0.1", "log_path": str(folder / "app.log"), "pid": None,
            "port": 1, "url": "", "confirmed": True, **extra}


def state(current: int | None, verified: int | None, *statuses: str
          ) -> Callable[[Path], None]:
    """Plant staging's state.json: releases r1.. with these statuses."""
    def setup(root: Path) -> None:
        folder = root / ".tower" / "envs" / "staging"
        folder.mkdir(parents=True, exist_ok=True)
        history = [release(i, s, root) for i, s in enumerate(statuses, 1)]
        (folder / "state.json").write_text(json.dumps({
            "next": len(statuses) + 1, "history": history,
            "current": f"r{current}" if current else None,
            "verified": f"r{verified}" if verified else None}))
    return setup


@dataclass(frozen=True)
class RollbackFault:
    id: str
    gates: str
    target: str
    expect: str
    setup: Callable[[Path], None] | None = None
    rc: int = 1
    args: tuple[str, ...] = ("--tower-reason", "a person saw a problem")
    hold_lock: bool = False
    current_after: str | None = field(default=None)  # state's current must stay this


ROLLBACK_FAULTS = [
    RollbackFault("unknown-environment", LOCAL, "stagign", rc=4,
                  expect="'stagign' is not an environment of", setup=state(1, 1, "verified")),
    RollbackFault("unknown-environment-did-you-mean", LOCAL, "stagign", rc=4,
                  expect="did you mean 'staging'?"),
    RollbackFault("no-reason", LOCAL, "staging", rc=4, args=(),
                  expect="--tower-rollback needs --tower-reason TEXT"),
    RollbackFault("nothing-deployed", LOCAL, "staging",
                  expect="staging: nothing is deployed, nothing to roll back"),
    RollbackFault("no-earlier-verified-release", LOCAL, "staging",
                  setup=state(1, 1, "verified"), current_after="r1",
                  expect="there is no verified release before r1"),
    RollbackFault("only-failed-and-rolled-back-before", LOCAL, "staging",
                  setup=state(3, 3, "failed", "rolled-back", "verified"), current_after="r3",
                  expect="there is no verified release before r3"),
    RollbackFault("named-release-unknown", LOCAL, "staging=r9",
                  setup=state(2, 2, "verified", "verified"), current_after="r2",
                  expect="staging has no release 'r9'"),
    RollbackFault("named-release-never-verified", LOCAL, "staging=r1",
                  setup=state(2, 2, "failed", "verified"), current_after="r2",
                  expect="r1 is 'failed', not a verified release"),
    RollbackFault("named-release-is-current", LOCAL, "staging=r2",
                  setup=state(2, 2, "verified", "verified"), current_after="r2",
                  expect="r2 is the release serving now"),
    RollbackFault("lock-held-fails-fast", LOCAL, "staging", hold_lock=True,
                  setup=state(2, 2, "verified", "verified"), current_after="r2",
                  expect="locked by another run (pid 4242 since"),
    # r1's release folder (its venv) is gone: it cannot be started, nothing is switched.
    RollbackFault("local-target-cannot-start", LOCAL, "staging",
                  setup=state(2, 2, "verified", "verified"), current_after="r2",
                  expect="ROLLBACK FAILED: staging could not roll back from r2 to r1"),
    RollbackFault("command-rollback-nothing-healthy", COMMAND, "staging",
                  setup=state(2, 2, "verified", "verified"), current_after="r2",
                  expect="health check: "),
]

CASES = [
    FaultCase(id="rollback-with-the-gate", gates=LOCAL, args=(
        "--tower-rollback", "staging", "--tower-reason", "x"), rc=4,
        setup=state(2, 2, "verified", "verified"),
        expect="--tower-rollback runs no gate; run it on its own"),
    FaultCase(id="rollback-status-with-the-gate", gates=LOCAL, args=("--tower-status",), rc=4,
              expect="--tower-status runs no gate"),
]
