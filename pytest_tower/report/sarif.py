"""One SARIF 2.1.0 log for code scanning: the findings of every check whose type
declares a `FindingsStyle` (ruff's, bandit's, a plugin's), a run per tool.

Built from the findings the checks already parsed (from the tools' JSON),
so the file agrees with the gate: a finding the gate did not count (nosec,
baselined) is not uploaded either. Every such check that ran gets a run even
with no results, so code scanning learns that alerts were fixed. Levels,
scores and tags come from the style; nothing here names a check type.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pytest_tower.core.fs import write_text_atomic
from pytest_tower.report.annotations import CheckTypes, findings_style, known_types

if TYPE_CHECKING:
    from pytest_tower.core.model import FindingsStyle

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")
RAN = ("passed", "failed")
SRCROOT = "SRCROOT"


def build_sarif(report: Mapping[str, Any], source_root: Path | None = None,
                check_types: CheckTypes | None = None) -> dict[str, Any]:
    """The SARIF log (a dict ready for json.dump).

    URIs are relative to `source_root` (give the checkout, e.g. $GITHUB_WORKSPACE, when the
    project lives in a subfolder of the repository), else to the project root.
    `check_types` is the run's {name: CheckType} (default: the built-in ones).
    """
    types = known_types(check_types)
    project = Path((report.get("project") or {}).get("root") or ".")
    root = source_root if source_root is not None else project
    runs: dict[str, dict[str, Any]] = {}
    for check in report.get("checks") or []:
        style = findings_style(check, types)
        if style is None or check.get("verdict") not in (*RAN, "error"):
            continue
        tool = style.tool
        run = runs.get(tool) or runs.setdefault(tool, _new_run(style, check, root))
        _add(run, style, check, project, root)
    for run in runs.values():
        del run["_rules"]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": list(runs.values()),
            "properties": {"generator": "pytest-tower"}}


def write_sarif(path: Path, report: Mapping[str, Any], source_root: Path | None = None,
                check_types: CheckTypes | None = None) -> None:
    log = build_sarif(report, source_root, check_types)
    write_text_atomic(path, json.dumps(log, indent=2) + "\n")


def _new_run(style: FindingsStyle, check: Mapping[str, Any], root: Path) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": style.tool, "informationUri": style.information_uri,
                              "rules": []}
    version = str(check.get("tool") or "").partition(" ")[2].strip()
    if version:
        driver["version"] = version
    return {
        "tool": {"driver": driver},
        "originalUriBaseIds": {SRCROOT: {"uri": root.resolve().as_uri() + "/"}},
        "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": []}],
        "results": [],
        "_rules": {},  # rule id -> index, dropped before returning
    }


def _add(run: dict[str, Any], style: FindingsStyle, check: Mapping[str, Any], project: Path,
         root: Path) -> None:
    tool = style.tool
    invocation = run["invocations"][0]
    if check.get("verdict") == "error":
        invocation["executionSuccessful"] = False
        invocation["toolExecutionNotifications"].append(
            {"level": "error", "message": {"text": str(check.get("message") or "tool error")}})
    for f in check.get("findings") or []:
        code = str(f.get("code") or f"{tool}-finding")
        if code in style.notification_codes:  # a file the tool could not scan: not a result
            invocation["toolExecutionNotifications"].append(_notification(f, project, root))
            continue
        severity = str(f.get("severity") or "").split("/")[0].upper()
        level = style.levels.get(severity, style.default_level)
        index = _rule(run, style, code, severity)
        result: dict[str, Any] = {
            "ruleId": code,
            "ruleIndex": index,
            "level": level,
            "message": {"text": str(f.get("message") or code)},
            "locations": [_location(f, project, root)],
        }
        if f.get("severity"):
            result["properties"] = {"severity": str(f["severity"])}
        run["results"].append(result)


def _rule(run: dict[str, Any], style: FindingsStyle, code: str, severity: str) -> int:
    rules = run["_rules"]
    if code not in rules:
        rule: dict[str, Any] = {"id": code,
                                "shortDescription": {"text": f"{style.tool} {code}"}}
        if style.tags:
            rule["properties"] = {"tags": list(style.tags)}
        rules[code] = len(run["tool"]["driver"]["rules"])
        run["tool"]["driver"]["rules"].append(rule)
    rule = run["tool"]["driver"]["rules"][rules[code]]
    score = style.security_severity.get(severity)
    if score is not None:  # the worst seen for this rule
        properties = rule.setdefault("properties", {})
        if float(score) > float(properties.get("security-severity", "0")):
            properties["security-severity"] = score
    return int(rules[code])


def _location(f: Mapping[str, Any], project: Path, root: Path) -> dict[str, Any]:
    path = _rebase(str(f.get("path") or ""), project, root)
    artifact = ({"uri": Path(path).as_uri()} if Path(path).is_absolute()
                else {"uri": _uri(path), "uriBaseId": SRCROOT})
    physical: dict[str, Any] = {"artifactLocation": artifact}
    region = {}
    if isinstance(f.get("line"), int) and f["line"] >= 1:
        region["startLine"] = f["line"]
        if isinstance(f.get("col"), int) and f["col"] >= 1:
            region["startColumn"] = f["col"]
    if region:
        physical["region"] = region
    return {"physicalLocation": physical}


def _notification(f: Mapping[str, Any], project: Path, root: Path) -> dict[str, Any]:
    return {"level": "error", "message": {"text": str(f.get("message") or "error")},
            "locations": [_location(f, project, root)]}


def _rebase(path: str, project: Path, root: Path) -> str:
    """A finding's path (relative to the project) made relative to `root` if it lies inside."""
    if not path or project == root:
        return path
    full = Path(path) if Path(path).is_absolute() else project / path
    try:
        return full.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(full.resolve())


def _uri(path: str) -> str:
    """A relative URI reference: forward slashes, unsafe characters percent-encoded."""
    return quote(Path(path).as_posix()) if path else "."
