"""The Markdown summary: what a reviewer sees on a pull request without opening logs.

GitHub renders it in the job's step summary; any Markdown viewer shows the
same file. Text from tools goes through `cell()` so a `|` or `<` in a
message cannot break the table or inject markup.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_tower.core.fs import OUTPUT_MARKER, write_text_atomic
from pytest_tower.report.text import condition_mark, finding_what, finding_where, measured_text

# Plain symbols with no emoji presentation (skipped: an en dash), the same everywhere.
SYMBOL = {"passed": "✓", "failed": "✗", "error": "!", "blocked": "⊘", "skipped": "\u2013"}
MARK_SYMBOL = {"ok": SYMBOL["passed"], "FAIL": SYMBOL["failed"], "warn": "!", "new": "?",
               "ERROR": SYMBOL["error"]}
"""A symbol for each of report/text.py's condition marks."""
MAX_FINDINGS = 20


def render_markdown(report: Mapping[str, Any], base: Path | None = None) -> str:
    """The report as Markdown; artifact links are relative to `base` (the file's folder)."""
    root = Path((report.get("project") or {}).get("root") or ".")
    passed = report.get("verdict") == "passed"
    lines = [f"## {SYMBOL['passed'] if passed else SYMBOL['failed']} "
             f"{cell(report.get('summary') or report.get('verdict', 'failed'))}", ""]
    meta = [f"started {report['started']}" if report.get("started") else "",
            f"{report['duration_s']:.1f}s" if isinstance(report.get("duration_s"), (int, float))
            else "",
            f"commit `{str(report['project']['commit'])[:12]}`"
            if (report.get("project") or {}).get("commit") else ""]
    if any(meta):
        lines += [" · ".join(m for m in meta if m), ""]
    if report.get("error"):
        lines += [f"**Configuration error:** {cell(report['error'])}", ""]
    checks = report.get("checks") or []
    if checks:
        lines += ["| Stage | Check | Verdict | Conditions | Tool | Time |",
                  "| --- | --- | --- | --- | --- | ---: |"]
        lines += [_row(c) for c in checks]
        lines.append("")
    lines += _details(checks, root, base)
    lines += _artifacts(checks, root, base)
    return "\n".join(lines).rstrip() + "\n\n" + OUTPUT_MARKER + "\n"


def write_markdown(path: Path, text: str) -> None:
    """Write the summary whole: a reader never sees half of it."""
    write_text_atomic(path, text)


def append_step_summary(text: str, environ: Mapping[str, str] | None = None) -> bool:
    """Append to $GITHUB_STEP_SUMMARY when GitHub Actions set it; True if it did."""
    target = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(text if text.endswith("\n") else text + "\n")
    return True


def cell(text: Any) -> str:
    """Text safe inside a table cell: escaped markup, no pipes, one line."""
    one_line = " ".join(str(text).split())
    return html.escape(one_line, quote=False).replace("|", "&#124;")


def code(text: Any) -> str:
    """Text for a code span in a table: entities would show literally there, so none."""
    one_line = " ".join(str(text).split()).replace("`", "'").replace("|", "\\|")
    return f"`{one_line}`"


def describe(condition: Mapping[str, Any]) -> str:
    """`✗ FAIL `violations == 0` (measured 2)`: report/text.py's wording, with a symbol."""
    mark = condition_mark(condition)
    return (f"{MARK_SYMBOL.get(mark, '?')} {mark} {code(condition.get('expr', '?'))} "
            f"({cell(measured_text(condition))})")


def _row(c: Mapping[str, Any]) -> str:
    verdict = c.get("verdict", "?")
    conditions = "<br>".join(describe(x) for x in c.get("conditions") or []) or "none"
    duration = c.get("duration_s")
    time_text = f"{duration:.2f}s" if isinstance(duration, (int, float)) and duration else ""
    return (f"| {cell(c.get('stage', ''))} | {cell(c.get('check', ''))} | "
            f"{SYMBOL.get(verdict, '?')} {cell(verdict)} | {conditions} | "
            f"{cell(c.get('tool') or '')} | {time_text} |")


def _details(checks: list[Mapping[str, Any]], root: Path, base: Path | None) -> list[str]:
    """Why each check did not pass, and its first findings (with the files kept for
    each, such as a failing UI test's screenshot and trace), folded away."""
    out: list[str] = []
    for c in checks:
        if c.get("verdict") in ("passed", "skipped"):
            continue
        findings = c.get("findings") or []
        out += [f"<details><summary><b>{cell(c.get('stage'))}::{cell(c.get('check'))}</b> "
                f"{cell(c.get('verdict'))}: {cell(c.get('message') or '')}</summary>", ""]
        for f in findings[:MAX_FINDINGS]:
            where, what = finding_where(f), finding_what(f)
            kept = ", ".join(f"[{cell(name)}]({artifact_link(str(target), root, base)})"
                             for name, target in (f.get("artifacts") or {}).items())
            out.append("- " + " ".join(p for p in (code(where) if where else "", cell(what),
                                                   f"({kept})" if kept else "") if p))
        if len(findings) > MAX_FINDINGS:
            out.append(f"- … and {len(findings) - MAX_FINDINGS} more (see the JSON report)")
        out += ["", "</details>", ""]
    return out


def _artifacts(checks: list[Mapping[str, Any]], root: Path, base: Path | None) -> list[str]:
    links = []
    for c in checks:
        for name, target in sorted((c.get("artifacts") or {}).items()):
            links.append(f"- {cell(c.get('stage'))}::{cell(c.get('check'))}: "
                         f"[{cell(name)}]({artifact_link(str(target), root, base)})")
    return ["### Artifacts", "", *links, ""] if links else []


def artifact_link(target: str, root: Path, base: Path | None) -> str:
    """A relative, URL-safe link: to `base` when given, else to the project root."""
    from urllib.parse import quote

    path = Path(target)
    if not path.is_absolute():
        path = root / path
    try:
        rel = os.path.relpath(path, base if base is not None else root)
    except ValueError:  # another drive on Windows
        rel = str(path)
    return quote(Path(rel).as_posix())
