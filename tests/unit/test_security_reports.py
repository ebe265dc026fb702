"""The security-testing reports, read: schemathesis's three files, wapiti's JSON and log,
and waivers scoped to an operation or URL. Shapes copied from schemathesis 4.32.5 and
wapiti 3.2.3 output (trimmed)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from pytest_tower.checks.schemathesis import reports as st
from pytest_tower.checks.waivers import Waivers, validate
from pytest_tower.checks.wapiti import report as wapiti

TODAY = date(2026, 6, 1)


def _summary(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "complete": True, "stop_reason": "completed", "exit_code": 1, "seed": 1,
        "operations": {"total": 3, "selected": 3, "tested": 3, "errored": 0, "skipped": 0},
        "test_cases": {"generated": 143},
        "failures": [{"type": "UnsupportedMethodResponse", "code": "ST204", "count": 1,
                      "title": "Wrong response to undeclared method",
                      "operations": ["TRACE /tasks"]}],
        "errors": [], "warnings": {"missing_auth": ["POST /tasks"]},
    }
    data.update(changes)
    return data


def _scenario(case_id: str, method: str, check: str, failure: dict[str, object]) -> str:
    event = {"ScenarioFinished": {"phase": "coverage", "status": "failure", "recorder": {
        "label": "POST /tasks",
        "cases": {case_id: {"value": {"method": method, "path": "/tasks", "id": case_id}}},
        "checks": {case_id: [{"name": "not_a_server_error", "status": "success"},
                             {"name": check, "status": "failure",
                              "failure_info": {"failure": failure}}]}}}}
    return json.dumps(event)


TRACE = {"type": "UnsupportedMethodResponse", "code": "ST204", "operation": "POST /tasks",
         "title": "Wrong response to undeclared method",
         "message": "Unsupported method TRACE returned 200, expected 405 Method Not Allowed"}
JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites errors="0" failures="1" tests="1"><testsuite name="schemathesis" tests="1">
<testcase name="POST /tasks"><failure type="failure" message="ST204">1. Test Case ID: GIM0o7

- ST204 Wrong response to undeclared method

Reproduce with:

    curl -X TRACE -H 'X-Api-Key: [Filtered]' http://127.0.0.1:40563/tasks

    st replay GIM0o7</failure></testcase></testsuite></testsuites>"""


def _write(tmp_path: Path, summary: dict[str, object], events: list[str],
           junit: str = JUNIT) -> tuple[Path, Path, Path]:
    paths = tmp_path / "r.json", tmp_path / "r.ndjson", tmp_path / "r.xml"
    paths[0].write_text(json.dumps(summary))
    paths[1].write_text("\n".join(events) + "\n")
    paths[2].write_text(junit)
    return paths


def test_a_failure_is_named_by_its_request_method_check_and_curl(tmp_path: Path) -> None:
    events = [_scenario("GIM0o7", "TRACE", "unsupported_method", TRACE),
              _scenario("Zx81", "TRACE", "unsupported_method", TRACE)]  # the same failure
    reports = st.read(*_write(tmp_path, _summary(), events))
    assert reports.failures == [st.Failure(
        place="TRACE /tasks", check="unsupported_method", code="ST204",
        title="Wrong response to undeclared method", message=TRACE["message"],
        case_id="GIM0o7",
        curl="curl -X TRACE -H 'X-Api-Key: [Filtered]' http://127.0.0.1:40563/tasks")]
    assert reports.warned("missing_auth") == ["POST /tasks"]
    assert reports.operations["tested"] == 3


def test_a_code_only_the_run_report_counts_is_still_counted(tmp_path: Path) -> None:
    summary = _summary(failures=[{"type": "ServerError", "code": "ST101", "count": 2,
                                  "title": "Server error", "operations": ["GET /a", "GET /b"]}])
    reports = st.read(*_write(tmp_path, summary, []))
    assert [(f.place, f.code) for f in reports.failures] == [("GET /a", "ST101"),
                                                             ("GET /b", "ST101")]


def test_errors_and_a_fatal_error_are_kept(tmp_path: Path) -> None:
    events = [json.dumps({"NonFatalError": {"label": "GET /tasks", "value": {
                  "type": "ConnectionError", "message": "Connection refused"}}}),
              json.dumps({"FatalError": {"exception": {
                  "type": "LoaderError", "message": "HTTP 404 Not Found"}}})]
    reports = st.read(*_write(tmp_path, _summary(failures=[]), events, junit="<testsuites/>"))
    assert reports.errors == ["GET /tasks: ConnectionError: Connection refused"]
    assert reports.fatal == "LoaderError: HTTP 404 Not Found"


