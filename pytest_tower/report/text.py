"""Conditions and findings as text: one renderer for every place that shows them.

The terminal summary and a failed check's explanation (run/items.py) use
these; Markdown and HTML wrap the same `finding_where` in their own markup.
Works on the report dict's condition and finding entries, never on a session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_tower.core.conditions import FAIL
from pytest_tower.core.units import format_value


def condition_line(result: Mapping[str, Any]) -> str:
    """A condition as the terminal shows it: mark, expression, measured value."""
    if result["passed"] is None:
        mark = ("new" if "baseline" in result and result["actual"] is not None
                and not result.get("note") else "ERROR")  # a note: a baseline not usable
    elif result["passed"]:
        mark = "ok"
    else:
        mark = "FAIL" if result["level"] == FAIL else "warn"
    measured = format_value(result["actual"], result["unit"])
    text = f"{mark:>5}  {result['expr']}  (measured {measured}"
    if "baseline" in result:
        if result["baseline"] is None:
            return text + (", no usable baseline)" if result.get("note") else ", no baseline yet)")
        text += (f", baseline {format_value(result['baseline'], result['unit'])}"
                 f" -> threshold {format_value(result['threshold'], result['unit'])}")
    return text + ")"


def finding_where(finding: Mapping[str, Any]) -> str:
    """`path:line:col`, leaving out the parts a finding does not have."""
    return ":".join(str(finding[k]) for k in ("path", "line", "col")
                    if finding.get(k) not in (None, ""))


def finding_line(finding: Mapping[str, Any]) -> str:
    """`path:line:col code severity message`, as a failed check lists its findings."""
    parts = [finding_where(finding), finding.get("code", ""), finding.get("severity", ""),
             finding.get("message", "")]
    return " ".join(str(p) for p in parts if p)
