"""What a run leaves behind: history every run, --tower-show, Markdown, SARIF, HTML."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def project(pytester: pytest.Pytester, gates) -> pytest.Pytester:
    pkg = pytester.mkpydir("pkg")
    (pkg / "m.py").write_text("import os\n")
    gates('[lint.ruff]\npaths = ["pkg"]\nselect = ["F"]\n')
    return pytester


def history(project: pytest.Pytester) -> list[dict]:
    lines = (project.path / ".tower" / "history.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_every_run_is_appended_to_the_history(project) -> None:
    project.runpytest("--tower")
    (project.path / "pkg" / "m.py").write_text("X = 1\n")
    project.runpytest("--tower")
    runs = history(project)
    assert [r["verdict"] for r in runs] == ["failed", "passed"]


def test_history_keep_trims_and_rejects_nonsense(project) -> None:
    for _ in range(3):
        project.runpytest("--tower", "--tower-history-keep", "2")
    assert len(history(project)) == 2
    result = project.runpytest("--tower", "--tower-history-keep", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "keep at least 1 run" in result.stderr.str()


def test_tower_show_prints_the_trend(project) -> None:
    project.runpytest("--tower")
    project.runpytest("--tower")
    result = project.runpytest("--tower-show", "violations")
    assert result.ret == pytest.ExitCode.OK
    out = result.stdout.str()
    assert "violations" in out
    assert "lint::ruff" in out


def test_tower_show_without_history(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--tower-show")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "no history" in result.stderr.str()


def test_ci_outputs_from_a_real_run(project) -> None:
    result = project.runpytest("--tower", "--tower-markdown=out/summary.md",
                               "--tower-sarif=out/tower.sarif", "--tower-html=out/page.html")
    out = project.path / "out"
    markdown = (out / "summary.md").read_text()
    assert "lint" in markdown and "violations == 0" in markdown
    sarif = json.loads((out / "tower.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    results = [r for run in sarif["runs"] for r in run["results"]]
    assert [r["ruleId"] for r in results] == ["F401"]
    page = (out / "page.html").read_text()
    assert "TOWER GATE FAILED" in page or "failed" in page
    assert "http://" not in page.replace("http://www.w3.org", "")  # self-contained
    assert "SARIF written to" in result.stdout.str()