@pytest.mark.parametrize(("summary", "words"), [
    (None, "no JSON run report"),
    ("not json", "is unreadable"),
    ({"complete": True}, "lacks stop_reason, exit_code"),
    (_summary(failures=[{"code": "ST101"}]), "malformed failure"),
])
def test_a_run_report_that_is_not_schemathesis_s_is_an_error(tmp_path: Path, summary: object,
                                                             words: str) -> None:
    paths = _write(tmp_path, {}, [])
    if summary is None:
        paths[0].unlink()
    else:
        paths[0].write_text(summary if isinstance(summary, str) else json.dumps(summary))
    with pytest.raises(st.ReportError, match=words):
        st.read(*paths)


def test_garbage_in_the_event_stream_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(st.ReportError, match=r"r.ndjson:2 is not JSON"):
        st.read(*_write(tmp_path, _summary(), ["{}", "<html>"]))


WAPITI = {
    "vulnerabilities": {"Clickjacking Protection": [{
        "method": "GET", "path": "/", "info": "X-Frame-Options is not set", "level": 1,
        "parameter": "", "module": "http_headers", "curl_command": 'curl "http://h/"'}],
        "SQL Injection": []},
    "anomalies": {"Internal Server Error": []},
    "additionals": {"HTTP Methods": [{"method": "GET", "path": "/tasks", "level": 0,
                                      "info": "Possible interesting methods",
                                      "module": "methods"}]},
    "infos": {"target": "http://h/", "version": "Wapiti 3.2.3", "crawled_pages_nbr": 3},
}


def test_wapiti_report_is_read_with_every_category(tmp_path: Path) -> None:
    path = tmp_path / "w.json"
    path.write_text(json.dumps(WAPITI))
    report = wapiti.read(path)
    assert (report.target, report.crawled) == ("http://h/", 3)
    assert report.categories["vulnerabilities"] == ["Clickjacking Protection", "SQL Injection"]
    first = report.items[0]
    assert (first.section, first.category, first.level, first.curl) == (
        "vulnerabilities", "Clickjacking Protection", "LOW", 'curl "http://h/"')
    assert report.items[1].section == "additionals" and report.items[1].level == "INFO"


@pytest.mark.parametrize(("data", "words"), [
    ({"infos": {}}, "is not wapiti 3's"),
    ({**WAPITI, "infos": {"target": "x"}}, "how many pages were crawled"),
    ({**WAPITI, "anomalies": {"X": "oops"}}, r"anomalies\['X'\] is not a list"),
])
def test_a_wapiti_report_of_another_shape_is_an_error(tmp_path: Path, data: object,
                                                      words: str) -> None:
    path = tmp_path / "w.json"
    path.write_text(json.dumps(data))
    with pytest.raises(wapiti.ReportError, match=words):
        wapiti.read(path)


def test_wapiti_module_log() -> None:
    log = wapiti.modules("[*] Launching module csp\n[+] GET http://h/ (0)\n"
                         "[*] Launching module sql\nMax attack time was reached for module sql,"
                         " stopping.\n")
    assert (log.launched, log.cut, log.scan_cut) == (["csp", "sql"], ["sql"], False)
    assert wapiti.modules("Max scan time was reached, stopping.").scan_cut


def test_a_waiver_with_a_place_matches_only_there() -> None:
    waivers = Waivers([
        {"id": "ST101", "operation": "POST /tasks*", "reason": "r", "until": date(2030, 1, 1)},
        {"id": "ST103", "reason": "r", "until": date(2030, 1, 1)},
        {"id": "ST204", "operation": "TRACE /*", "reason": "r", "until": date(2020, 1, 1)},
        {"id": "ST101", "operation": "GET /x", "reason": "r", "until": date(2030, 1, 1)},
    ], TODAY, scope_key="operation")
    assert waivers.match(["not_a_server_error", "ST101"], ["POST /tasks/{id}"])[0] is not None
    assert waivers.match(["ST101"], ["DELETE /tasks"]) == (None, None)
    assert waivers.match(["ST103"], ["GET /anything"])[0] is not None
    active, expired = waivers.match(["ST204"], ["TRACE /tasks"])
    assert active is None and expired is not None and expired.until == date(2020, 1, 1)
    assert [w.describe() for w in waivers.stale()] == ["ST101 at GET /x (until 2030-01-01: r)"]


@pytest.mark.parametrize(("entry", "words"), [
    ({"id": "X", "reason": "r", "until": TODAY, "url": ""}, "`url` must be a non-empty"),
    ({"id": "X", "reason": "r", "until": TODAY, "url": 3}, "`url` must be a non-empty"),
    ({"id": "X", "reason": "r", "until": TODAY, "operation": "GET /"}, "unknown key"),
])
def test_a_malformed_place_is_rejected(entry: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        validate([entry], scope_key="url")
