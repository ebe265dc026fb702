"""GitHub workflow annotations under faked GitHub environments."""

from __future__ import annotations

from pathlib import Path

from pytest_tower.report.annotations import (
    MAX_PER_CHECK,
    emit_github_annotations,
    escape_data,
    escape_property,
    github_annotations,
)
from tests.unit.real_reports import RUFF_AND_BANDIT, real_report


def check(**over) -> dict:
    base = {"stage": "lint", "check": "ruff", "tool": "ruff 0.17.6", "verdict": "failed",
            "metrics": {}, "conditions": [], "message": "", "findings": [], "artifacts": {}}
    return base | over


def report(*checks: dict, root: str = "/ws/proj") -> dict:
    return {"schema": 1, "verdict": "failed", "project": {"root": root, "commit": None},
            "checks": list(checks), "environments": []}


def test_real_ruff_and_bandit_findings_and_failed_conditions(pytester) -> None:
    lines = github_annotations(real_report(pytester, RUFF_AND_BANDIT))
    assert ("::error file=src/app.py,line=1,col=8,title=ruff F401::`os` imported but unused"
            in lines)
    assert ("::error file=src/app.py,line=6,title=bandit B602::subprocess call with shell=True "
            "identified, security issue. [HIGH/HIGH]") in lines
    assert "::error title=lint%3A%3Aruff%3A condition not met::violations == 0: measured 1" in lines
    assert "::error title=security%3A%3Abandit%3A condition not met::high == 0: measured 1" in lines
    # a warn-level condition is a warning, never an error
    assert ("::warning title=security%3A%3Abandit%3A condition not met::low == 0: measured 1"
            in lines)
    assert not any("errors == 0" in line for line in lines)  # held: not annotated


def test_escaping_follows_githubs_rules() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    f = {"path": "dir,1/a:b.py", "line": 2, "col": 3, "code": "E1", "message": "50%\nsecond"}
    (line,) = github_annotations(report(check(findings=[f])))
    assert line == "::error file=dir%2C1/a%3Ab.py,line=2,col=3,title=ruff E1::50%25%0Asecond"


def test_findings_of_a_passing_check_are_warnings() -> None:
    f = {"path": "a.py", "line": 1, "col": 1, "code": "F401", "message": "m"}
    (line,) = github_annotations(report(check(verdict="passed", findings=[f])))
    assert line.startswith("::warning file=a.py,line=1,col=1,title=ruff F401::")


def test_the_tool_is_recognised_when_the_check_has_another_name() -> None:
    f = {"path": "a.py", "line": 4, "code": "B101", "message": "assert", "severity": "LOW/HIGH"}
    lines = github_annotations(report(check(stage="sec", check="scan", tool="bandit 1.9.4",
                                            findings=[f])))
    assert lines == ["::error file=a.py,line=4,title=bandit B101::assert [LOW/HIGH]"]


def test_other_tools_findings_are_not_annotated_but_their_errors_are() -> None:
    audit = check(stage="security", check="pip-audit", tool="pip-audit 2.10", verdict="error",
                  message="could not measure: pip-audit crashed",
                  findings=[{"path": "requirements.txt", "code": "PYSEC-1", "message": "x"}])
    assert github_annotations(report(audit)) == [
        "::error title=security%3A%3Apip-audit could not measure::could not measure: "
        "pip-audit crashed"]


def test_many_findings_are_capped_with_a_notice() -> None:
    many = [{"path": "a.py", "line": n, "code": "F401", "message": "m"} for n in range(1, 80)]
    lines = github_annotations(report(check(findings=many)))
    assert len(lines) == MAX_PER_CHECK + 1
    assert lines[-1].startswith("::notice title=lint%3A%3Aruff findings::29 more findings")


def test_nothing_is_printed_outside_github_actions() -> None:
    out: list[str] = []
    data = report(check(findings=[{"path": "a.py", "line": 1, "code": "F1", "message": "m"}]))
    assert emit_github_annotations(data, out.append, environ={"CI": "true"}) == 0
    assert out == []
    assert emit_github_annotations(data, out.append, environ={"GITHUB_ACTIONS": "true"}) == 1
    assert out == ["::error file=a.py,line=1,title=ruff F1::m"]


def test_paths_are_rebased_onto_the_workspace(tmp_path: Path) -> None:
    root = tmp_path / "services" / "api"
    root.mkdir(parents=True)
    data = report(check(findings=[{"path": "src/a.py", "line": 1, "code": "F1", "message": "m"}]),
                  root=str(root))
    out: list[str] = []
    env = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(tmp_path)}
    emit_github_annotations(data, out.append, environ=env)
    assert out == ["::error file=services/api/src/a.py,line=1,title=ruff F1::m"]


def test_emitted_under_the_real_environment(monkeypatch, capsys) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    data = report(check(conditions=[{"expr": "violations == 0", "actual": 3, "unit": "",
                                     "passed": False, "level": "fail"}]))
    assert emit_github_annotations(data, print) == 1
    assert capsys.readouterr().out == (
        "::error title=lint%3A%3Aruff%3A condition not met::violations == 0: measured 3\n")


def test_findings_are_annotated_by_the_check_types_declaration() -> None:
    from pytest_tower.core.model import CheckType, FindingsStyle, MetricSpec

    types = {"todo": CheckType("todo", lambda ctx: None, [MetricSpec("n")],
                               findings=FindingsStyle("todo-scan", "https://example.org/")),
             "ruff": CheckType("ruff", lambda ctx: None, [MetricSpec("n")])}
    f = {"path": "a.py", "line": 2, "code": "TD1", "message": "left in"}
    assert github_annotations(report(check(type="todo", tool="todo-scan 1", findings=[f]),
                                     check(type="ruff", findings=[f])), check_types=types) == [
        "::error file=a.py,line=2,title=todo-scan TD1::left in"]


def test_a_failed_baseline_condition_is_worded_as_the_terminal_words_it() -> None:
    from pytest_tower.report.text import condition_line

    cond = {"expr": "p95 <= baseline * 1.10", "actual": 0.12, "unit": "s", "baseline": 0.1,
            "threshold": 0.11, "passed": False, "level": "fail"}
    (line,) = github_annotations(report(check(stage="perf", check="load", tool="locust",
                                              conditions=[cond])))
    measured = condition_line(cond).split("(", 1)[1].rstrip(")")
    assert "threshold" in measured
    assert line.endswith(f"::p95 <= baseline * 1.10: {measured}")
