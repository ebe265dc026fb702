"""The Markdown summary and $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from pathlib import Path

from pytest_tower.report.markdown import (
    append_step_summary,
    render_markdown,
    write_markdown,
)
from tests.unit.real_reports import RUFF_ONLY, real_report


def check(**over) -> dict:
    base = {"id": "g::lint::ruff", "stage": "lint", "check": "ruff", "tool": "ruff 0.17.6",
            "verdict": "passed", "metrics": {"violations": 0}, "message": "", "duration_s": 0.25,
            "conditions": [{"expr": "violations == 0", "metric": "violations", "op": "==",
                            "threshold": 0.0, "unit": "", "actual": 0, "passed": True,
                            "level": "fail"}],
            "findings": [], "artifacts": {}, "notes": []}
    return base | over


def report(*checks: dict, verdict: str = "passed", root: str = "/proj") -> dict:
    return {"schema": 1, "verdict": verdict, "summary": f"TOWER GATE {verdict.upper()}",
            "started": "2026-01-01T00:00:00+00:00", "duration_s": 2.5,
            "project": {"root": root, "commit": "0123456789abcdef"}, "checks": list(checks),
            "environments": []}


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]


def test_a_real_failing_run(pytester) -> None:
    text = render_markdown(real_report(pytester, RUFF_ONLY))
    assert text.startswith("## ✗ TOWER GATE FAILED: 1 of 1 checks failed")
    (row,) = table_rows(text)
    assert row.startswith("| lint | ruff | ✗ failed | ✗ FAIL `violations == 0` (measured 1) |")
    assert "- `src/app.py:1:8` F401 `os` imported but unused" in text
    assert "<details>" in text


def test_a_passing_run_has_no_details() -> None:
    text = render_markdown(report(check()))
    assert text.startswith("## ✓ TOWER GATE PASSED")
    assert "commit `0123456789ab`" in text
    assert table_rows(text) == [
        "| lint | ruff | ✓ passed | ✓ ok `violations == 0` (measured 0) | ruff 0.17.6 "
        "| 0.25s |"]
    assert "<details>" not in text


CONDITIONS = [
    {"expr": "coverage >= 90%", "op": ">=", "threshold": 90.0, "unit": "%", "actual": 87.5,
     "passed": False, "level": "fail"},
    {"expr": "low == 0", "op": "==", "threshold": 0.0, "unit": "", "actual": 2,
     "passed": False, "level": "warn"},
    {"expr": "p95 <= baseline * 1.1", "op": "<=", "threshold": None, "unit": "ms",
     "actual": 120.0, "passed": None, "level": "fail", "baseline": None},
    {"expr": "p99 <= baseline * 1.1", "op": "<=", "threshold": 110.0, "unit": "ms",
     "actual": 120.0, "passed": False, "level": "fail", "baseline": 100.0},
    {"expr": "tests >= 1", "op": ">=", "threshold": 1.0, "unit": "", "actual": None,
     "passed": None, "level": "fail"},
]


def test_units_warnings_and_baselines_are_spelled_out() -> None:
    (row,) = table_rows(render_markdown(report(check(conditions=CONDITIONS, verdict="error"))))
    assert row.split(" | ")[3].split("<br>") == [
        "✗ FAIL `coverage >= 90%` (measured 87.5%)",
        "! warn `low == 0` (measured 2)",
        "? new `p95 <= baseline * 1.1` (measured 120ms, no baseline yet)",
        "✗ FAIL `p99 <= baseline * 1.1` (measured 120ms, baseline 100ms -&gt; threshold 110ms)",
        "! ERROR `tests >= 1` (measured no value)",
    ]
    assert row.split(" | ")[2] == "! error"


def test_conditions_are_worded_as_the_terminal_words_them() -> None:
    """One wording (report/text.py): the Markdown cell is the terminal line, marked up."""
    from pytest_tower.report.text import condition_line

    (row,) = table_rows(render_markdown(report(check(conditions=CONDITIONS))))
    for shown, condition in zip(row.split(" | ")[3].split("<br>"), CONDITIONS, strict=True):
        mark, expr, measured = condition_line(condition).strip().split("  ")
        assert shown.split(" ", 1)[1] == (f"{mark} `{expr}` "
                                          f"{measured.replace('>', '&gt;')}")


def test_tool_text_cannot_break_the_table_or_inject_markup() -> None:
    bad = check(verdict="failed", message="a | b <script>alert(1)</script>\nsecond line",
                findings=[{"path": "x|y.py", "line": 3, "code": "E1", "message": "<b>|</b>"}])
    text = render_markdown(report(bad, verdict="failed"))
    assert "<script>" not in text and "<b>|" not in text
    (row,) = table_rows(text)
    assert row.count(" | ") == 5  # six cells, no pipe leaked from the message
    assert "a &#124; b &lt;script&gt;" in text
    assert "`x\\|y.py:3` E1 &lt;b&gt;&#124;&lt;/b&gt;" in text


def test_long_finding_lists_are_cut_with_a_count() -> None:
    many = [{"path": "a.py", "line": n, "code": "F401", "message": "m"} for n in range(1, 31)]
    text = render_markdown(report(check(verdict="failed", findings=many), verdict="failed"))
    assert text.count("- `a.py:") == 20
    assert "… and 10 more" in text


def test_artifact_links_are_relative_and_url_safe() -> None:
    art = {"report": "/proj/.tower/runs/1/bandit out.json", "log": "rel/log.txt"}
    text = render_markdown(report(check(artifacts=art)), base=Path("/proj/site"))
    assert "- lint::ruff: [report](../.tower/runs/1/bandit%20out.json)" in text
    assert "- lint::ruff: [log](../rel/log.txt)" in text
    text = render_markdown(report(check(artifacts=art)))  # no base: relative to the root
    assert "[report](.tower/runs/1/bandit%20out.json)" in text


def test_configuration_error_report() -> None:
    text = render_markdown({"schema": 1, "verdict": "failed", "summary": "configuration error",
                            "error": "gates.toml:3: unknown key 'pathz'", "checks": [],
                            "environments": []})
    assert "**Configuration error:** gates.toml:3: unknown key 'pathz'" in text
    assert "| Stage |" not in text


def test_step_summary_is_appended_only_under_github(tmp_path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    assert append_step_summary("## ours", {"GITHUB_STEP_SUMMARY": str(summary)}) is True
    assert summary.read_text() == "# earlier step\n## ours\n"
    assert append_step_summary("## ours", {}) is False
    assert summary.read_text() == "# earlier step\n## ours\n"


def test_step_summary_from_the_real_environment(tmp_path, monkeypatch) -> None:
    summary = tmp_path / "s.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert append_step_summary(render_markdown(report(check())))
    assert summary.read_text().startswith("## ✓ TOWER GATE PASSED")


def test_write_markdown_creates_folders(tmp_path) -> None:
    target = tmp_path / "out" / "summary.md"
    write_markdown(target, "hello\n")
    assert target.read_text() == "hello\n"
    assert [p.name for p in target.parent.iterdir()] == ["summary.md"]  # no temp file left
