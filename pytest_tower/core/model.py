"""The vocabulary shared by the core and every check type.

A check type runs one tool and turns its machine-readable output into a
`Measurement`: named metrics plus findings to show a person. It raises
`ToolError` when it could not measure; the core turns that into the `error`
verdict, which never counts as passed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from pytest_tower.core.runner import ToolGroup, ToolRun

# Metric units. A condition's value must be written in a unit of the same
# kind as its metric ("coverage >= 90%", "duration < 2s"); counts take none.
COUNT = ""
PERCENT = "%"
SECONDS = "s"
MILLISECONDS = "ms"
BYTES = "B"
UNITS = (COUNT, PERCENT, SECONDS, MILLISECONDS, BYTES)

# The kinds a check table's option may have (core/options.py has one reader each);
# environment strategies add their own three, read by core/env_spec.py.
CheckOptionKind = Literal["str", "int", "number", "bool", "str_list", "duration",
                          "table_list", "int_or_auto", "int_list", "str_or_list", "table"]
OptionKind = Literal[CheckOptionKind, "table", "argv", "health"]
OPTION_KINDS: tuple[str, ...] = get_args(CheckOptionKind)


@dataclass(frozen=True)
class MetricSpec:
    """A metric a check type produces.

    `keyed` metrics also exist per key, e.g. `violations[F401]`; a key the run
    did not see reads as `key_default` (0 for counts of findings) or, when that
    is None, as "no value" (which makes the check error).
    """

    name: str
    unit: str = COUNT
    help: str = ""
    keyed: bool = False
    key_default: float | None = None


@dataclass(frozen=True)
class Option:
    """A check-type-specific key of a `[stage.check]` table.

    kind: "str", "int", "number", "bool", "str_list", "duration", "table_list",
    "int_or_auto" (a whole number >= 1, or "auto"), "int_list", "str_or_list" (one
    string or a list of strings, as given) or "table" (of strings); checked when the check type
    is registered, so a typo is a usage error naming it, not a KeyError later.
    """

    kind: OptionKind
    help: str = ""
    default: Any = None
    required: bool = False
    choices: Sequence[str] = ()


@dataclass(frozen=True)
class Finding:
    """One thing to show a person: `path:line:col CODE message` (report/text.py renders it)."""

    path: str
    line: int | None = None
    col: int | None = None
    code: str = ""
    message: str = ""
    severity: str = ""
    artifacts: tuple[tuple[str, str], ...] = ()
    """Files kept as evidence of this finding, (name, path) pairs: a failing UI test's
    screenshot and trace. A tuple, so a Finding stays hashable."""

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if v not in (None, "", ())}
        if self.artifacts:
            data["artifacts"] = dict(self.artifacts)
        return data


@dataclass
class Measurement:
    """What one run of a tool showed: metrics (name -> number) and findings."""

    metrics: dict[str, float]
    findings: list[Finding] = field(default_factory=list)
    tool: str = ""
    artifacts: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    known_keys: dict[str, list[str]] = field(default_factory=dict)
    """For a keyed metric with a `key_default`: every key the tool knows (all rule
    codes, all test ids). A condition on a key outside it is a typo, never a 0."""


class ToolError(Exception):
    """The tool could not be measured: missing, crashed, hung, or unreadable.

    `what` says what happened; `command`, `stderr` and `fix` help the user act.
    """

    def __init__(
        self, what: str, *, command: Sequence[str] = (), stderr: str = "", fix: str = ""
    ) -> None:
        super().__init__(what)
        self.what = what
        self.command = list(command)
        self.stderr = stderr
        self.fix = fix

    def __str__(self) -> str:
        from pytest_tower.core.runner import format_command, tail

        lines = [self.what]
        if self.command:
            lines.append(f"command: {format_command(self.command)}")
        if self.stderr.strip():
            lines.append("stderr (last lines):")
            lines.extend(f"    {line}" for line in tail(self.stderr))
        if self.fix:
            lines.append(f"fix: {self.fix}")
        return "\n".join(lines)


@dataclass
class CheckContext:
    """What a check type's `run` gets: its options, where to run, a time budget."""

    check_id: str
    root: Path
    options: Mapping[str, Any]
    timeout: float
    artifacts_dir: Path
    deadline: float = 0.0
    progress: Callable[[str], None] = field(default=lambda line: None)
    """Show one line of live progress (the terminal rewrites it in place)."""
    environment: Any = None
    """For a check with `environment = ...`: the deployed environment it tests, with
    `.deployment` (url, release, pid, ...) and `.metrics()`; None otherwise."""
    past: Callable[[], list[dict[str, Any]]] = field(default=lambda: [])
    """This check's measured entries in the history, oldest first (read when called):
    evidence for choices such as the tests check's `workers = "auto"`."""

    def run(
        self,
        argv: Sequence[str],
        *,
        ok_codes: Sequence[int] = (0,),
        tool: str = "",
        fix: str = "",
        env: Mapping[str, str | None] | None = None,
        group: ToolGroup | None = None,
    ) -> ToolRun:
        """Run a tool within what is left of this check's timeout (`group`: one of
        several run at once from threads, stopped together; see ToolGroup)."""
        import time

        from pytest_tower.core.runner import run_tool

        left = self.deadline - time.monotonic() if self.deadline else self.timeout
        return run_tool(
            argv,
            cwd=self.root,
            timeout=left,
            timeout_label=_duration_label(self.timeout),
            ok_codes=ok_codes,
            tool=tool or Path(argv[0]).name,
            fix=fix,
            env=env,
            group=group,
        )


