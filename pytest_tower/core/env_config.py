"""`[environments.*]` in gates.toml: deploy targets, and the needs they imply.

Pure config reading (core/config.py reads these tables); deploying them is
environments/ (deployments, strategies, procs, state).

A check with `environment = "staging"` tests a deployment of the wheel that
the pipeline's `package` check built, so it implicitly needs that check. An
environment that only deploys with --tower-promote (`promote = true`;
production by default) implicitly needs every other gate of the file — those
after it in the file and the other environments' own `environments::<name>`
items too: it is deployed only when all of them ran in this session and
passed, and its checks run after them. An environment's own metrics
(app_errors, health_failures, …) are judged by one more item,
`environments::<name>`, after every check that used it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_tower.core.env_spec import EnvConfigError, EnvironmentSpec, parse_environment
from pytest_tower.core.model import CheckContext, CheckType, Measurement, MetricSpec, ToolError

if TYPE_CHECKING:  # core/config imports this module
    from pytest_tower.core.config import CheckSpec, Pipeline

ENV_STAGE = "environments"
BUILD_TOOL = "package"
SESSION_KEYS = ("conditions", "warn", "promote")  # read here, not by the strategy
# Names that say "production": such an environment must state `promote`
# (a word of the name starting with one of these: see looks_like_production).
PRODUCTION_WORDS = frozenset({"prod", "production", "prd", "live"})
# Check options that name a target of their own: with `environment` they would test
# another server while the deployed release is marked verified.
TARGET_OPTIONS = ("base_url", "host")
# Metrics only a local environment measures (its log is on this machine).
LOCAL_METRICS = ("app_errors",)

ENV_METRICS = [
    MetricSpec("deploy_seconds", "s", "time from deploy start to healthy"),
    MetricSpec("rollback_seconds", "s", "time the rollback took (0 when none)"),
    MetricSpec("health_failures", help="most consecutive failed health probes while in use"),
    MetricSpec("app_errors", help="ERROR, CRITICAL and FATAL records and tracebacks the "
               "app logged during the run (stdout/stderr and log_files; local strategy)"),
]


@dataclass(frozen=True)
class EnvEntry:
    """One environment: its strategy spec plus what the gate itself needs to know."""

    name: str
    spec: EnvironmentSpec
    promote: bool
    conditions: tuple[str, ...] = ()
    warn: tuple[str, ...] = ()
    users: list[str] = field(default_factory=list)  # refs of the checks that use it


def read_environments(table: Any, error: Callable[..., Exception]) -> dict[str, EnvEntry]:
    """Validate `[environments.NAME]` tables; `error(problem, table, key, **kw)` raises."""
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
        if "promote" not in session and name != "production" and looks_like_production(name):
            raise error(f"{name!r} looks like a production environment, but does not say "
                        "whether it is promote-only", where, None,
                        expected="promote = true (deployed only with --tower-promote, after "
                        "every other gate ran and passed) or promote = false (deployed on "
                        "every run, as soon as the build passed)")
        try:
            spec = parse_environment(name, {k: v for k, v in body.items()
                                            if k not in SESSION_KEYS})
        except EnvConfigError as exc:
            raise error(exc.problem, where, exc.key, expected=exc.expected,
                        suggestion=exc.suggestion) from None
        _local_metrics_only(spec.strategy, session, where, error)
        entries[name] = EnvEntry(name, spec, session.get("promote", name == "production"),
                                 tuple(session.get("conditions", ())),
                                 tuple(session.get("warn", ())))
    return entries


def looks_like_production(name: str) -> bool:
    """"prod", "production-eu", "eu_live", "PRD", "prod2", "production1", "euProd", "liveEU":
    a word of the name says production.

    Words are split at non-letters and at camelCase boundaries (case-insensitive),
    and a word that starts with prod/production/prd/live counts ("prod01", "prodeu").
    """
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+", name)
    return any(word.lower().startswith(tuple(PRODUCTION_WORDS)) for word in words)


def _local_metrics_only(strategy: str, session: Mapping[str, Any], where: str,
                        error: Callable[..., Exception]) -> None:
    """app_errors reads the release's log on this machine: a command target has none."""
    if strategy == "local":
        return
    for key in ("conditions", "warn"):
        for text in session.get(key, ()):
            used = [m for m in LOCAL_METRICS if re.search(rf"\b{m}\b", text)]
            if used:
                raise error(f"{used[0]} is only measured for a local environment (it counts "
                            f"the errors in the release's log on this machine); strategy "
                            f"{strategy!r} has no log to read", where, key,
                            expected="conditions on deploy_seconds, rollback_seconds or "
                            "health_failures")


