"""JUnit XML -> counts and the failing cases, from the `<testcase>` elements.

Runners disagree on the shape: pytest and most others nest `<testsuite>`s
under `<testsuites>`, Node 20 writes `<testcase>`s straight under
`<testsuites>`, some write one `<testsuite>` per file. So every `<testcase>`
anywhere is counted and the totals a runner writes on its suites are never
trusted (they are only compared, for a note). A case is failed with a
`<failure>` child, an error with `<error>`, skipped with `<skipped>`, else
passed.

Parsed with defusedxml, not xml.etree alone: a report is a file a test run
wrote and anyone can plant, and the standard parser expands entities (a
"billion laughs" file takes the gate's memory); defusedxml (with forbid_dtd)
refuses any DTD, entity or external reference, which no runner writes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_tower.core.model import Finding, ToolError

MAX_MESSAGE = 300


@dataclass
class Counts:
    tests: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    duration: float = 0.0
    declared: int = 0
    findings: list[Finding] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        for name in ("tests", "passed", "failed", "errors", "skipped", "duration", "declared"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.findings += other.findings


def read_report(path: Path, shown: str) -> Counts:
    """The counts of one JUnit XML file; ToolError when it is not one."""
    import defusedxml.ElementTree as safe_xml
    from defusedxml import DefusedXmlException

    fix = "make the runner write JUnit XML to this path (and only there)"
    try:
        root: Any = safe_xml.parse(path, forbid_dtd=True).getroot()
    except DefusedXmlException as exc:
        raise ToolError(f"report {shown} declares XML entities or a DTD ({exc}), which no test "
                        "runner writes: refused, not read", fix=fix) from None
    except (OSError, SyntaxError, ValueError) as exc:  # ParseError is a SyntaxError
        raise ToolError(f"report {shown} is not readable XML ({exc})", fix=fix) from None
    if root is None:
        raise ToolError(f"report {shown} holds no XML element", fix=fix)
    if _local(root.tag) not in ("testsuites", "testsuite", "testcase"):
        raise ToolError(f"report {shown} is XML but not JUnit: its root is <{root.tag}>, not "
                        "<testsuites> or <testsuite>", fix=fix)
    counts = Counts()
    for case in root.iter():
        if _local(case.tag) == "testcase":
            _case(case, counts, shown)
    if _local(root.tag) == "testsuite" or root.get("tests") is not None:
        counts.declared = _int(root.get("tests"))
    else:  # the totals of the top-level suites, for a note when cases are missing
        counts.declared = sum([_int(s.get("tests")) for s in root
                               if _local(s.tag) == "testsuite"])
    return counts


def _case(case: Any, counts: Counts, shown: str) -> None:
    counts.tests += 1
    time = case.get("time")
    if time is not None:
        try:
            seconds = float(time.replace(",", ""))
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds) or seconds < 0:
            raise ToolError(f"report {shown}: test {case.get('name')!r} has time={time!r}, "
                            "not a duration in seconds", fix="the runner wrote a broken report")
        counts.duration += seconds
    kinds = {_local(child.tag): child for child in case}
    if "failure" in kinds or "error" in kinds:
        kind = "failure" if "failure" in kinds else "error"
        if kind == "failure":
            counts.failed += 1
        else:
            counts.errors += 1
        counts.findings.append(_finding(case, kinds[kind], kind, shown))
    elif "skipped" in kinds:
        counts.skipped += 1
    else:
        counts.passed += 1


def _finding(case: Any, problem: Any, kind: str, shown: str) -> Finding:
    """`file` (or the class/module name) as the path; Node's classname is always "test",
    which names nothing: then the report's own path."""
    name = case.get("name") or "(unnamed test)"
    classname = case.get("classname") or ""
    where = case.get("file") or (classname if classname not in ("", "test") else shown)
    line = case.get("line")
    detail = (problem.get("message") or (problem.text or "").strip() or kind).strip()
    first = detail.splitlines()[0] if detail else kind
    if len(first) > MAX_MESSAGE:
        first = first[:MAX_MESSAGE - 1] + "…"
    named = classname not in ("", "test") and classname != where
    test = f"{classname}::{name}" if named else name
    return Finding(path=where, line=int(line) if line and line.isdigit() else None,
                   code="failed" if kind == "failure" else "error",
                   message=f"{test}: {first}")


def _int(text: str | None) -> int:
    try:
        return max(0, int(text or 0))
    except ValueError:
        return 0


def _local(tag: object) -> str:
    """A tag without its namespace ({urn:x}testcase -> testcase); comments have no str tag."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
