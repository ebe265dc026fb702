"""The HTML page in a real headless Chromium: no console errors, no loads from
elsewhere, the right number of points per trend chart, a screenshot kept.

Needs a Chromium on the machine (Debian: `apt-get install -y --no-install-recommends
chromium`), driven by Playwright. Skipped without one on a developer's machine; under
CI (CI=true, where .ci/run installs it) a missing browser fails instead.
"""

from __future__ import annotations

import json
import os

import pytest

from pytest_tower.history.store import append_history, read_history
from pytest_tower.report.html import CSP, write_html
from tests.integration.chromium import Page, chromium_path, keep_artifact
from tests.unit.real_reports import RUFF_ONLY, real_report

CHROMIUM = chromium_path()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI", "") != "true",
    reason="chromium is not installed (apt-get install -y --no-install-recommends chromium)")

CHARTS = """JSON.stringify(Object.fromEntries([...document.querySelectorAll('figure.chart')]
  .map(f => [f.dataset.series, f.querySelectorAll('svg circle.point').length])))"""


def old_run(n: int) -> dict:
    checks = [
        {"stage": "lint", "check": "ruff", "verdict": "passed", "metrics": {"violations": n}},
        {"stage": "unit", "check": "tests", "verdict": "passed",
         "metrics": {"coverage": 80.0 + n, "failed": 0}},
        {"stage": "security", "check": "pip-audit", "verdict": "passed",
         "metrics": {"vulnerabilities": n % 2}},
    ]
    if n >= 2:  # the load test was added in the third run
        checks.append({"stage": "performance", "check": "load", "verdict": "passed",
                       "metrics": {"p95": 100.0 + 5 * n, "rps": 400.0 - n}})
    return {"verdict": "passed" if n % 3 else "failed", "started": f"2026-01-0{n + 1}T09:00:00Z",
            "duration_s": 30.0 + n, "project": {"root": "/nowhere", "commit": None},
            "checks": checks}


ENVIRONMENTS = [
    {"env": "staging", "events": [
        {"release": "r41", "status": "deployed", "at": "2026-01-07T09:01:00Z"},
        {"release": "r41", "status": "verified", "at": "2026-01-07T09:02:00Z"},
        {"release": "r42", "status": "deployed", "at": "2026-01-07T09:05:00Z"},
        {"release": "r42", "status": "rolled-back", "at": "2026-01-07T09:06:00Z"}]},
    {"env": "production", "events": []},
]


@pytest.fixture
def tab():
    assert CHROMIUM is not None
    with Page(CHROMIUM) as p:
        yield p


def test_the_page_loads_clean_with_every_point(pytester, tmp_path, tab) -> None:
    report = real_report(pytester, RUFF_ONLY)  # lint::ruff failed, violations == 1
    report["environments"] = ENVIRONMENTS
    history_file = tmp_path / "history.jsonl"
    for n in range(6):
        append_history(history_file, old_run(n), keep=None)
    append_history(history_file, report, keep=None)
    out = tmp_path / "tower-report.html"
    write_html(out, report, read_history(history_file))

    tab.open(out)
    assert tab.problems == []
    assert json.loads(tab.evaluate(CHARTS)) == {
        "lint::ruff:violations": 7,  # six old runs and this one
        "unit::tests:coverage": 6,  # this run had no test stage
        "security::pip-audit:vulnerabilities": 6,
        "performance::load:p95": 4,  # added in the third run
        "performance::load:rps": 4,
        "duration": 7,
    }
    assert tab.evaluate("document.querySelector('#verdict').dataset.verdict") == "failed"
    assert tab.evaluate("document.querySelector('#verdict h1').textContent").startswith(
        "TOWER GATE FAILED")
    assert tab.evaluate("[...document.querySelectorAll('tr.check')].map(r => r.dataset.check"
                         " + ' ' + r.dataset.verdict)") == ["lint::ruff failed"]
    assert tab.evaluate("[...document.querySelectorAll('#deployments li.event')]"
                         ".map(e => e.dataset.status)") == [
        "deployed", "verified", "deployed", "rolled-back"]
    # the newest point of the violations chart is this run's value
    assert tab.evaluate("[...document.querySelectorAll('[data-series=\"lint::ruff:violations\"]"
                         " circle')].at(-1).dataset.value") == "1"
    shot = tab.screenshot(tmp_path / "tower-report.png")
    keep_artifact(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_history_and_no_deployments_render_gracefully(tmp_path, tab) -> None:
    out = tmp_path / "empty.html"
    write_html(out, {"schema": 1, "verdict": "passed", "summary": "TOWER GATE PASSED",
                     "checks": [], "environments": []}, [])
    tab.open(out)
    assert tab.problems == []
    assert tab.evaluate("document.querySelectorAll('figure.chart').length") == 0
    assert "No history yet" in tab.evaluate("document.querySelector('#trends').textContent")
    assert "No deployments" in tab.evaluate(
        "document.querySelector('#deployments').textContent")
    keep_artifact(tab.screenshot(tmp_path / "tower-report-empty.png"))


def test_hostile_text_stays_text(tmp_path, tab) -> None:
    evil = '<img src=x onerror="console.error(1)"><script>console.error(2)</script>'
    report = {"schema": 1, "verdict": "failed", "summary": evil, "project": {"root": "/p"},
              "checks": [{"stage": "lint", "check": evil, "verdict": "failed", "message": evil,
                          "tool": evil, "conditions": [], "metrics": {},
                          "findings": [{"path": evil, "line": 1, "message": evil}]}],
              "environments": [{"env": evil, "events": [{"release": evil, "status": evil}]}]}
    out = tmp_path / "evil.html"
    write_html(out, report, [old_run(0) | {"started": evil}])
    tab.open(out)
    assert tab.problems == []
    assert tab.evaluate("document.querySelectorAll('img, script').length") == 0
    assert evil in tab.evaluate("document.querySelector('#verdict h1').textContent")


def test_the_harness_sees_console_errors_and_blocked_loads(tmp_path, tab) -> None:
    """The control: a page that is broken in the ways ours must not be."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"
                   "<script>console.error('boom')</script></body></html>")
    tab.open(bad)
    assert tab.problems == ["console.error: boom"]
    blocked = tmp_path / "blocked.html"
    blocked.write_text(f"<!DOCTYPE html><html><head><meta http-equiv='Content-Security-Policy' "
                       f"content=\"{CSP}\"></head><body><img src='https://example.invalid/x.png'>"
                       "</body></html>")
    tab.problems.clear()
    tab.open(blocked)
    # seen twice: the console's CSP message and the load that failed with "csp"
    assert len(tab.problems) == 2, tab.problems
    assert "Content Security Policy" in tab.problems[0]
    assert tab.problems[1] == "failed load: https://example.invalid/x.png (csp)"
