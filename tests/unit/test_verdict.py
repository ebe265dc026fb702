"""The run's verdict: only `passed` passes; nothing run proves nothing; blocking."""

from __future__ import annotations

from pathlib import Path

from pytest_tower.checks.ruff.check import CHECK_TYPE as RUFF
from pytest_tower.core.config import load_pipeline
from pytest_tower.core.model import Measurement
from pytest_tower.core.outcome import (
    BLOCKED,
    ERROR,
    FAILED,
    PASSED,
    SKIPPED,
    Outcome,
    blocked_by,
    gate_verdict,
    judge,
)


def outcome(verdict: str, name: str = "c") -> Outcome:
    return Outcome(f"gates.toml::s::{name}", "s", name, verdict)


def test_all_passed_passes() -> None:
    verdict = gate_verdict([outcome(PASSED), outcome(PASSED, "d")])
    assert verdict.passed
    assert verdict.line == "TOWER GATE PASSED: 2 of 2 checks passed"


def test_error_blocked_and_skipped_never_count_as_passed() -> None:
    for bad in (FAILED, ERROR, BLOCKED, SKIPPED):
        assert not gate_verdict([outcome(PASSED), outcome(bad, "d")]).passed


def test_failed_line_keeps_error_apart_from_failed() -> None:
    verdict = gate_verdict([outcome(PASSED), outcome(FAILED, "d"), outcome(ERROR, "e")])
    assert verdict.line == "TOWER GATE FAILED: 2 of 3 checks failed (1 failed, 1 error)"


def test_nothing_run_is_not_a_pass() -> None:
    verdict = gate_verdict([])
    assert not verdict.passed
    assert "no checks ran" in verdict.line


def pipeline(tmp_path: Path, text: str):
    path = tmp_path / "gates.toml"
    path.write_text(text)
    return load_pipeline(path, {"ruff": RUFF})


def test_judge_missing_metric_is_error(tmp_path: Path) -> None:
    spec = next(pipeline(tmp_path, '[lint.ruff]\nconditions = ["violations == 0"]\n').checks())
    verdict, _, message = judge(spec, Measurement({"files": 3}))
    assert verdict == ERROR
    assert "no value for violations" in message


def test_judge_warn_never_fails(tmp_path: Path) -> None:
    spec = next(pipeline(tmp_path, '[lint.ruff]\nconditions = ["files >= 1"]\n'
                         'warn = ["violations == 0"]\n').checks())
    verdict, results, _ = judge(spec, Measurement({"files": 3, "violations": 4}))
    assert verdict == PASSED
    assert [r.passed for r in results] == [True, False]


def test_judge_fails_on_one_broken_condition(tmp_path: Path) -> None:
    spec = next(pipeline(tmp_path, '[lint.ruff]\nconditions = ["files >= 1", '
                         '"violations[F401] == 0"]\n').checks())
    verdict, _, message = judge(spec, Measurement({"files": 3, "violations": 1,
                                                   "violations[F401]": 1}))
    assert verdict == FAILED
    assert "violations[F401] == 0  (measured 1)" in message


def test_blocked_by_a_failed_need_but_not_by_an_unrun_one(tmp_path: Path) -> None:
    pipe = pipeline(tmp_path, '[lint.ruff]\n[lint.strict]\ntool = "ruff"\n'
                    '[later.ruff]\nneeds = ["lint"]\n')
    later = list(pipe.checks())[-1]
    assert blocked_by(later, pipe, {}) is None
    assert blocked_by(later, pipe, {"lint::ruff": PASSED, "lint::strict": PASSED}) is None
    reason = blocked_by(later, pipe, {"lint::ruff": PASSED, "lint::strict": ERROR})
    assert reason == "blocked: needs 'lint', and lint::strict error"
