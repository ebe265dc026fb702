"""`[environments.<name>]` tables -> validated EnvironmentSpec. Pure.

Each strategy declares its keys as Options (the same readers as check tables);
the few keys that are tables or "a list or a string" have their own reader.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pytest_tower.core.model import Option, OptionKind
from pytest_tower.core.options import OptionError, read_option
from pytest_tower.core.suggest import did_you_mean

LOCAL = "local"
COMMAND = "command"
ON_FAILURE = ("rollback", "keep")

# The check-table kinds, plus three only environments use (read by `_read` below):
# argv (a command line), health (a URL path or a command), table (of strings).
EnvOptionKind = OptionKind | Literal["argv", "health", "table"]


@dataclass(frozen=True)
class EnvOption:
    """A key of an `[environments.NAME]` table; like a check's `Option`, more kinds."""

    kind: EnvOptionKind
    help: str = ""
    default: Any = None
    required: bool = False
    choices: Sequence[str] = ()


_COMMON: dict[str, EnvOption] = {
    "strategy": EnvOption("str", "how to deploy: local or command", default=LOCAL,
                       choices=(LOCAL, COMMAND)),
    "on_failure": EnvOption("str", "roll back to the last verified release, or keep the failed "
                         "one (migrations that cannot be undone)", default="rollback",
                         choices=ON_FAILURE),
    "health_timeout": EnvOption("duration", "how long a new release may take to be healthy",
                             default=30.0),
    "health_failures_allowed": EnvOption("int", "consecutive failed health probes tolerated "
                                      "while in use", default=2),
    "lock_timeout": EnvOption("duration", "how long to wait for another run's lock",
                           default=600.0),
    "env": EnvOption("table", "extra environment variables for the commands", default={}),
}
ENVIRONMENT_OPTIONS: dict[str, dict[str, EnvOption]] = {
    LOCAL: {
        **_COMMON,
        "command": EnvOption("argv", "the server command line; {port} {host} {release_dir} "
                          "{state} are filled in", required=True),
        "health": EnvOption("str", "the URL path that answers 200 when healthy",
                         default="/healthz"),
        "host": EnvOption("str", "the address the release listens on", default="127.0.0.1"),
        "keep_releases": EnvOption("int", "release folders to keep", default=5),
        "install": EnvOption("str", "inherit: the release venv sees the dependencies of the "
                          "Python running pytest-tower (offline); index: pip installs them",
                          default="inherit", choices=("inherit", "index")),
        "stop_timeout": EnvOption("duration", "grace between SIGTERM and SIGKILL", default=10.0),
        "log_files": EnvOption("str_list", "files the app logs to besides stdout/stderr "
                            "(relative to the release folder; {release_dir} {state}); "
                            "app_errors counts them too", default=[]),
    },
    COMMAND: {
        **_COMMON,
        "deploy": EnvOption("argv", "deploy command; {artifact} {release} {previous_release} "
                         "{port} {env} {env:NAME}", required=True),
        "rollback": EnvOption("argv", "rollback command ({previous_release} is the target)"),
        "stop": EnvOption("argv", "run when the run ends (tear down an ephemeral environment)"),
        "health": EnvOption("health", "a command, or a URL path appended to url",
                         default="/healthz"),
        "url": EnvOption("str", "where the environment serves; {port} is filled in",
                      default="http://127.0.0.1:{port}"),
        "release_check": EnvOption("health", "a URL path (appended to url) or a command (stdout; "
                                "{expected} is filled in) whose answer must name the release "
                                "(release_expect): proves which release serves after a deploy "
                                "or rollback", default=None),
        "release_expect": EnvOption("str", "what release_check's answer must contain: "
                                 "{release} {version} {sha256}; {release} or {sha256} "
                                 "is required ({version} alone names no one build)",
                                 default="{release}"),
        "timeout": EnvOption("duration", "how long each command may run", default=120.0),
    },
}


class EnvConfigError(ValueError):
    """An environment table cannot be used; `key` None means the table itself."""

    def __init__(self, key: str | None, problem: str, expected: str | None = None,
                 suggestion: str | None = None) -> None:
        super().__init__(problem)
        self.key = key
        self.problem = problem
        self.expected = expected
        self.suggestion = suggestion

    def __str__(self) -> str:
        text = (f"{self.key}: " if self.key else "") + self.problem
        if self.expected:
            text += f". Expected {self.expected}"
        if self.suggestion:
            text += f". Did you mean {self.suggestion!r}?"
        return text


@dataclass(frozen=True)
class EnvironmentSpec:
    name: str
    strategy: str
    options: Mapping[str, Any] = field(default_factory=dict)


def parse_environment(name: str, table: dict[str, Any]) -> EnvironmentSpec:
    """Validate one environment table; every option present, defaults filled in."""
    if not isinstance(table, dict):
        raise EnvConfigError(None, f"environments.{name} must be a table",
                             'a table such as [environments.staging] with strategy = "local"')
    strategy = table.get("strategy", LOCAL)
    if strategy not in ENVIRONMENT_OPTIONS:
        raise EnvConfigError("strategy", f"unknown strategy {strategy!r}",
                             "one of: " + ", ".join(ENVIRONMENT_OPTIONS),
                             did_you_mean(str(strategy), ENVIRONMENT_OPTIONS))
    allowed = ENVIRONMENT_OPTIONS[strategy]
    values: dict[str, Any] = {}
    for key, value in table.items():
        option = allowed.get(key)
        if option is None:
            raise EnvConfigError(key, f"unknown option for strategy {strategy!r}",
                                 "one of: " + ", ".join(sorted(allowed)),
                                 did_you_mean(key, allowed))
        try:
            values[key] = _read(option, value)
        except OptionError as exc:
            raise EnvConfigError(key, "wrong type or value", exc.expected) from None
    for key, option in allowed.items():
        if key not in values:
            if option.required:
                raise EnvConfigError(key, "missing required option", f"{key} = ... "
                                     f"({option.help})")
            values[key] = option.default
    for key in ("keep_releases", "health_failures_allowed"):
        if key in values and values[key] < (1 if key == "keep_releases" else 0):
            raise EnvConfigError(key, f"{values[key]} is too small", "a positive number")
    expect = values.get("release_expect")
    if isinstance(expect, str) and "{release}" not in expect and "{sha256}" not in expect:
        # "{version}" is the same for every build between two version bumps: the old
        # release would confirm the new one.
        raise EnvConfigError("release_expect", f"{expect!r} does not identify a release: a "
                             "version is shared by every build of it, so the release that "
                             "was serving before would confirm the new one",
                             '"{release}" (the default) or "{sha256}", alone or with '
                             '{version}, e.g. "{version}+{sha256}"')
    return EnvironmentSpec(name, strategy, values)


def _read(option: EnvOption, value: Any) -> Any:
    """The kinds only environments use: argv, health (argv or path), table of strings."""
    if option.kind == "argv":
        if isinstance(value, str):
            argv = shlex.split(value)
        else:
            argv = read_option(Option("str_list"), value)
        if not argv:
            raise OptionError("a non-empty command line (string or list of strings)")
        return argv
    if option.kind == "health":
        if isinstance(value, str):
            if not value.startswith("/"):
                raise OptionError('a URL path such as "/healthz", or a command list such as '
                                  '["./health.sh"]')
            return value
        return _read(EnvOption("argv"), value)
    if option.kind == "table":
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise OptionError('a table of strings such as { NAME = "value" }')
        return dict(value)
    return read_option(Option(option.kind, option.help, option.default, option.required,
                              option.choices), value)
