"""Reading what any tool wrote: JUnit XML shapes, SARIF places and messages, the option
kinds of the generic check types (a command line, exit codes, a table of strings)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_tower.checks.junit.read import read_report
from pytest_tower.checks.sarif.read import read_log
from pytest_tower.core.model import Option, ToolError
from pytest_tower.core.options import OptionError, read_option


def junit(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "junit.xml"
    path.write_text(text)
    return path


def test_junit_cases_anywhere_namespaces_and_suite_totals(tmp_path: Path) -> None:
    text = """<?xml version="1.0"?>
    <testsuites xmlns="urn:x" tests="9">
      <testcase name="top" time="0.5"/>
      <testsuite name="outer" tests="3"><testsuite name="inner">
        <testcase name="deep" classname="pkg.mod" file="pkg/mod.py" line="12" time="1,000.5">
          <error message="boom&#10;second line">trace</error></testcase>
        <testcase name="gone"><skipped/></testcase>
      </testsuite></testsuite>
    </testsuites>"""
    counts = read_report(junit(tmp_path, text), "junit.xml")
    assert (counts.tests, counts.passed, counts.errors, counts.skipped) == (3, 1, 1, 1)
    assert counts.duration == pytest.approx(1001.0)
    assert counts.declared == 9  # more than listed: the check notes it
    (finding,) = counts.findings
    assert (finding.path, finding.line, finding.code, finding.message) == (
        "pkg/mod.py", 12, "error", "pkg.mod::deep: boom")


def test_junit_node_case_without_file_is_placed_at_the_report(tmp_path: Path) -> None:
    text = ('<testsuites><testcase name="sum" classname="test" failure="1 == 2">'
            '<failure message="1 == 2">x</failure></testcase></testsuites>')
    (finding,) = read_report(junit(tmp_path, text), "reports/j.xml").findings
    assert (finding.path, finding.message) == ("reports/j.xml", "sum: 1 == 2")


@pytest.mark.parametrize(("text", "expect"), [
    ("", "is not readable XML"),
    ('<testsuites><testcase name="t" time="soon"/></testsuites>', "not a duration"),
    ('<testsuites><testcase name="t" time="-1"/></testsuites>', "not a duration"),
    ('<!DOCTYPE x SYSTEM "http://example.invalid/x.dtd"><testsuites/>', "refused"),
    ("<results/>", "not JUnit"),
])
def test_junit_refuses(tmp_path: Path, text: str, expect: str) -> None:
    with pytest.raises(ToolError, match=expect):
        read_report(junit(tmp_path, text), "junit.xml")


def log(tmp_path: Path, run: dict) -> Path:
    path = tmp_path / "x.sarif"
    base = {"tool": {"driver": {"name": "t"}}}
    path.write_text(json.dumps({"version": "2.1.0", "runs": [base | run]}))
    return path


def test_sarif_places_through_base_ids_artifact_indexes_and_file_uris(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    run = {
        "originalUriBaseIds": {"ROOT": {"uri": root.as_uri() + "/"},
                               "SRC": {"uri": "src/", "uriBaseId": "ROOT"}},
        "artifacts": [{"location": {"uri": "lib/b%20c.py", "uriBaseId": "SRC"}}],
        "results": [
            {"ruleId": "R1", "message": {"text": "a"}, "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": "a.py", "uriBaseId": "SRC"},
                "region": {"startLine": 2, "endLine": 4}}}]},
            {"ruleId": "R2", "message": {"text": "b"}, "locations": [{"physicalLocation": {
                "artifactLocation": {"index": 0}}}]},
            {"ruleId": "R3", "message": {"text": "c"}, "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": (root / "d.py").as_uri()}}}]},
        ]}
    found = read_log(log(tmp_path, run), "x.sarif", root, root)
    assert [(r.path, r.line, r.end_line) for r in found.results] == [
        ("src/a.py", 2, 4), ("src/lib/b c.py", None, None), ("d.py", None, None)]


def test_sarif_rule_by_index_and_extension_rules(tmp_path: Path) -> None:
    run = {"tool": {"driver": {"name": "t", "rules": [{"id": "D1"}]},
                    "extensions": [{"name": "plug", "rules": [
                        {"id": "E1", "defaultConfiguration": {"level": "note"}}]}]},
           "results": [{"ruleIndex": 0, "message": {"text": "x"}},
                       {"ruleId": "E1", "message": {"text": "y"}}]}
    found = read_log(log(tmp_path, run), "x.sarif", tmp_path, tmp_path)
    assert [(r.rule, r.level) for r in found.results] == [("D1", "warning"), ("E1", "note")]
    assert found.rules == {"D1", "E1"}


def test_sarif_schema_errors_are_named(tmp_path: Path) -> None:
    bad = log(tmp_path, {"results": [{"message": {}, "level": "fatal"}]})
    with pytest.raises(ToolError, match=r"runs/0/results/0/level: 'fatal' is not one of"):
        read_log(bad, "x.sarif", tmp_path, tmp_path)


@pytest.mark.parametrize(("kind", "value", "result"), [
    ("str_or_list", "npm ci", "npm ci"),
    ("str_or_list", ["npm", "ci"], ["npm", "ci"]),
    ("int_list", [0, 1], [0, 1]),
    ("table", {"A": "b"}, {"A": "b"}),
])
def test_generic_option_kinds(kind: str, value: object, result: object) -> None:
    assert read_option(Option(kind), value) == result  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "value"), [
    ("str_or_list", 3), ("str_or_list", ["a", 1]), ("int_list", []), ("int_list", [True]),
    ("int_list", "0"), ("table", {"A": 1}), ("table", ["A"]),
])
def test_generic_option_kinds_refuse(kind: str, value: object) -> None:
    with pytest.raises(OptionError):
        read_option(Option(kind), value)  # type: ignore[arg-type]
