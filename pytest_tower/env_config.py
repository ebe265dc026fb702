"""`[environments.*]` in gates.toml: deploy targets, and the needs they imply.

A check with `environment = "staging"` tests a deployment of the wheel that
the pipeline's `package` check built, so it implicitly needs that check. An
environment that only deploys with --tower-promote (production, by default)
implicitly needs every gate before it: it is deployed only when they held.
An environment's own metrics (app_errors, health_failures, …) are judged by
one more item, `environments::<name>`, after every check that used it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_tower.model import CheckContext, CheckType, Measurement, MetricSpec, ToolError

ENV_STAGE = "environments"
BUILD_TOOL = "package"
SESSION_KEYS = ("conditions", "warn", "promote")  # read here, not by the strategy

ENV_METRICS = [
    MetricSpec("deploy_seconds", "s", "time from deploy start to healthy"),
    MetricSpec("rollback_seconds", "s", "time the rollback took (0 when none)"),
    MetricSpec("health_failures", help="most consecutive failed health probes while in use"),
    MetricSpec("app_errors", help="ERROR lines and tracebacks the app logged during the run"),
]


@dataclass(frozen=True)
class EnvEntry:
    """One environment: its strategy spec plus what the gate itself needs to know."""

    name: str
    spec: Any  # pytest_tower.envs.spec.EnvironmentSpec
    promote: bool
    conditions: tuple[str, ...] = ()
    warn: tuple[str, ...] = ()
    users: list[str] = field(default_factory=list)  # refs of the checks that use it


def read_environments(table: Any, error: Callable[..., Exception]) -> dict[str, EnvEntry]:
    """Validate `[environments.NAME]` tables; `error(problem, table, key, **kw)` raises."""
    from pytest_tower.envs.spec import EnvConfigError, parse_environment

    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise error("must hold one table per environment", ENV_STAGE,
                    expected='[environments.staging] with strategy = "local"')
    entries = {}
    for name, body in table.items():
        where = f"{ENV_STAGE}.{name}"
        session = {k: body[k] for k in SESSION_KEYS if k in body}
        for key in ("conditions", "warn"):
            if key in session and not (isinstance(session[key], list) and all(
                    isinstance(c, str) for c in session[key])):
                raise error("wrong type or value", where, key,
                            expected='a list of strings such as ["app_errors == 0"]')
        if "promote" in session and not isinstance(session["promote"], bool):
            raise error("wrong type or value", where, "promote", expected="true or false")
        try:
            spec = parse_environment(name, {k: v for k, v in body.items()
                                            if k not in SESSION_KEYS})
        except EnvConfigError as exc:
            raise error(exc.problem, where, exc.key, expected=exc.expected,
                        suggestion=exc.suggestion) from None
        entries[name] = EnvEntry(name, spec, session.get("promote", name == "production"),
                                 tuple(session.get("conditions", ())),
                                 tuple(session.get("warn", ())))
    return entries


def implied_needs(env: EnvEntry, check_ref: str, earlier: list[Any],
                  error: Callable[..., Exception], table: str) -> list[str]:
    """What a check using `env` needs besides its own needs: the build, and more."""
    builds = [c for c in earlier if c.check_type.name == BUILD_TOOL]
    if not builds:
        raise error(f"environment {env.name!r} deploys the wheel that a [<stage>.{BUILD_TOOL}] "
                    "check builds, and none comes before this check", table, "environment",
                    expected=f"a [build.{BUILD_TOOL}] table earlier in gates.toml")
    env.users.append(check_ref)
    needs = [builds[0].ref]
    if env.promote:
        needs += [c.ref for c in earlier if c.environment != env.name]
    return needs


def environment_check_type(name: str) -> CheckType:
    """The item that judges an environment's own metrics after its checks ran."""

    def run(ctx: CheckContext) -> Measurement:
        if ctx.environment is None:
            raise ToolError(f"environment {name!r} was never deployed in this run")
        return Measurement(dict(ctx.environment.metrics()), tool=f"environment {name}")

    return CheckType(f"environment:{name}", run, ENV_METRICS, default_timeout=60.0,
                     help="judges an environment's metrics after the checks that used it")