@dataclass(frozen=True)
class FindingsStyle:
    """How a check type's findings are exported: SARIF (code scanning) and annotations.

    Why declared here: report/ renders the findings of any check type, built-in or
    not, from this alone. `levels` maps a finding's severity (its first word,
    upper-cased) to a SARIF level, else `default_level`; `security_severity` gives
    GitHub's 0-10 score per severity (the worst seen per rule is kept);
    `notification_codes` are codes that mean "the tool could not scan this file",
    reported as tool notifications rather than results.
    """

    tool: str
    information_uri: str
    default_level: Literal["error", "warning", "note"] = "error"
    levels: Mapping[str, str] = field(default_factory=dict)
    security_severity: Mapping[str, str] = field(default_factory=dict)
    tags: Sequence[str] = ()
    notification_codes: Sequence[str] = ()
    tool_from_check: bool = False
    """A type that reads other tools' output (sarif): its findings are exported under the
    check's own tool (the first word of the measured `tool`, e.g. semgrep), not `tool`."""

    def as_dict(self) -> dict[str, Any]:
        """The JSON form the report carries per check (`findings_style`)."""
        return {"tool": self.tool, "information_uri": self.information_uri,
                "default_level": self.default_level, "levels": dict(self.levels),
                "security_severity": dict(self.security_severity), "tags": list(self.tags),
                "notification_codes": list(self.notification_codes),
                "tool_from_check": self.tool_from_check}


@dataclass(frozen=True)
class CheckType:
    """A kind of check, registered through the `pytest_tower_check_types` hook.

    `run(ctx)` returns a Measurement or raises ToolError. `default_conditions`
    apply when a check states none; `implied_conditions` always apply (they
    guard against measuring nothing) unless the user states their own bound on
    the same metric. `validate(options)` may check option values beyond their
    kind when gates.toml is read (it also sees the common keys given: conditions,
    warn, environment, ..., `gates_dir` (the folder paths are relative to) and
    `environment_strategy`, "local" or "command");
    it raises ValueError with the message to show.

    Declarations read by the rest of pytest-tower (so nothing else names a type):
    `findings` says how its findings appear in SARIF and annotations (None: they
    are not exported); `charted` lists the metrics the HTML report charts over
    runs; `install` is the fix shown when its tool is missing (built-in types
    derive it from the pinned versions, `checks.pins.install_hint`). A type
    supports `base =` (new-code metrics) when it declares a `base` option.
    """

    name: str
    run: Callable[[CheckContext], Measurement]
    metrics: Sequence[MetricSpec]
    options: Mapping[str, Option] = field(default_factory=dict)
    default_conditions: Sequence[str] = ()
    implied_conditions: Sequence[str] = ()
    default_timeout: float = 300.0
    help: str = ""
    validate: Callable[[Mapping[str, Any]], None] | None = None
    findings: FindingsStyle | None = None
    charted: Sequence[str] = ()
    install: str = ""

    @property
    def supports_base(self) -> bool:
        """True when `base = "origin/main"` gives it new-code metrics."""
        return "base" in self.options

    def metric(self, name: str) -> MetricSpec | None:
        return next((m for m in self.metrics if m.name == name), None)


def _duration_label(seconds: float) -> str:
    return f"{seconds:g}s"
