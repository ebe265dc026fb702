"""The verdict line of partial runs, and blocked_by for promote-only checks."""

from __future__ import annotations

import json
import math

import pytest

from pytest_tower.core.fs import write_json_atomic
from pytest_tower.core.outcome import PASSED, SKIPPED, Outcome, gate_verdict
from pytest_tower.report.json_report import finite


def _outcomes(*verdicts: str) -> list[Outcome]:
    return [Outcome(f"g::s::c{n}", "s", f"c{n}", v) for n, v in enumerate(verdicts)]


def test_a_partial_pass_says_how_much_was_selected() -> None:
    verdict = gate_verdict(_outcomes(PASSED, PASSED), expected=12, not_run=["a"] * 10)
    assert verdict.passed and not verdict.complete
    assert verdict.line == ("TOWER GATE PASSED (partial: 2 of 12 checks selected): "
                            "2 of 2 checks passed")


def test_a_run_stopped_early_says_how_much_ran() -> None:
    verdict = gate_verdict(_outcomes(PASSED, "failed", SKIPPED), expected=3, not_run=["x"])
    assert verdict.line.startswith("TOWER GATE FAILED (partial: 2 of 3 checks ran)")


def test_a_problem_fails_a_run_whose_checks_passed() -> None:
    verdict = gate_verdict(_outcomes(PASSED), expected=2, not_run=["b"], problem="b dropped")
    assert not verdict.passed
    assert verdict.line == "TOWER GATE FAILED (partial: 1 of 2 checks selected): b dropped"


def test_complete_run_line_is_unchanged() -> None:
    assert gate_verdict(_outcomes(PASSED)).line == "TOWER GATE PASSED: 1 of 1 checks passed"


def test_non_finite_numbers_become_null_with_a_note() -> None:
    notes: list[str] = []
    data = finite({"a": [1.0, math.nan], "b": {"c": math.inf}}, "", notes)
    assert data == {"a": [1.0, None], "b": {"c": None}}
    assert notes == ["a[1] was nan, written as null", "b.c was inf, written as null"]


def test_json_is_strict(tmp_path) -> None:
    with pytest.raises(ValueError):
        write_json_atomic(tmp_path / "r.json", {"x": math.nan})
    write_json_atomic(tmp_path / "r.json", {"x": 1})
    assert json.loads((tmp_path / "r.json").read_text()) == {"x": 1}
