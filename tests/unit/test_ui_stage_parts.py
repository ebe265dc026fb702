"""The UI stage's parts without a browser: option checks, the evidence a run needs,
the kept files of failing tests, and how the reports carry and link them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import pytest_tower.checks.pytest_suite.ui as ui
from pytest_tower.checks.browser import LAUNCH_ARGS
from pytest_tower.checks.pytest_suite import results
from pytest_tower.checks.pytest_suite.check import CHECK_TYPE
from pytest_tower.core.model import Finding
from pytest_tower.report.html import render_html
from pytest_tower.report.markdown import render_markdown

DEFAULTS = {name: option.default for name, option in CHECK_TYPE.options.items()}


def options(**given: Any) -> dict[str, Any]:
    return {**DEFAULTS, **given}


@pytest.mark.parametrize(("given", "words"), [
    ({"browser": "firefox"}, "browser = 'firefox' is not supported: only \"chromium\""),
    ({"headed": True}, 'headed apply to a UI stage only: set browser = "chromium"'),
    ({"video": "on", "browser_path": "/x"}, "browser_path, video apply to a UI stage only"),
    ({"browser": "chromium", "slowmo": 250.0}, 'write milliseconds with their unit, e.g. "250ms"'),
])
def test_bad_browser_options_are_config_errors(given: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        ui.validate(options(**given))


def test_good_browser_options_pass() -> None:
    ui.validate(options())
    ui.validate(options(browser="chromium", headed=True, slowmo=0.25, video="retain-on-failure"))


def test_an_unsupported_browser_stops_the_gate_before_it_runs(run_tower) -> None:
    run = run_tower('[ui.tests]\nbrowser = "webkit"\ncoverage = false\n')
    assert run.rc == pytest.ExitCode.USAGE_ERROR, run.output
    assert "browser = 'webkit' is not supported" in run.output


def suite_of(*events: dict[str, Any]) -> results.Suite:
    suite = results.Suite()
    for event in events:
        results._apply(suite, event)
    return suite


def report(nodeid: str, when: str, outcome: str, **more: Any) -> dict[str, Any]:
    return {"event": "report", "nodeid": nodeid, "when": when, "outcome": outcome,
            "duration": 0.1, **more}


BROWSER = {"version": "156.0", "executable": "/usr/bin/chromium"}


def test_a_failing_test_carries_its_kept_files_relative_to_the_root(tmp_path: Path) -> None:
    shot = tmp_path / "out" / "playwright" / "t" / "test-failed-1.png"
    suite = suite_of(
        report("t.py::test_a", "setup", "passed"),
        report("t.py::test_a", "call", "failed", reason="boom", browser=BROWSER),
        report("t.py::test_a", "teardown", "passed",
               artifacts=[["screenshot", str(shot)], ["trace", "out/trace.zip"],
                          ["screenshot", str(tmp_path / "second.png")]]))
    (finding,) = results.suite_findings(suite, tmp_path)
    assert finding.to_dict()["artifacts"] == {
        "screenshot": "out/playwright/t/test-failed-1.png", "trace": "out/trace.zip",
        "screenshot 2": "second.png"}
    assert hash(finding)  # still a value
    assert "artifacts" not in Finding("x.py", code="FAILED").to_dict()


def test_measure_lists_files_and_says_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "kept.png").write_bytes(b"\x89PNG")
    suite = suite_of(
        report("t.py::test_kept", "call", "failed", browser=BROWSER),
        report("t.py::test_kept", "teardown", "passed",
               artifacts=[["screenshot", "kept.png"], ["trace", "gone.zip"]]),
        report("t.py::test_bare", "call", "failed", browser=BROWSER),
        report("t.py::test_plain", "call", "passed"))
    metrics, kept, notes = ui.measure(ui.UiRun("/usr/bin/chromium"), suite, tmp_path)
    assert metrics == {"browser_tests": 2}
    assert kept == {"t.py::test_kept screenshot": "kept.png", "t.py::test_kept trace": "gone.zip"}
    assert any("t.py::test_bare failed in the browser but pytest-playwright kept no" in n
               for n in notes)
    assert "pytest-playwright named files it did not keep: gone.zip" in notes
    assert "browser: /usr/bin/chromium" in notes


def test_the_projects_own_executable_is_said() -> None:
    other = {"version": "1", "executable": "/opt/chrome"}
    suite = suite_of(report("t.py::a", "call", "passed", browser=other))
    _, _, notes = ui.measure(ui.UiRun("/usr/bin/chromium"), suite, Path("."))
    assert ("browser: /usr/bin/chromium (the project's own executable_path launched "
            "instead: /opt/chrome)") in notes


@pytest.mark.parametrize(("events", "problem"), [
    ([report("a", "call", "passed")], "no test ran in the browser: 1 test(s) passed"),
    ([report("a", "call", "passed"), report("b", "call", "skipped", browser=BROWSER)],
     "1 test(s) opened the browser but none passed"),
    ([report("a", "call", "passed", browser=BROWSER)], ""),
    ([report("a", "call", "failed")], ""),  # failed: evidence already
])
def test_only_a_pass_in_the_browser_proves_a_ui_stage(events: list[dict[str, Any]],
                                                      problem: str) -> None:
    said = ui.unproven(suite_of(*events))
    assert (problem in said) if problem else said == ""


def test_rejected_playwright_options_name_the_plugin() -> None:
    text = "pytest: error: unrecognized arguments: --browser chromium --base-url http://x"
    assert "pytest-playwright is not active in the child pytest" in ui.fix_hint(text)
    assert ui.fix_hint("pytest: error: unrecognized arguments: --cov") == ""


def test_html_links_each_kept_file_relative_to_its_folder() -> None:
    check = {"stage": "ui", "check": "tests", "verdict": "failed", "conditions": [],
             "findings": [{"path": "t.py::test_a", "code": "FAILED", "message": "boom",
                           "artifacts": {"screenshot": "runs/a b/shot.png"}}],
             "artifacts": {"t.py::test_a screenshot": "runs/a b/shot.png",
                           "odd": "/elsewhere/<x>.txt"}}
    page = render_html({"verdict": "failed", "project": {"root": "/proj"}, "checks": [check]},
                       [], base=Path("/proj/site"))
    hrefs = re.findall(r'<a class="artifact" href="([^"]+)">([^<]+)</a>', page)
    assert ("../runs/a%20b/shot.png", "screenshot") in hrefs
    assert ("../runs/a%20b/shot.png", "t.py::test_a screenshot") in hrefs
    assert ("../../elsewhere/%3Cx%3E.txt", "odd") in hrefs  # escaped, still relative
    assert "<img" not in page and "data:image" not in page  # linked, never embedded
    summary = render_markdown({"verdict": "failed", "project": {"root": "/proj"},
                               "checks": [check]}, base=Path("/proj/site"))
    assert "`t.py::test_a` FAILED boom ([screenshot](../runs/a%20b/shot.png))" in summary


CONFTEST = '''
import pytest

@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {"args": ["--lang=de"]}

@pytest.fixture(scope="session")
def own_launch_args():
    return {}
'''
PROBE = '''
import json, os

def test_launch_args(browser_type_launch_args):
    with open(os.environ["PROBE"], "w") as out:
        json.dump(browser_type_launch_args, out)
'''


@pytest.mark.parametrize("own", [False, True])
def test_the_child_plugin_puts_the_browser_into_the_launch_args(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, own: bool) -> None:
    """Whoever defines browser_type_launch_args (here the project's conftest), the gate's
    executable and flags are added; an executable_path the project set stays."""
    conftest = CONFTEST.replace('{"args"', '{"executable_path": "/opt/mine", "args"') if own \
        else CONFTEST
    pytester.makeconftest(conftest)
    pytester.makepyfile(test_probe=PROBE)
    probe = pytester.path / "probe.json"
    monkeypatch.setenv("PROBE", str(probe))
    monkeypatch.setenv("TOWER_BROWSER_PATH", "/usr/bin/found-chromium")
    result = pytester.runpytest_subprocess(
        "-p", "no:tower", "-p", "no:playwright",
        "-p", "pytest_tower.checks.pytest_suite.child_plugin")
    assert result.ret == 0, result.stdout.str()
    args = json.loads(probe.read_text())
    assert args["executable_path"] == ("/opt/mine" if own else "/usr/bin/found-chromium")
    assert args["args"] == ["--lang=de", *LAUNCH_ARGS]


@pytest.mark.parametrize(("seen", "target", "problem"), [
    ("http://127.0.0.1:9/", "http://127.0.0.1:8000", "the tests' base_url was http://127.0.0.1:9/"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000", ""),
    ("", "http://127.0.0.1:8000", ""),  # a test that used no base_url fixture
    ("http://elsewhere", "", ""),  # no target: the tests serve their own pages
])
def test_pages_of_another_server_than_the_target_are_said(seen: str, target: str,
                                                          problem: str) -> None:
    suite = suite_of(report("a", "call", "failed", browser={**BROWSER, "base_url": seen}))
    said = ui.elsewhere(ui.UiRun("/usr/bin/chromium", target), suite)
    assert (problem in said) if problem else said == ""