def implied_needs(env: EnvEntry, check_ref: str, earlier: list[Any],
                  error: Callable[..., Exception], table: str,
                  options: Mapping[str, Any] | None = None) -> list[str]:
    """What a check using `env` needs besides its own needs: the build (a promote-only
    environment's checks also need every other gate: see promote_needs)."""
    for key in TARGET_OPTIONS:
        if (options or {}).get(key):
            raise error(f"{key} and environment both name the server to test: the check "
                        f"would run against {key} while the release deployed to "
                        f"{env.name!r} is marked verified by it", table, key,
                        expected=f"one of them: environment = {env.name!r} (its url is used) "
                        f"or {key} = ... without environment")
    builds = [c for c in earlier if c.check_type.name == BUILD_TOOL]
    if not builds:
        stage = table.strip("[]").split(".", 1)[0]
        raise error(f"environment {env.name!r} deploys the wheel that a [<stage>.{BUILD_TOOL}] "
                    "check builds, and none comes before this check in pipeline order "
                    "(stages run in the order their FIRST table appears in gates.toml, so "
                    f"every [{stage}.*] check runs where the first [{stage}.*] table stands)",
                    table, "environment",
                    expected=f"a [build.{BUILD_TOOL}] table in a stage that starts earlier; "
                    f"or put this check in a stage of its own after the build (e.g. "
                    f"[{stage}-testing.{table.strip('[]').split('.', 1)[-1]}])")
    env.users.append(check_ref)
    return [builds[0].ref]


def promote_needs(stages: Iterable[Any], environments: Mapping[str, EnvEntry],
                  error: Callable[..., Exception] | None = None) -> list[Any]:
    """Stages whose promote-only checks need every other gate, wherever it is in the file.

    "Every gate before it" would let a failing gate later in the file, or a
    staging environment's own conditions (judged last), leave production
    deployed and verified. A promote-only environment's checks (its users and
    its `environments::<name>` item) need every check that does not test a
    promote-only environment, and every check of the promote-only environments
    declared before it (a canary before production). The cycle rule: a check
    that does not test a promote-only environment but needs one of its checks
    would have to run both before production (as one of its gates) and after
    it: a config error (make it a check of that environment, `environment =
    "production"`, if it is a post-release step). So is an earlier promote-only
    environment's check that needs a later one's.
    """
    stages = list(stages)
    order = [n for n, e in environments.items() if e.promote]  # file order
    if not order:
        return stages
    checks = [c for s in stages for c in s.checks]
    rank = {name: i for i, name in enumerate(order)}

    def level(c: Any) -> int:  # -1: an ordinary gate; i: a check of the i-th promote-only env
        return rank.get(c.environment or "", -1)

    def reach(c: Any) -> list[Any]:  # everything c needs, transitively
        seen: dict[str, Any] = {}
        todo = [c]
        while todo:
            for ref in todo.pop().needs:
                for n in checks:
                    if ref in (n.stage, n.ref) and n.ref not in seen:
                        seen[n.ref] = n
                        todo.append(n)
        return list(seen.values())

    for c in checks:
        later = [n for n in reach(c) if level(n) > level(c)]
        if later and error is not None:
            n = later[0]
            what = ("a gate that must pass before it is deployed" if level(c) < 0 else
                    f"a check of {c.environment!r}, which is promoted before it")
            raise error(f"{c.ref} needs {n.ref}, which tests the promote-only environment "
                        f"{n.environment!r}; {c.ref} is {what}, so it would have to run both "
                        f"before and after {n.environment!r} is deployed", c.ref, "needs",
                        expected=f"drop the need, or, for a post-release step, "
                        f"environment = {n.environment!r} on {c.ref}")
    gates = {i: tuple(c.ref for c in checks if level(c) < i) for i in range(len(order))}
    return [dataclasses.replace(stage, checks=tuple(
        dataclasses.replace(c, needs=tuple(dict.fromkeys((*c.needs, *gates[level(c)]))))
        if level(c) >= 0 and c.stage != ENV_STAGE else c
        for c in stage.checks)) for stage in stages]


def run_order(pipeline: Pipeline) -> list[CheckSpec]:
    """File order, except that a check comes after everything it needs.

    A promote-only environment's checks need gates later in the file; run in
    file order they would find those not run yet.
    """
    done: set[str] = set()
    order: list[CheckSpec] = []

    def visit(spec: CheckSpec) -> None:
        if spec.id in done:
            return
        done.add(spec.id)  # needs are acyclic: only earlier checks, and promote_needs
        for need in (n for ref in spec.needs for n in pipeline.resolve(ref)):
            visit(need)
        order.append(spec)

    for spec in pipeline.checks():
        visit(spec)
    return order


def environment_check_type(name: str) -> CheckType:
    """The item that judges an environment's own metrics after its checks ran."""

    def run(ctx: CheckContext) -> Measurement:
        if ctx.environment is None:
            raise ToolError(f"environment {name!r} was never deployed in this run")
        return Measurement(dict(ctx.environment.metrics()), tool=f"environment {name}")

    return CheckType(f"environment:{name}", run, ENV_METRICS, default_timeout=60.0,
                     help="judges an environment's metrics after the checks that used it")
