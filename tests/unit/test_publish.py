"""publish(): every output of a finished run, as the session calls it at sessionfinish."""

from __future__ import annotations

import json

from pytest_tower.history.store import read_history
from pytest_tower.report.publish import publish
from tests.unit.real_reports import RUFF_AND_BANDIT, real_report


def test_every_output_under_a_faked_github_job(pytester, tmp_path) -> None:
    data = real_report(pytester, RUFF_AND_BANDIT)
    out = tmp_path / "out"
    summary = tmp_path / "step-summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_WORKSPACE": str(pytester.path)}
    printed: list[str] = []
    for _ in range(2):  # two runs: the page's trends have two points
        done = publish(data, root=pytester.path, history=out / "history.jsonl", keep=5,
                       markdown=out / "summary.md", sarif=out / "tower.sarif",
                       html=out / "page.html", write_line=printed.append, environ=env)
    assert done == [f"tower: {what} written to {out / name}" for what, name in (
        ("history", "history.jsonl"), ("Markdown summary", "summary.md"),
        ("SARIF", "tower.sarif"), ("HTML report", "page.html"))]
    assert len(read_history(out / "history.jsonl")) == 2
    assert (out / "summary.md").read_text().startswith("## ✗ TOWER GATE FAILED")
    assert summary.read_text().count("## ✗ TOWER GATE FAILED") == 2  # appended, not replaced
    sarif = json.loads((out / "tower.sarif").read_text())
    assert [r["tool"]["driver"]["name"] for r in sarif["runs"]] == ["ruff", "bandit"]
    assert 'data-series="lint::ruff:violations" data-points="2"' in (
        out / "page.html").read_text()
    assert "::error file=src/app.py,line=1,col=8,title=ruff F401::`os` imported but unused" in (
        printed)


def test_outside_github_only_what_was_asked(pytester, tmp_path) -> None:
    data = real_report(pytester, RUFF_AND_BANDIT)
    printed: list[str] = []
    done = publish(data, root=pytester.path, html=tmp_path / "p.html",
                   write_line=printed.append, environ={})
    assert done == [f"tower: HTML report written to {tmp_path / 'p.html'}"]
    assert printed == [] and sorted(p.name for p in tmp_path.iterdir()) == ["p.html"]
    # no history: the page still charts this one run
    assert 'data-series="duration" data-points="1"' in (tmp_path / "p.html").read_text()


def test_an_unwritable_output_is_reported_not_raised(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    report = {"schema": 1, "verdict": "passed", "checks": [], "environments": []}
    done = publish(report, root=tmp_path, markdown=blocker / "sub" / "s.md", environ={})
    assert len(done) == 1 and done[0].startswith("tower: Markdown summary not written: ")


def test_the_run_s_check_types_reach_sarif_html_and_annotations(pytester, tmp_path) -> None:
    from pytest_tower.core.model import CheckType, FindingsStyle, MetricSpec

    data = real_report(pytester, RUFF_AND_BANDIT)
    for c in data["checks"]:
        c["type"] = "todo"
    types = {"todo": CheckType("todo", lambda ctx: None, [MetricSpec("violations")],
                               findings=FindingsStyle("todo-scan", "https://example.org/"),
                               charted=["violations"])}
    printed: list[str] = []
    publish(data, root=pytester.path, sarif=tmp_path / "t.sarif", html=tmp_path / "p.html",
            write_line=printed.append, environ={"GITHUB_ACTIONS": "true"}, check_types=types)
    sarif = json.loads((tmp_path / "t.sarif").read_text())
    assert [r["tool"]["driver"]["name"] for r in sarif["runs"]] == ["todo-scan"]
    assert 'data-series="lint::ruff:violations"' in (tmp_path / "p.html").read_text()
    assert any("title=todo-scan F401" in line for line in printed)
