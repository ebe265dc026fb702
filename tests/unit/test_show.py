"""`--tower-show`: the last run and sparklines of a metric's trend."""

from __future__ import annotations

import json

from pytest_tower.history.show import BARS, render_show, sparkline
from pytest_tower.history.store import append_history, read_history
from tests.unit.real_reports import RUFF_ONLY, real_report


def run(n: int, violations: float | None, coverage: float = 90.0, verdict: str = "passed",
        duration: float = 10.0) -> dict:
    ruff = {"stage": "lint", "check": "ruff", "verdict": verdict, "duration_s": 0.5,
            "tool": "ruff 0.17.6",
            "metrics": {} if violations is None else {"violations": violations,
                                                      "violations[F401]": violations}}
    tests = {"stage": "unit", "check": "tests", "verdict": "passed", "duration_s": 5.0,
             "metrics": {"coverage": coverage, "failed": 0}}
    return {"verdict": verdict, "started": f"2026-01-{n + 1:02d}T00:00:00+00:00",
            "duration_s": duration, "commit": "0123456789abcdef", "branch": "main",
            "checks": [ruff, tests]}


def test_sparkline_scales_between_min_and_max() -> None:
    assert sparkline([0, 7]) == "▁█"
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == BARS
    assert sparkline([5, 5, 5]) == "▄▄▄"  # flat, but not zero
    assert sparkline([0, 0]) == "▁▁"
    assert sparkline([1, None, 3]) == "▁ █"  # a run without the metric is a gap
    assert sparkline([None]) == ""


def test_the_last_run_and_a_bare_metric_name() -> None:
    history = [run(0, 4), run(1, 2), run(2, 0, verdict="failed")]
    text = render_show(history, "violations")
    lines = text.splitlines()
    assert lines[0] == ("last run: FAILED  2026-01-03T00:00:00+00:00  "
                        "(branch main, commit 0123456789ab, 10.0s)")
    assert lines[1] == "(3 runs in history)"
    assert lines[2].split() == ["lint::ruff", "failed", "0.50s", "violations=0"]
    assert lines[3].split() == ["unit::tests", "passed", "5.00s", "coverage=90,", "failed=0"]
    assert lines[-1] == "lint::ruff:violations  █▅▁  min 0  max 4  last 0  (3 runs)"


def test_an_exact_series_the_duration_and_the_width() -> None:
    history = [run(n, n % 3, coverage=80 + n, duration=float(n)) for n in range(50)]
    last = render_show(history, "unit::tests:coverage", width=10).splitlines()[-1]
    assert last == "unit::tests:coverage  ▁▁▂▃▄▅▆▇██  min 120  max 129  last 129  (10 runs)"
    last = render_show(history, "duration").splitlines()[-1]  # default width: 40 runs
    assert last.endswith("min 10  max 49  last 49  (40 runs)")
    assert last.startswith("gate duration  ") and len(last.split()[2]) == 40


def test_an_unknown_metric_lists_the_known_ones() -> None:
    text = render_show([run(0, 1)], "p95")
    assert "no metric 'p95' in history; known: lint::ruff:violations, " in text
    assert "unit::tests:coverage" in text and text.rstrip().endswith("duration")


def test_no_history_says_how_to_make_one() -> None:
    assert "no runs recorded yet" in render_show([], "violations")


def test_real_runs_through_the_history_file(pytester, tmp_path) -> None:
    path = tmp_path / "history.jsonl"
    append_history(path, real_report(pytester, RUFF_ONLY), keep=None)
    (pytester.path / "src" / "app.py").write_text("import os\nimport sys\n")
    pytester.runpytest("--tower", "-p", "no:cacheprovider", "--tower-report", "r.json")
    append_history(path, json.loads((pytester.path / "r.json").read_text()), keep=None)
    text = render_show(read_history(path), "violations")
    assert text.splitlines()[-1] == "lint::ruff:violations  ▁█  min 1  max 2  last 2  (2 runs)"


def test_unreadable_lines_are_mentioned(tmp_path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_text(json.dumps(run(0, 1)) + "\n{broken\n" + json.dumps(run(1, 2)) + "\n")
    assert render_show(read_history(path)).splitlines()[1] == (
        "(2 runs in history; 1 unreadable line of history skipped)")


def test_non_finite_lines_are_skipped_not_drawn(tmp_path) -> None:
    """NaN and Infinity are valid Python JSON; a sparkline of them would crash."""
    path = tmp_path / "history.jsonl"
    bad = dict(run(1, 2), duration_s=float("inf"))
    path.write_text(json.dumps(run(0, 1)) + "\n" + json.dumps(bad) + "\n"
                    + json.dumps(run(2, float("nan"))) + "\n" + json.dumps(run(3, 4)) + "\n")
    text = render_show(read_history(path), "violations")
    assert "(2 runs in history; 2 unreadable lines of history skipped)" in text
    assert "min 1  max 4  last 4  (2 runs)" in text


def test_a_history_folder_is_a_usage_error(pytester) -> None:
    (pytester.path / "gates.toml").write_text('[tower]\nhistory = "h"\n[lint.ruff]\n')
    (pytester.path / "h").mkdir()
    result = pytester.runpytest("--tower-show")
    assert result.ret == 4
    assert "cannot be read (Is a directory)" in result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_history_setting_that_is_not_a_path_is_a_usage_error(pytester) -> None:
    (pytester.path / "gates.toml").write_text('[tower]\nhistory = 3\n[lint.ruff]\n')
    result = pytester.runpytest("--tower-show")
    assert result.ret == 4
    assert "[tower] history: expected a path to a file, got 3" in result.stderr.str()
