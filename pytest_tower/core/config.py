"""gates.toml -> a validated Pipeline of stages and checks. Pure but for reading the file.

Everything that can be wrong with the file is found here, before any tool
runs: syntax, unknown keys and tools, wrong types, conditions that do not
parse or name a metric the check does not produce, needs that point nowhere.

Long because every way the file can be wrong is checked here, with its position
and a suggestion; options.py, tomlpos.py and suggest.py hold the helpers.
"""

from __future__ import annotations

import copy
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest_tower.core.interpolate as interpolate  # `from core import` may bind a stale module
from pytest_tower.core.conditions import FAIL, WARN, Condition, ConditionError, parse_condition
from pytest_tower.core.env_config import (
    ENV_STAGE,
    EnvEntry,
    environment_check_type,
    implied_needs,
    promote_needs,
    read_environments,
)
from pytest_tower.core.errors import ConfigError
from pytest_tower.core.model import CheckType, Option
from pytest_tower.core.names import check_key
from pytest_tower.core.options import OptionError, read_option
from pytest_tower.core.suggest import did_you_mean
from pytest_tower.core.tomlpos import TomlLines

SETTINGS_TABLE = "tower"
RESERVED_TABLES = {SETTINGS_TABLE, ENV_STAGE}
SETTINGS: dict[str, Option] = {
    "report": Option("str", "where to write the JSON report, relative to gates.toml"),
    "timeout": Option("duration", "default timeout of every check"),
    "baseline": Option("str", "the accepted metrics that 'baseline' conditions compare with",
                       default=".tower/baseline.json"),
    "history": Option("str", "every run's report is appended here (one JSON line a run)",
                      default=".tower/history.jsonl"),
    "base_branch": Option("str", "without a baseline file, 'baseline' conditions compare with "
                          "the last passing run on this branch in the history", default="main"),
    "require_complete": Option("bool", "fail a partial run (checks left out by -k, -m, --lf, "
                               "...), like --tower-require-complete", default=False),
}
COMMON: dict[str, Option] = {
    "tool": Option("str", "the check type, when the check's name is not the tool's"),
    "conditions": Option("str_list", "conditions that must hold"),
    "warn": Option("str_list", "conditions that are reported but never fail"),
    "needs": Option("str_list", "stages or stage.check that must pass first"),
    "timeout": Option("duration", "how long the tool may run"),
    "environment": Option("str", "the [environments.NAME] this check tests (deployed first)"),
}
STAGE_KEYS: dict[str, Option] = {"needs": COMMON["needs"]}
PATH_SETTINGS = ("report", "baseline", "history")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
MAX_NAME = 100  # a stage or check name; "stage.check" names files (255 bytes at most)
_RESERVED_NAMES = {"con", "prn", "aux", "nul", *(f"{d}{i}" for d in ("com", "lpt")
                                                 for i in range(1, 10))}


@dataclass(frozen=True)
class CheckSpec:
    """One `[stage.check]` table, validated: one pytest item."""

    stage: str
    name: str
    check_type: CheckType
    options: Mapping[str, Any]
    conditions: tuple[Condition, ...]
    warn: tuple[Condition, ...]
    needs: tuple[str, ...]
    timeout: float
    line: int | None = None
    environment: str | None = None

    @property
    def id(self) -> str:
        return check_key(self.stage, self.name)

    @property
    def ref(self) -> str:
        return f"{self.stage}.{self.name}"


@dataclass(frozen=True)
class Stage:
    name: str
    checks: tuple[CheckSpec, ...]
    line: int | None = None


@dataclass(frozen=True)
class Pipeline:
    """The whole gates.toml: stages in file order (the pipeline order)."""

    path: Path
    stages: tuple[Stage, ...]
    report: str | None = None
    baseline: str = ".tower/baseline.json"
    history: str = ".tower/history.jsonl"
    base_branch: str = "main"
    environments: Mapping[str, EnvEntry] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.path.parent

    def checks(self) -> Iterator[CheckSpec]:
        for stage in self.stages:
            yield from stage.checks

    def resolve(self, ref: str) -> list[CheckSpec]:
        """The checks a `needs` entry names: a whole stage, or one stage.check."""
        return [c for c in self.checks() if ref in (c.stage, c.ref)]


