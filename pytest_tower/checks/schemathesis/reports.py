"""schemathesis's three machine-readable reports, read together. Pure (files in, data out).

Why three: each is the most truthful source of one thing.
- The JSON run report (`--report json`) is the run's own verdict: whether the
  engine completed, why it stopped, its exit code, how many operations were
  selected, tested, errored, the warnings (`missing_auth`: an operation that
  answered only 401/403) and the failures grouped by code. It exists after a
  schema that did not load (exit 2, `complete: false`), when the JUnit file
  still says `tests="0"` and no failure — a clean-looking report of nothing.
- The NDJSON event stream is the only one naming the *check* of each failure
  (`not_a_server_error`, `ignored_auth`), its operation and test case id, and
  the network errors' messages; unique failures are counted from it the way
  schemathesis dedups them (one per operation, check, code and title).
- The JUnit report is the only one holding the `curl` reproduction the
  terminal prints (NDJSON drops it), found by its test case id.
A failure code the JSON report counts but the event stream does not show (a
run-level check) is still counted: the JSON report has the last word.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ReportError(ValueError):
    """A report is missing, unreadable or not schemathesis's shape."""


@dataclass(frozen=True)
class Failure:
    """One unique failure: where (`GET /tasks/{id}`; TRACE for an undeclared method), which
    check and code, and how to reproduce it."""

    place: str
    check: str
    code: str
    title: str
    message: str = ""
    case_id: str = ""
    curl: str = ""


@dataclass
class Reports:
    summary: dict[str, Any]
    failures: list[Failure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)   # each network/fatal error, once
    fatal: str = ""

    @property
    def operations(self) -> dict[str, Any]:
        ops = self.summary.get("operations")
        return ops if isinstance(ops, dict) else {}

    def warned(self, kind: str) -> list[str]:
        found = (self.summary.get("warnings") or {}).get(kind) or []
        return [str(w) for w in found] if isinstance(found, list) else []


def read(json_path: Path, ndjson_path: Path, junit_path: Path) -> Reports:
    summary = _summary(json_path)
    reports = Reports(summary)
    curls = _curls(junit_path) if junit_path.is_file() else {}
    seen: dict[tuple[str, ...], Failure] = {}
    if ndjson_path.is_file():
        for kind, event in _events(ndjson_path):
            if kind == "ScenarioFinished":
                for failure in _scenario_failures(event, curls):
                    key = (failure.place, failure.check, failure.code, failure.title)
                    seen.setdefault(key, failure)
            elif kind == "NonFatalError":
                value = event.get("value") or {}
                text = f"{event.get('label', '?')}: {value.get('type', 'Error')}: " \
                       f"{str(value.get('message', ''))[:500]}"
                if text not in reports.errors:
                    reports.errors.append(text)
            elif kind == "FatalError":
                exc = event.get("exception") or {}
                reports.fatal = f"{exc.get('type', 'Error')}: {exc.get('message', '')}"
    reports.failures = list(seen.values())
    _add_unseen_groups(reports)
    return reports


def _summary(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ReportError(f"no JSON run report at {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ReportError(f"the JSON run report {path} is unreadable: {exc}") from None
    wanted = {"complete": bool, "stop_reason": str, "exit_code": int, "failures": list,
              "errors": list, "test_cases": dict}
    bad = [k for k, kind in wanted.items() if not isinstance(
        data.get(k) if isinstance(data, dict) else None, kind)]
    if bad:
        raise ReportError(f"the JSON run report {path} lacks {', '.join(bad)}: it is not "
                          "schemathesis 4's run report")
    for group in data["failures"]:
        if not (isinstance(group, dict) and isinstance(group.get("code"), str)
                and isinstance(group.get("count"), int)
                and isinstance(group.get("operations"), list)):
            raise ReportError(f"the JSON run report {path} has a malformed failure: {group!r}")
    return dict(data)


def _events(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except ValueError:
                raise ReportError(f"{path}:{number} is not JSON: {line[:120]!r}") from None
            if isinstance(event, dict) and len(event) == 1:
                kind, body = next(iter(event.items()))
                if isinstance(body, dict):
                    yield kind, body


def _scenario_failures(event: dict[str, Any], curls: dict[str, str]) -> Iterator[Failure]:
    recorder = event.get("recorder") or {}
    cases = recorder.get("cases") or {}
    for case_id, checks in (recorder.get("checks") or {}).items():
        for check in checks or ():
            if not isinstance(check, dict) or check.get("status") != "failure":
                continue
            info = (check.get("failure_info") or {}).get("failure") or {}
            operation = str(info.get("operation") or recorder.get("label") or "?")
            case = (cases.get(case_id) or {}).get("value") or {}
            method, _, path = operation.partition(" ")
            method = str(case.get("method") or method).upper()
            yield Failure(place=f"{method} {path}" if path else operation,
                          check=str(check.get("name", "?")), code=str(info.get("code", "")),
                          title=str(info.get("title", "")), message=str(info.get("message", "")),
                          case_id=str(case_id), curl=curls.get(str(case_id), ""))


_CASE = re.compile(r"Test Case ID: (\S+)")
_CURL = re.compile(r"Reproduce with:\s*\n\s*(curl [^\n]+)")


def _curls(path: Path) -> dict[str, str]:
    """{test case id: the curl line} from the JUnit failures' text."""
    from defusedxml import DefusedXmlException, ElementTree

    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError, DefusedXmlException) as exc:
        raise ReportError(f"the JUnit report {path} is unreadable: {exc}") from None
    found: dict[str, str] = {}
    if root is None:
        return found
    for failure in root.iter("failure"):
        text = failure.text or ""
        starts = [(m.start(), m.group(1)) for m in _CASE.finditer(text)]
        for (start, case_id), (end, _) in zip(starts, [*starts[1:], (len(text), "")],
                                              strict=True):
            curl = _CURL.search(text, start, end)
            if curl:
                found[case_id] = curl.group(1).strip()
    return found


def _add_unseen_groups(reports: Reports) -> None:
    """A code the JSON report counts that no scenario showed: counted all the same."""
    codes = {f.code for f in reports.failures}
    for group in reports.summary["failures"]:
        if group["code"] in codes or group["count"] < 1:
            continue
        places = [str(p) for p in group["operations"]] or ["(whole run)"]
        for place in places:
            reports.failures.append(Failure(place=place, check=str(group.get("type", "?")),
                                            code=group["code"],
                                            title=str(group.get("title", ""))))
