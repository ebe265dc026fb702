"""Conditions and findings as text: one renderer for every place that shows them.

The terminal summary, a failed check's explanation (run/items.py), the
Markdown summary and the HTML page all word a condition through
`condition_mark` + `core.conditions.measured_text` and a finding through
`finding_where`/`finding_what`; Markdown and HTML only add their markup and
escaping. Works on the report dict's entries, never on a session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_tower.core.conditions import FAIL, measured_text

__all__ = ["condition_line", "condition_mark", "finding_line", "finding_what",
           "finding_where", "measured_text"]


def condition_mark(result: Mapping[str, Any]) -> str:
    """ok, FAIL, warn (a warn-level condition not met), new (no baseline yet: not judged
    this once) or ERROR (not judged: no value, or a baseline that cannot be used)."""
    passed = result.get("passed")
    if passed is None:
        return ("new" if "baseline" in result and result.get("actual") is not None
                and not result.get("note") else "ERROR")
    if passed:
        return "ok"
    return "FAIL" if result.get("level", FAIL) == FAIL else "warn"


def condition_line(result: Mapping[str, Any]) -> str:
    """A condition as the terminal shows it: mark, expression, what was measured."""
    return f"{condition_mark(result):>5}  {result.get('expr')}  ({measured_text(result)})"


def finding_where(finding: Mapping[str, Any]) -> str:
    """`path:line:col`, leaving out the parts a finding does not have."""
    return ":".join(str(finding[k]) for k in ("path", "line", "col")
                    if finding.get(k) not in (None, ""))


def finding_what(finding: Mapping[str, Any]) -> str:
    """`code severity message`, leaving out the parts a finding does not have."""
    parts = [finding.get(k) for k in ("code", "severity", "message")]
    return " ".join(str(p) for p in parts if p not in (None, ""))


def finding_line(finding: Mapping[str, Any]) -> str:
    """`path:line:col code severity message`, as a failed check lists its findings."""
    return " ".join(p for p in (finding_where(finding), finding_what(finding)) if p)
