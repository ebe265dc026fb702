"""Everything a finished run leaves behind besides the JSON report, in one call.

The order matters: history first, so the HTML page's trends include this
run. A failure to write one output is reported, never raised: the gate's
verdict is already settled and must not turn into an INTERNALERROR.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_tower.core.model import CheckType


def publish(report: Mapping[str, Any], *, root: Path, history: Path | None = None,
            keep: int | None = None, markdown: Path | None = None, sarif: Path | None = None,
            html: Path | None = None, write_line: Callable[[str], Any] = print,
            environ: Mapping[str, str] | None = None,
            errors: list[str] | None = None,
            check_types: Mapping[str, CheckType] | None = None) -> list[str]:
    """Write the requested outputs; returns one line per output for the terminal.

    `check_types` ({name: CheckType}, the run's) says how each check's findings
    are exported and which metrics are charted; default the built-in types.

    An output that could not be written is also added to `errors` (when given):
    the session turns that into an error verdict, since the run did not leave
    the record it was asked for.
    """
    from pytest_tower.history.store import append_history, history_entry, read_history
    from pytest_tower.report.annotations import emit_github_annotations
    from pytest_tower.report.html import write_html
    from pytest_tower.report.markdown import append_step_summary, render_markdown, write_markdown
    from pytest_tower.report.sarif import write_sarif

    env = os.environ if environ is None else environ
    done: list[str] = []

    def attempt(what: str, path: Path | None, action: Callable[[], Any]) -> None:
        try:
            action()
        except (OSError, ValueError, TypeError) as exc:
            done.append(f"tower: {what} not written: {exc}")
            if errors is not None:
                errors.append(f"{what} not written: {exc}")
        else:
            if path is not None:
                done.append(f"tower: {what} written to {path}")

    if history is not None:
        attempt("history", history, lambda: append_history(history, report, keep))
    if markdown is not None or env.get("GITHUB_STEP_SUMMARY"):
        text = render_markdown(report, base=markdown.parent if markdown else root)
        if markdown is not None:
            attempt("Markdown summary", markdown, lambda: write_markdown(markdown, text))
        attempt("step summary", None, lambda: append_step_summary(text, env))
    if sarif is not None:
        workspace = Path(env["GITHUB_WORKSPACE"]) if env.get("GITHUB_WORKSPACE") else None
        attempt("SARIF", sarif, lambda: write_sarif(sarif, report, source_root=workspace,
                                                         check_types=check_types))
    if html is not None:
        runs = (read_history(history) if history is not None and history.exists()
                else [history_entry(report, None)])
        attempt("HTML report", html, lambda: write_html(html, report, runs, check_types))
    emit_github_annotations(report, write_line, env, check_types)
    return done