def load_pipeline(path: Path, check_types: Mapping[str, CheckType]) -> Pipeline:
    """Read and validate gates.toml; raise ConfigError on the first problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            path, "no such file", expected="a gates.toml (see the README), or --tower-config PATH"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot read the file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise ConfigError(
            path, f"TOML syntax error: {exc}", line=int(line.group(1)) if line else None,
            expected="valid TOML (https://toml.io)",
        ) from None
    expanded = interpolate.expand(data, path, TomlLines(text).locate, os.environ)  # ${NAME}
    try:
        return _Reader(path, text, check_types).pipeline(expanded.data)
    except ConfigError as exc:  # an error may quote a value: never a secret's
        raise interpolate.masked(exc, expanded.secrets) from None


class _Reader:
    """Walks the parsed TOML, knowing where each table and key is in the text."""

    def __init__(self, path: Path, text: str, check_types: Mapping[str, CheckType]) -> None:
        self.path = path
        self.locate = TomlLines(text).locate
        self.check_types = check_types
        self.environments: dict[str, EnvEntry] = {}

    def error(self, problem: str, table: str | None = None, key: str | None = None,
              **kw: Any) -> ConfigError:
        return ConfigError(self.path, problem, table=table, key=key,
                           line=kw.pop("line", None) or self.locate(table, key), **kw)

    def pipeline(self, data: dict[str, Any]) -> Pipeline:
        settings = self.settings(data.get(SETTINGS_TABLE, {}))
        default_timeout = settings.get("timeout")
        if ENV_STAGE in data:
            self.environments = read_environments(data[ENV_STAGE], self.error)
            for env_name in self.environments:  # it names state folders and an item
                self.check_name(env_name, f"{ENV_STAGE}.{env_name}", None)
        stages: list[Stage] = []
        seen: list[CheckSpec] = []
        for name, table in data.items():
            if name in RESERVED_TABLES:
                continue
            stage = self.stage(name, table, seen, default_timeout)
            stages.append(stage)
            seen.extend(stage.checks)
        if not stages:
            raise self.error("no stages", expected='at least one check table such as [lint.ruff] '
                             'with paths = ["src"]')
        env_checks = tuple(self.environment_check(e) for e in self.environments.values()
                           if e.conditions or e.warn)
        if env_checks:
            stages.append(Stage(ENV_STAGE, env_checks, self.locate(ENV_STAGE, None)))
        stages = promote_needs(stages, self.environments, self.error)
        self.check_collisions(stages)
        return Pipeline(self.path, tuple(stages), settings.get("report"),
                        settings.get("baseline", SETTINGS["baseline"].default),
                        settings.get("history", SETTINGS["history"].default),
                        settings.get("base_branch", SETTINGS["base_branch"].default),
                        self.environments)

    def environment_check(self, env: EnvEntry) -> CheckSpec:
        """The item judging an environment's own metrics, after all its users."""
        table = f"{ENV_STAGE}.{env.name}"
        if not env.users:
            raise self.error("has conditions, but no check uses this environment", table,
                             "conditions", expected=f'environment = "{env.name}" in the '
                             "checks that test it")
        check_type = environment_check_type(env.name)
        values = {"conditions": list(env.conditions), "warn": list(env.warn)}
        return CheckSpec(ENV_STAGE, env.name, check_type, {},
                         tuple(self.conditions(table, "conditions", values, check_type, FAIL)),
                         tuple(self.conditions(table, "warn", values, check_type, WARN)),
                         tuple(dict.fromkeys(env.users)), check_type.default_timeout,
                         self.locate(table, None), env.name)

    def settings(self, table: Any) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.error("must be a table", SETTINGS_TABLE, expected="[tower] with "
                             + ", ".join(SETTINGS))
        values = self.options(SETTINGS_TABLE, table, SETTINGS)
        for key in PATH_SETTINGS:  # the default places too: a folder there is as fatal
            value = values.get(key, SETTINGS[key].default)
            if value is not None:
                self.check_file_setting(key, value)
        return values

    def check_file_setting(self, key: str, value: str) -> None:
        """A file the gate reads or writes: a usable path, and not a folder."""
        if not value.strip() or "\0" in value:
            raise self.error(f"{value!r} is not a usable path", SETTINGS_TABLE, key,
                             expected=f"a file path relative to gates.toml, e.g. "
                             f"{SETTINGS[key].default or 'report.json'!r}")
        target = self.path.parent / value
        try:
            is_dir = target.is_dir()
            blocker = next((p for p in target.parents if p.exists() and not p.is_dir()), None)
        except OSError as exc:  # a name too long for the file system, say
            raise self.error(f"{value[:60]!r} is not a usable path ({exc.strerror})",
                             SETTINGS_TABLE, key, expected="a file path") from None
        if blocker is not None:
            raise self.error(f"{value!r} cannot be written: {blocker} is a file, not a folder",
                             SETTINGS_TABLE, key, expected="a path whose folders are folders")
        if is_dir or value.endswith(("/", "\\")):
            example = Path(SETTINGS[key].default or "report.json").name
            raise self.error(f"{value!r} is a folder", SETTINGS_TABLE, key,
                             expected=f"the path of a file (the {key} file itself, e.g. "
                             f"{value.rstrip('/')}/{example})")

    def stage(self, name: str, table: Any, earlier: list[CheckSpec],
              default_timeout: float | None) -> Stage:
        if not isinstance(table, dict):
            raise self.error(f"{name!r} is a top-level key, not a stage table", None, name,
                             expected=f"a stage table with checks, such as [{name}.ruff]")
        self.check_name(name, name, None)
        stage_opts = {k: v for k, v in table.items() if not isinstance(v, dict)}
        for key in stage_opts:
            if key not in STAGE_KEYS:
                raise self.error(
                    "unknown stage option", name, key,
                    expected="a check table such as [" + name + ".ruff], or one of: "
                    + ", ".join(STAGE_KEYS),
                    suggestion=did_you_mean(key, STAGE_KEYS),
                )
        stage_needs = self.options(name, stage_opts, STAGE_KEYS).get("needs", [])
        checks: list[CheckSpec] = []
        for check, body in table.items():
            if isinstance(body, dict):
                spec = self.check(name, check, body, [*earlier, *checks], default_timeout,
                                  stage_needs)
                checks.append(spec)
        if not checks:
            raise self.error("stage has no checks", name,
                             expected=f"at least one check table such as [{name}.ruff]")
        return Stage(name, tuple(checks), self.locate(name, None))

    def check(self, stage: str, name: str, body: dict[str, Any], earlier: list[CheckSpec],
              default_timeout: float | None, stage_needs: list[str]) -> CheckSpec:
        table = f"{stage}.{name}"
        self.check_name(name, table, None)
        tool = body.get("tool", name)
        if not isinstance(tool, str):
            raise self.error("must be a string", table, "tool", expected="a check type name")
        check_type = self.check_types.get(tool)
        if check_type is None:
            where = "tool" if "tool" in body else None
            raise self.error(
                f"unknown tool {tool!r}", table, where,
                expected="one of the installed check types: " + ", ".join(sorted(self.check_types))
                + ("" if where else f' (or name it: tool = "ruff" in [{table}])'),
                suggestion=did_you_mean(tool, self.check_types),
            )
        allowed = {**COMMON, **check_type.options}
        values = self.options(table, body, allowed)
        conditions = self.conditions(table, "conditions", values, check_type, FAIL)
        if "conditions" not in values:
            conditions = [parse_condition(c, check_type.metrics) for c in
                          check_type.default_conditions]
        if not conditions:  # warn-only or none: a check that can never fail proves nothing
            raise self.error("no conditions" + (" (an empty list)" if "conditions" in values
                                                else ""), table, "conditions",
                             expected='at least one condition, e.g. conditions = ["'
                             + check_type.metrics[0].name + ' == 0"]'
                             + ("; or leave the key out for the defaults: " + ", ".join(
                                 check_type.default_conditions)
                                if check_type.default_conditions else "")
                             + "; produced metrics: "
                             + ", ".join(m.name for m in check_type.metrics))
        for implied in check_type.implied_conditions:
            cond = parse_condition(implied, check_type.metrics)
            if not any(_takes_place_of(c, cond) for c in conditions):
                conditions.append(cond)
        warn = self.conditions(table, "warn", values, check_type, WARN)
        needs = [*stage_needs, *values.get("needs", [])]
        for ref in needs:
            self.check_need(table, ref, stage, name, earlier)
        environment = values.get("environment")
        if environment is not None:
            env = self.environments.get(environment)
            if env is None:
                raise self.error(f"no environment {environment!r}", table, "environment",
                                 expected="one of the [environments.NAME] tables: "
                                 + (", ".join(self.environments) or "(none declared)"),
                                 suggestion=did_you_mean(environment, self.environments))
            needs += implied_needs(env, f"{stage}.{name}", earlier, self.error, table, values)
        options = {k: values[k] if k in values else copy.deepcopy(opt.default)
                   for k, opt in check_type.options.items()}
        if check_type.validate is not None:
            common = {k: values[k] for k in COMMON if k in values}
            common["gates_dir"] = str(self.path.parent.resolve())  # paths are relative to it
            if environment is not None:  # local processes to look at, or a remote target
                common["environment_strategy"] = self.environments[environment].spec.strategy
            try:
                check_type.validate({**common, **options})
            except ValueError as exc:
                raise self.error(str(exc), table) from None
        timeout = values.get("timeout") or default_timeout or check_type.default_timeout
        return CheckSpec(stage, name, check_type, options, tuple(conditions), tuple(warn),
                         tuple(dict.fromkeys(needs)), timeout, self.locate(table, None),
                         environment)

    def options(self, table: str, body: dict[str, Any], allowed: Mapping[str, Option]
                ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, value in body.items():
            option = allowed.get(key)
            if option is None:
                raise self.error("unknown option", table, key,
                                 expected="one of: " + ", ".join(sorted(allowed)),
                                 suggestion=did_you_mean(key, allowed))
            try:
                values[key] = read_option(option, value)
            except OptionError as exc:
                raise self.error("wrong type or value", table, key, expected=exc.expected
                                 ) from None
        for key, option in allowed.items():
            if option.required and key not in values:
                raise self.error("missing required option", table, key,
                                 expected=f"{key} = ... ({option.help})")
        return values

    def conditions(self, table: str, key: str, values: dict[str, Any], check_type: CheckType,
                   level: str) -> list[Condition]:
        parsed = []
        for expr in values.get(key, []):
            try:
                parsed.append(parse_condition(expr, check_type.metrics, level))
            except ConditionError as exc:
                raise self.error(str(exc), table, key, suggestion=exc.suggestion) from None
        return parsed

    def check_need(self, table: str, ref: str, stage: str, name: str,
                   earlier: list[CheckSpec]) -> None:
        names = {c.stage for c in earlier} | {c.ref for c in earlier}
        if ref in (stage, f"{stage}.{name}"):
            raise self.error(f"a check cannot need its own stage or itself ({ref!r})",
                             table, "needs", expected="an earlier stage or stage.check")
        if ref not in names:
            raise self.error(
                f"needs {ref!r}, which is not an earlier stage or check", table, "needs",
                expected="one of: " + (", ".join(sorted(names)) or "(nothing comes earlier)")
                + " — stages run in file order",
                suggestion=did_you_mean(ref, names),
            )

    def check_name(self, name: str, table: str, key: str | None) -> None:
        """A name that can become a file name on any system: it names artifacts and outcomes."""
        shown = repr(name) if len(name) <= 60 else f"'{name[:40]}…' ({len(name)} characters)"
        if len(name) > MAX_NAME:
            raise self.error(f"{shown} is too long a name", table, key,
                             expected=f"at most {MAX_NAME} characters (it names files)")
        if not _NAME.match(name) or "::" in name:
            raise self.error(f"{shown} is not a usable name", table, key,
                             expected="letters, digits, '_', '-' and '.', starting with a "
                             "letter, digit or '_' (it names files)")
        if name.endswith(".") or name.split(".")[0].lower() in _RESERVED_NAMES:
            raise self.error(f"{name!r} is not a portable file name", table, key,
                             expected="a name that does not end with '.' and is not a "
                             "device name (CON, NUL, COM1, ...)")

    def check_collisions(self, stages: list[Stage]) -> None:
        """`[a."b.c"]` and `["a.b".c]` both write `a.b.c.*`: refuse rather than mix them.

        A stage named like a check (`["a.b".c]` beside `[a.b]`) is refused too:
        `needs = ["a.b"]` would mean both.
        """
        on_disk: dict[str, CheckSpec] = {}
        stage_names = {s.name.casefold(): s.name for s in stages}
        for spec in (c for s in stages for c in s.checks):
            if spec.ref.casefold() in stage_names:
                raise self.error(
                    f"stage {stage_names[spec.ref.casefold()]!r} and check [{spec.stage}."
                    f"{spec.name}] have the same name, so needs = [{spec.ref!r}] would mean "
                    "both", spec.stage, None, line=spec.line, expected="a stage name that is "
                    "not also a stage.check name: rename one of them")
            other = on_disk.setdefault(spec.ref.casefold(), spec)
            if other is not spec:
                raise self.error(
                    f"[{other.stage}.{other.name}] (stage {other.stage!r}, check "
                    f"{other.name!r}) and stage {spec.stage!r}, check {spec.name!r} have "
                    f"the same name on disk, {spec.ref!r}", spec.stage, None,
                    line=spec.line, expected="names that differ other than by where the "
                    "'.' falls or by upper/lower case: rename one of them")


def _takes_place_of(user: Condition, implied: Condition) -> bool:
    """Whether the user's own condition replaces an implied one on the same metric.

    An upper bound may relax an implied one (`failed <= 3` for `failed == 0`):
    the user's stated choice. An implied lower bound guards against measuring
    nothing (`tests >= 1`); only a lower bound at least as strict replaces it,
    never one on the other side (`tests <= 100` holds for zero tests) or a
    baseline (which may itself be zero).
    """
    if user.metric_id != implied.metric_id:
        return False
    if implied.op in (">=", ">"):
        if user.threshold is None or implied.threshold is None or user.op not in (
                ">=", ">", "=="):
            return False
        if implied.op == ">" and user.op != ">":
            return user.threshold > implied.threshold
        return user.threshold >= implied.threshold
    return user.op in ("<=", "<", "==")
