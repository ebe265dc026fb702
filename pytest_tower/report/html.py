"""One self-contained HTML page: the verdict, the checks, deployments and trends.

It must open from a CI artifact or a mail attachment with no network, so
everything is inline (CSS, SVG charts, no script) and a Content-Security-
Policy forbids any load from elsewhere. Every piece of text from a report
or a tool goes through `esc()`. The files a check kept (a failing UI test's
screenshot and trace, the child's JUnit XML) are plain links, relative to
the page's own folder, so they open wherever the run's folder was copied
with the page; nothing of theirs is embedded.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_tower.core.fs import OUTPUT_MARKER, write_text_atomic
from pytest_tower.history.store import DURATION, resolve_series, series_values
from pytest_tower.report.annotations import CheckTypes, known_types
from pytest_tower.report.markdown import artifact_link
from pytest_tower.report.text import condition_mark, finding_what, finding_where, measured_text

LAST_RUNS = 30
W, H, PAD = 320, 120, 14  # chart size in SVG units
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
MAX_FINDINGS = 50
MARK_CLASS = {"ok": "c-ok", "FAIL": "c-fail", "warn": "c-warn"}  # new, ERROR: c-none

CSS = """
:root{--ok:#1a7f37;--bad:#cf222e;--err:#9a6700;--muted:#59636e;--line:#d1d9e0}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
 color:#1f2328;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{margin:0;font-size:22px}h2{font-size:17px;margin:28px 0 10px}
.verdict{padding:16px 20px;border-radius:8px;color:#fff}
.verdict.passed{background:var(--ok)}.verdict.failed{background:var(--bad)}
.meta{opacity:.9;margin-top:4px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line)}
th,td{text-align:left;vertical-align:top;padding:8px 10px;border-top:1px solid var(--line)}
th{background:#eef1f4}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;color:#fff}
.v-passed{background:var(--ok)}.v-failed{background:var(--bad)}.v-error{background:var(--err)}
.v-blocked,.v-skipped{background:var(--muted)}
ul.conds{margin:0;padding:0;list-style:none}
.c-ok::before{content:"\\2713  ";color:var(--ok)}.c-fail::before{content:"\\2717  ";
 color:var(--bad)}.c-warn::before{content:"!  ";color:var(--err)}
.c-none::before{content:"?  ";color:var(--err)}
.muted{color:var(--muted)}code{font:12px ui-monospace,monospace}
details{margin-top:4px}details li{font-size:12px}
.envs{display:grid;gap:12px}.env{background:#fff;border:1px solid var(--line);
 border-radius:8px;padding:10px 14px}
ol.timeline{display:flex;flex-wrap:wrap;gap:0;list-style:none;padding:0;margin:8px 0 0}
ol.timeline li{padding:0 18px 0 0;min-width:120px;border-top:2px solid var(--line);
 margin-top:7px}
ol.timeline li::before{content:"";display:block;width:12px;height:12px;border-radius:50%;
 background:var(--muted);margin:-7px 0 6px}
ol.timeline li.s-deployed::before{background:#0969da}
ol.timeline li.s-verified::before{background:var(--ok)}
ol.timeline li.s-rolled-back::before{background:var(--err)}
ol.timeline li.s-failed::before{background:var(--bad)}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:12px}
figure.chart{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;
 padding:10px}
figcaption{font-weight:600;margin-bottom:4px}
svg .axis{stroke:var(--line)}svg .trend{fill:none;stroke:#0969da;stroke-width:2}
svg .point{fill:#0969da}svg .point.run-failed{fill:var(--bad)}
svg text{font-size:10px;fill:var(--muted)}
"""


def render_html(report: Mapping[str, Any], history: Sequence[Mapping[str, Any]],
                last: int = LAST_RUNS, check_types: CheckTypes | None = None,
                base: Path | None = None) -> str:
    """The page; `history` oldest first (this run included if it was appended first).

    The trends chart the metrics the check types declare `charted` (`check_types`:
    the run's {name: CheckType}; default the built-in ones). Artifact links are
    relative to `base`, the page's folder (default: the project root).
    """
    links = _Links(Path((report.get("project") or {}).get("root") or "."), base)
    charted = trend_metrics(known_types(check_types))
    runs = list(history)[-last:] if last else list(history)
    verdict = "passed" if report.get("verdict") == "passed" else "failed"
    title = report.get("summary") or f"TOWER GATE {verdict.upper()}"
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>",
        _verdict(report, verdict, title),
        _checks(report.get("checks") or [], links),
        _deployments(report.get("environments") or []),
        _trends(runs, charted, str(getattr(history, "note", "") or "")),
        "</main></body></html>",
        OUTPUT_MARKER,
        "",
    ])


def write_html(path: Path, report: Mapping[str, Any], history: Sequence[Mapping[str, Any]],
               check_types: CheckTypes | None = None) -> None:
    write_text_atomic(path, render_html(report, history, check_types=check_types,
                                        base=path.absolute().parent))


def trend_metrics(check_types: CheckTypes) -> list[str]:
    """The metric names charted, each once, in the check types' order."""
    names: dict[str, None] = {}
    for check_type in check_types.values():
        names.update(dict.fromkeys(check_type.charted))
    return list(names)


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _verdict(report: Mapping[str, Any], verdict: str, title: str) -> str:
    project = report.get("project") or {}
    meta = [f"started {report['started']}" if report.get("started") else "",
            f"{report['duration_s']:.1f}s" if _num(report.get("duration_s")) else "",
            f"commit {str(project['commit'])[:12]}" if project.get("commit") else ""]
    error = (f'<div class="meta">configuration error: {esc(report["error"])}</div>'
             if report.get("error") else "")
    return (f'<section id="verdict" class="verdict {verdict}" data-verdict="{verdict}">'
            f"<h1>{esc(title)}</h1>"
            f'<div class="meta">{esc(" · ".join(m for m in meta if m))}</div>{error}</section>')


class _Links:
    """Artifact paths of the report as links from the page's folder."""

    def __init__(self, root: Path, base: Path | None) -> None:
        self.root, self.base = root, base

    def anchor(self, name: Any, target: Any) -> str:
        href = artifact_link(str(target), self.root, self.base)
        return f'<a class="artifact" href="{esc(href)}">{esc(name)}</a>'


def _checks(checks: Sequence[Mapping[str, Any]], links: _Links) -> str:
    rows = []
    for c in checks:
        verdict = str(c.get("verdict") or "?")
        conds = "".join(_condition(x) for x in c.get("conditions") or [])
        why = (f'<div class="muted">{esc(c.get("message"))}</div>'
               if verdict != "passed" and c.get("message") else "")
        dur = f"{c['duration_s']:.2f}s" if _num(c.get("duration_s")) else ""
        rows.append(
            f'<tr class="check" data-check="{esc(c.get("stage"))}::{esc(c.get("check"))}" '
            f'data-verdict="{esc(verdict)}"><td>{esc(c.get("stage"))}</td>'
            f'<td>{esc(c.get("check"))}</td>'
            f'<td><span class="badge v-{esc(verdict)}">{esc(verdict)}</span></td>'
            f'<td><ul class="conds">{conds}</ul>{why}{_findings(c, links)}'
            f"{_artifacts(c, links)}</td>"
            f'<td class="muted">{esc(c.get("tool"))}</td><td class="muted">{dur}</td></tr>')
    if not rows:
        return '<h2>Checks</h2><p id="checks" class="muted">No checks in this report.</p>'
    return ('<h2>Checks</h2><table id="checks"><thead><tr><th>Stage</th><th>Check</th>'
            "<th>Verdict</th><th>Conditions</th><th>Tool</th>"
            f"<th>Time</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _condition(cond: Mapping[str, Any]) -> str:
    """report/text.py's wording; the mark also picks the symbol (CSS)."""
    mark = condition_mark(cond)
    return (f'<li class="{MARK_CLASS.get(mark, "c-none")}"><code>{esc(cond.get("expr"))}</code> '
            f"{esc(mark)} ({esc(measured_text(cond))})</li>")


def _findings(check: Mapping[str, Any], links: _Links) -> str:
    findings = check.get("findings") or []
    if not findings:
        return ""
    items = []
    for f in findings[:MAX_FINDINGS]:
        kept = "".join(f" {links.anchor(name, target)}"
                       for name, target in (f.get("artifacts") or {}).items())
        items.append(f"<li><code>{esc(finding_where(f))}</code> {esc(finding_what(f))}"
                     f"{kept}</li>")
    more = (f"<li>… and {len(findings) - MAX_FINDINGS} more</li>"
            if len(findings) > MAX_FINDINGS else "")
    noun = "finding" if len(findings) == 1 else "findings"
    return (f"<details><summary>{len(findings)} {noun}</summary>"
            f"<ul>{''.join(items)}{more}</ul></details>")


def _artifacts(check: Mapping[str, Any], links: _Links) -> str:
    """Every file the check kept, folded away: a link each."""
    kept = check.get("artifacts") or {}
    if not kept:
        return ""
    items = "".join(f"<li>{links.anchor(name, target)}</li>"
                    for name, target in sorted(kept.items()))
    noun = "artifact" if len(kept) == 1 else "artifacts"
    return (f'<details class="artifacts"><summary>{len(kept)} {noun}</summary>'
            f"<ul>{items}</ul></details>")


def _deployments(environments: Sequence[Mapping[str, Any]]) -> str:
    if not environments:
        return ('<h2>Deployments</h2><p id="deployments" class="muted">'
                "No deployments in this run.</p>")
    blocks = []
    for env in environments:
        events = "".join(
            f'<li class="event s-{esc(_slug(e.get("status")))}" '
            f'data-status="{esc(e.get("status"))}"><b>{esc(e.get("release"))}</b><br>'
            f'{esc(e.get("status"))}<br><span class="muted">{esc(e.get("at"))}</span></li>'
            for e in env.get("events") or [])
        body = (f'<ol class="timeline">{events}</ol>' if events
                else '<p class="muted">no events</p>')
        blocks.append(f'<div class="env" data-env="{esc(env.get("env"))}">'
                      f"<b>{esc(env.get('env'))}</b>{body}</div>")
    return f'<h2>Deployments</h2><div id="deployments" class="envs">{"".join(blocks)}</div>'


def _trends(runs: Sequence[Mapping[str, Any]], charted: Sequence[str], note: str = "") -> str:
    """The charts; `note` says what of the history could not be read (skipped lines)."""
    keys = [k for name in charted for k in resolve_series(runs, name)] + [DURATION]
    charts = [_chart(runs, k) for k in keys] if runs else []
    charts = [c for c in charts if c]
    shown = f'<p id="history-note" class="muted">{esc(note)}</p>' if note else ""
    if not charts:
        return ('<h2>Trends</h2><p id="trends" class="muted">'
                f"No history yet: trends appear after a few runs.</p>{shown}")
    return (f'<h2>Trends (last {len(runs)} runs)</h2>{shown}'
            f'<div id="trends" class="charts">{"".join(charts)}</div>')


def _chart(runs: Sequence[Mapping[str, Any]], key: str) -> str:
    values = series_values(runs, key)
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return ""
    low, high = min(v for _, v in points), max(v for _, v in points)
    step = (W - 2 * PAD - 30) / max(len(runs) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        share = (v - low) / (high - low) if high > low else 0.5  # a flat series: mid-height
        return round(PAD + 30 + i * step, 1), round(H - PAD - share * (H - 2 * PAD), 1)

    coords = [xy(i, v) for i, v in points]
    circles = "".join(
        f'<circle class="point run-{esc(runs[i].get("verdict"))}" cx="{x}" cy="{y}" r="3.5" '
        f'data-run="{i}" data-value="{v:g}"><title>{esc(runs[i].get("started"))}: '
        f"{esc(_show(v, key))}</title></circle>"
        for (i, v), (x, y) in zip(points, coords, strict=True))
    line = " ".join(f"{x},{y}" for x, y in coords)
    label = "gate duration" if key == DURATION else " ".join(key.rsplit(":", 1))
    last = points[-1][1]
    return (f'<figure class="chart" data-series="{esc(key)}" data-points="{len(points)}">'
            f"<figcaption>{esc(label)} <span class=\"muted\">last {esc(_show(last, key))}"
            f"</span></figcaption>"
            f'<svg viewBox="0 0 {W} {H}" width="100%" role="img" aria-label="{esc(label)}">'
            f'<line class="axis" x1="{PAD + 30}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}"/>'
            f'<text x="2" y="{PAD + 4}">{esc(_show(high, key))}</text>'
            f'<text x="2" y="{H - PAD}">{esc(_show(low, key))}</text>'
            f'<polyline class="trend" points="{line}"/>{circles}</svg></figure>')


def _show(value: float, key: str) -> str:
    return f"{value:.2f}s" if key == DURATION else f"{value:g}"


def _slug(value: Any) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in str(value or "").lower())


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
