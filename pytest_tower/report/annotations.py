"""GitHub workflow annotations: findings and broken conditions pinned to the diff.

GitHub reads `::error file=…,line=…::message` lines from a step's output.
Findings of a check that did not pass are errors; those of a passing check
(a tolerated `violations <= 5`, say) are warnings, so a green gate never
shows red marks. Warn-level conditions that do not hold are warnings too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_tower.core.model import CheckType, FindingsStyle

CheckTypes = Mapping[str, "CheckType"]
MAX_PER_CHECK = 50  # GitHub shows only so many per step; the rest would be noise in the log


def github_annotations(report: Mapping[str, Any], workspace: Path | None = None,
                       check_types: CheckTypes | None = None) -> list[str]:
    """Workflow command lines for the report; paths rebased onto `workspace` if given.

    A check's findings are annotated when its check type declares a `findings`
    style (`check_types`: the run's {name: CheckType}; default the built-in ones).
    """
    types = known_types(check_types)
    root = Path((report.get("project") or {}).get("root") or ".")
    lines: list[str] = []
    for c in report.get("checks") or []:
        name = f"{c.get('stage')}::{c.get('check')}"
        verdict = c.get("verdict")
        if verdict == "error":
            lines.append(command("error", c.get("message") or "could not measure",
                                 title=f"{name} could not measure"))
        for cond in c.get("conditions") or []:
            if cond.get("passed") is False:
                level = "warning" if cond.get("level") == "warn" else "error"
                lines.append(command(level, _condition_text(cond),
                                     title=f"{name}: condition not met"))
        style = findings_style(c, types)
        if style is not None:
            lines += _findings(c, style.tool, name, "error" if verdict != "passed" else "warning",
                               root, workspace)
    return lines


def emit_github_annotations(report: Mapping[str, Any], write: Callable[[str], Any],
                            environ: Mapping[str, str] | None = None,
                            check_types: CheckTypes | None = None) -> int:
    """Write the annotations when running under GitHub Actions; how many were written."""
    env = os.environ if environ is None else environ
    if env.get("GITHUB_ACTIONS") != "true":
        return 0
    workspace = Path(env["GITHUB_WORKSPACE"]) if env.get("GITHUB_WORKSPACE") else None
    lines = github_annotations(report, workspace, check_types)
    for line in lines:
        write(line)
    return len(lines)


def known_types(check_types: CheckTypes | None) -> CheckTypes:
    """The given check types, else the built-in ones (a report read back from a file)."""
    if check_types is not None:
        return check_types
    from pytest_tower.checks import builtin_check_types

    return builtin_check_types()


def findings_style(check: Mapping[str, Any], check_types: CheckTypes) -> FindingsStyle | None:
    """How the check's findings are exported: its type's declaration, None if not at all.

    A check whose type is not among them (an older report, a plugin not loaded)
    is matched by its tool's or its own name against the declared tool names.
    """
    declared = check_types.get(str(check.get("type") or ""))
    if declared is not None:
        style = declared.findings
        measured = str(check.get("tool") or "").split(" ", 1)[0].rstrip(",")
        if style is not None and style.tool_from_check and measured:
            from dataclasses import replace

            return replace(style, tool=measured)
        return style
    tool = str(check.get("tool") or "").split(" ", 1)[0].lower()
    for candidate in (tool, str(check.get("check") or "").lower()):
        for check_type in check_types.values():
            if check_type.findings is not None and candidate == check_type.findings.tool:
                return check_type.findings
    return None


def command(level: str, message: str, **properties: Any) -> str:
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items()
                     if v not in (None, ""))
    return f"::{level}{' ' + props if props else ''}::{escape_data(message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _findings(check: Mapping[str, Any], tool: str, name: str, level: str, root: Path,
              workspace: Path | None) -> list[str]:
    findings = check.get("findings") or []
    out = []
    for f in findings[:MAX_PER_CHECK]:
        code = f.get("code") or ""
        message = f.get("message") or code
        if f.get("severity"):
            message = f"{message} [{f['severity']}]"
        out.append(command(level, message, file=_path(str(f.get("path", "")), root, workspace),
                           line=f.get("line"), col=f.get("col"),
                           title=f"{tool} {code}".strip()))
    if len(findings) > MAX_PER_CHECK:
        out.append(command("notice", f"{len(findings) - MAX_PER_CHECK} more findings of {name} "
                           "are in the report", title=f"{name} findings"))
    return out


def _condition_text(cond: Mapping[str, Any]) -> str:
    """`expr: measured ...`, worded as every other renderer words it."""
    from pytest_tower.core.conditions import measured_text

    return f"{cond.get('expr')}: {measured_text(cond)}"


def _path(path: str, root: Path, workspace: Path | None) -> str:
    """GitHub wants paths relative to the checkout; the report's are relative to the root."""
    if workspace is None or not path:
        return path
    full = Path(path) if Path(path).is_absolute() else root / path
    try:
        return full.resolve().relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return path
