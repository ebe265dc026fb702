"""The HTML page as text: self-contained, escaped, one circle per run with a value.

(tests/integration/test_html_chromium.py loads it in a real browser.)
"""

from __future__ import annotations

import json
import re

from pytest_tower.report.html import render_html


def run(n: int, **metrics: float) -> dict:
    return {"verdict": "passed", "started": f"run-{n}", "duration_s": 10.0 + n,
            "checks": [{"stage": "lint", "check": "ruff", "metrics": metrics}]}


REPORT = {"schema": 1, "verdict": "passed", "summary": "TOWER GATE PASSED: 1 of 1 checks passed",
          "started": "2026-01-01T00:00:00Z", "duration_s": 3.0,
          "project": {"root": "/p", "commit": "abc"},
          "checks": [{"stage": "lint", "check": "ruff", "verdict": "passed", "tool": "ruff 0.17.6",
                      "metrics": {"violations": 0}, "duration_s": 0.1, "findings": [],
                      "conditions": [{"expr": "violations <= 3", "op": "<=", "threshold": 3.0,
                                      "unit": "", "actual": 0, "passed": True,
                                      "level": "fail"}]}],
          "environments": []}


def charts(page: str) -> dict[str, int]:
    found = re.findall(r'<figure class="chart" data-series="([^"]+)" data-points="(\d+)">(.*?)'
                       r"</figure>", page, re.S)
    counts = {}
    for series, points, body in found:
        assert body.count("<circle") == int(points)
        counts[series] = int(points)
    return counts


def test_nothing_is_loaded_from_elsewhere() -> None:
    page = render_html(REPORT, [run(1, violations=1)])
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"""(src|href)\s*=""", page)
    assert not re.search(r"url\(", page)
    assert "default-src 'none'" in page  # and the browser would refuse it anyway


def test_one_point_per_run_that_has_the_value() -> None:
    history = [run(1, violations=3), run(2), run(3, violations=1, coverage=91.5)]
    assert charts(render_html(REPORT, history)) == {
        "lint::ruff:coverage": 1, "lint::ruff:violations": 2, "duration": 3}


def test_only_the_last_runs_are_drawn() -> None:
    history = [run(n, violations=n) for n in range(100)]
    page = render_html(REPORT, history, last=30)
    assert charts(page) == {"lint::ruff:violations": 30, "duration": 30}
    assert 'data-value="99"' in page and 'data-value="69"' not in page


def test_conditions_show_measured_against_threshold() -> None:
    page = render_html(REPORT, [])
    assert '<li class="c-ok"><code>violations &lt;= 3</code> ok (measured 0)</li>' in page
    failed = {**REPORT["checks"][0]["conditions"][0], "expr": "p95 <= baseline",
              "unit": "ms", "actual": 120.0, "threshold": 100.0, "baseline": 100.0,
              "passed": False}
    report = REPORT | {"checks": [REPORT["checks"][0] | {"conditions": [failed]}]}
    assert ('<li class="c-fail"><code>p95 &lt;= baseline</code> FAIL (measured 120ms, '
            "baseline 100ms -&gt; threshold 100ms)</li>") in render_html(report, [])
    assert "No history yet" in page and "No deployments in this run." in page


def test_everything_is_escaped() -> None:
    evil = "<b onmouseover=x>&\"'"
    report = REPORT | {"summary": evil,
                       "environments": [{"env": evil, "events": [{"release": evil,
                                                                  "status": evil}]}]}
    page = render_html(report, [run(1, **{"v<x>": 1.0}) | {"started": evil}])
    assert "<b onmouseover" not in page
    assert "&lt;b onmouseover=x&gt;&amp;&quot;&#x27;" in page


def test_skipped_history_lines_are_noted_under_the_trends(tmp_path) -> None:
    from pytest_tower.history.store import read_history

    path = tmp_path / "history.jsonl"
    lines = [run(1, violations=1), run(2, violations=float("inf")), run(3, violations=2)]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines) + "{torn\n")
    page = render_html(REPORT, read_history(path))
    assert charts(page)["lint::ruff:violations"] == 2
    assert '<p id="history-note" class="muted">2 unreadable lines of history skipped</p>' in page
    assert "history-note" not in render_html(REPORT, [run(1, violations=1)])


def test_the_charted_metrics_are_the_ones_the_check_types_declare() -> None:
    from pytest_tower.core.model import CheckType, MetricSpec

    history = [run(1, violations=3, todos=2), run(2, violations=1, todos=1)]
    assert "lint::ruff:todos" not in charts(render_html(REPORT, history))  # built-ins: no todos
    types = {"todo": CheckType("todo", lambda ctx: None, [MetricSpec("todos")],
                               charted=["todos"])}
    assert charts(render_html(REPORT, history, check_types=types)) == {
        "lint::ruff:todos": 2, "duration": 2}
