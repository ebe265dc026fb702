"""The UI test stage: a `tests` check with `browser = "chromium"` runs a project's
pytest-playwright tests in the machine's real Chromium against a real app on
127.0.0.1 (tests/integration/ui_app.py).

Each test runs `pytest --tower` in-process on a small project; the stage's
child pytest is a subprocess that loads pytest-playwright and launches the
browser the gate found. Where no Chromium is installed they skip, except under
CI (CI=true), where a missing browser fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from urllib.parse import unquote

import pytest

from pytest_tower.checks.browser import find_chromium
from pytest_tower.core.model import ToolError
from pytest_tower.environments.procs import free_port
from tests.integration import ui_app
from tests.integration.ui_app import serve


def _chromium() -> str | None:
    try:
        return find_chromium()
    except ToolError:
        return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI", "") != "true",
    reason="no Chromium on this machine (CI installs one)")

HOME = '''
import os
from pathlib import Path

from playwright.sync_api import Page, expect


def test_home_lists_tasks(page: Page, base_url, tower_base_url) -> None:
    assert base_url == tower_base_url
    page.goto("/")
    expect(page.get_by_role("heading", name="Tasks")).to_be_visible()
    assert page.url == tower_base_url + "/"


def test_add_a_task(page: Page, browser) -> None:
    page.goto("/")
    page.get_by_label("Title").fill("ship it")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("#tasks li")).to_have_count(2)
    seen = Path(os.environ["UI_SEEN"])
    with seen.open("a") as out:
        out.write(f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')} {browser.version}\\n")
'''
MISSING = '''
from playwright.sync_api import Page, expect


def test_missing_button(page: Page) -> None:
    page.goto("/")
    expect(page.locator("#delete-all")).to_be_visible(timeout=500)
'''
GATE = """
[ui.tests]
browser = "chromium"
base_url = "{url}"
paths = ["tests"]
coverage = false
{extra}
"""


@pytest.fixture
def app() -> Iterator[str]:
    with serve() as url:
        yield url


@pytest.fixture
def ui_gate(pytester: pytest.Pytester, run_tower, app: str, monkeypatch: pytest.MonkeyPatch):
    """ui_gate({test file: source}, extra gates.toml lines, *args): run the UI stage."""
    seen = pytester.path / "seen.txt"
    monkeypatch.setenv("UI_SEEN", str(seen))

    def run(tests: dict[str, str], extra: str = "", *args: str):
        files = {f"tests/{name}.py": body for name, body in tests.items()}
        return run_tower(GATE.format(url=app, extra=textwrap.dedent(extra)), *args,
                         files=files)

    return run


def _version(executable: str) -> str:
    said = subprocess.run([executable, "--version"], capture_output=True, text=True,
                          check=True).stdout
    found = re.search(r"\d+(\.\d+)+", said)
    assert found is not None, said
    return found.group(0)


def test_a_passing_ui_suite_passes_in_the_browser_found(pytester, ui_gate) -> None:
    run = ui_gate({"test_home": HOME})
    check = run.check
    assert run.rc == 0, run.output
    assert check["verdict"] == "passed"
    assert check["metrics"]["passed"] == 2 and check["metrics"]["browser_tests"] == 2
    assert CHROMIUM is not None
    version = _version(CHROMIUM)
    assert (pytester.path / "seen.txt").read_text().split() == ["main", version]
    assert f"Chromium {version}" in check["tool"] and "pytest-playwright" in check["tool"]
    assert f"browser: {CHROMIUM}" in check["notes"]
    assert not [name for name in check["artifacts"] if "screenshot" in name]


def test_browser_path_names_the_executable_launched(pytester, ui_gate) -> None:
    """A wrapper that records its start, then runs the real Chromium: the one launched."""
    assert CHROMIUM is not None
    log = pytester.path / "launched.txt"
    wrapper = pytester.path / "bin" / "my-chrome"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho launched >> "{log}"\nexec "{CHROMIUM}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    run = ui_gate({"test_home": HOME}, 'browser_path = "bin/my-chrome"')
    assert run.check["verdict"] == "passed", run.output
    assert log.read_text().split() == ["launched"]  # one browser for the session
    assert f"browser: {wrapper}" in run.check["notes"]


def test_a_missing_element_fails_the_stage_and_keeps_screenshot_and_trace(
        pytester, ui_gate) -> None:
    run = ui_gate({"test_home": HOME, "test_missing": MISSING}, "",
                  "--tower-html=site/report.html", "--tower-markdown=site/summary.md")
    check = run.check
    assert run.rc == 1
    assert check["verdict"] == "failed", run.output
    assert check["metrics"]["failed"] == 1 and check["metrics"]["passed"] == 2
    test_id = "tests/test_missing.py::test_missing_button[chromium]"
    assert f"{test_id} FAILED" in run.output
    (finding,) = [f for f in check["findings"] if f["path"] == test_id]
    kept = finding["artifacts"]
    assert sorted(kept) == ["screenshot", "trace"]
    root = pytester.path
    assert (root / kept["screenshot"]).read_bytes().startswith(b"\x89PNG")
    assert (root / kept["trace"]).read_bytes().startswith(b"PK")  # a zip
    assert check["artifacts"][f"{test_id} screenshot"] == kept["screenshot"]
    assert check["artifacts"][f"{test_id} trace"] == kept["trace"]
    assert not any("test_home" in name for name in check["artifacts"])  # passes keep none
    html = (root / "site" / "report.html").read_text()
    links = {unquote(h) for h in re.findall(r'<a class="artifact" href="([^"]+)"', html)}
    assert {os.path.relpath(root / kept[k], root / "site") for k in kept} <= links
    for link in links:
        assert not link.startswith("/") and (root / "site" / link).is_file(), link
    markdown = (root / "site" / "summary.md").read_text()
    assert f"[{test_id} screenshot](" in markdown


def test_no_browser_on_the_machine_is_an_error_naming_the_install(
        pytester, ui_gate, monkeypatch) -> None:
    empty = pytester.path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(empty))
    run = ui_gate({"test_home": HOME})
    check = run.check
    assert check["verdict"] == "error"
    assert "no Chromium found" in check["message"]
    assert "apt-get install chromium" in run.output
    assert "python -m playwright install chromium" in run.output
    assert not (pytester.path / "seen.txt").exists()  # no test ran


def test_video_without_playwrights_ffmpeg_is_an_error_before_any_test(
        pytester, ui_gate, monkeypatch) -> None:
    """Playwright records videos only with its own ffmpeg download: said once, up front,
    not as every test erroring in setup."""
    empty = pytester.path / "no-downloads"
    empty.mkdir()
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(empty))
    run = ui_gate({"test_home": HOME}, f'browser_path = "{CHROMIUM}"\nvideo = "on"')
    check = run.check
    assert check["verdict"] == "error", run.output
    assert f"video needs Playwright's ffmpeg, which is not in {empty}" in check["message"]
    assert "playwright install ffmpeg" in run.output
    assert not (pytester.path / "seen.txt").exists()


def test_two_workers_each_launch_a_browser_and_keep_failures(pytester, ui_gate) -> None:
    missing_too = MISSING.replace("test_missing_button", "test_missing_link")
    run = ui_gate({"test_home": HOME, "test_missing": MISSING, "test_more": missing_too},
                  "workers = 2")
    check = run.check
    assert check["verdict"] == "failed", run.output
    assert check["metrics"]["workers"] == 2 and check["metrics"]["failed"] == 2
    assert check["metrics"]["browser_tests"] == 4
    for test in ("test_missing.py::test_missing_button", "test_more.py::test_missing_link"):
        (finding,) = [f for f in check["findings"] if f["path"].startswith(f"tests/{test}")]
        assert sorted(finding["artifacts"]) == ["screenshot", "trace"]
        for path in finding["artifacts"].values():
            assert (pytester.path / path).is_file()
            assert re.search(r"/playwright/gw[01]/", path), path


@pytest.mark.parametrize("tests", [
    {"test_plain": "def test_nothing_in_a_browser():\n    assert 1 + 1 == 2\n"},
    {"test_plain": "def test_nothing_in_a_browser():\n    assert 1 + 1 == 2\n",
     "test_home": "import pytest\n\n\ndef test_home(page):\n    pytest.skip('no app')\n"},
], ids=["no-page-fixture", "browser-test-skipped"])
def test_a_ui_stage_whose_passes_never_used_the_browser_is_an_error(
        ui_gate, tests: dict[str, str]) -> None:
    run = ui_gate(tests)
    check = run.check
    assert check["verdict"] == "error", run.output
    assert "no test ran in the browser" in check["message"] or (
        "opened the browser but none passed" in check["message"])
    assert "proved nothing about the UI" in check["message"]


def test_a_project_base_url_fixture_pointing_elsewhere_is_an_error(pytester, ui_gate) -> None:
    """The tests' pages must be the target's: a conftest `base_url` of its own would check
    another server (here another real app) while the stage's target is marked tested."""
    with serve() as other:
        pytester.makeconftest(f'''
            import pytest

            @pytest.fixture(scope="session")
            def base_url():
                return "{other}"
            ''')
        run = ui_gate({"test_home": HOME.replace("assert base_url == tower_base_url", "")})
    check = run.check
    assert check["verdict"] == "error", run.output
    assert f"the tests' base_url was {other}, not the stage's target" in check["message"]


def test_headed_without_a_display_is_an_error_before_any_test(
        pytester, ui_gate, monkeypatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    run = ui_gate({"test_home": HOME}, "headed = true")
    assert run.check["verdict"] == "error", run.output
    assert "headed = true needs a display" in run.check["message"]
    assert "xvfb-run" in run.output
    assert not (pytester.path / "seen.txt").exists()


def test_pytest_playwright_disabled_by_the_project_is_an_error(pytester, ui_gate) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:playwright\n")
    run = ui_gate({"test_home": HOME})
    assert run.check["verdict"] == "error", run.output
    assert "pytest-playwright is not active in the child pytest" in run.output


def test_a_python_without_pytest_playwright_is_an_error(ui_gate, tmp_path) -> None:
    """`python` names the interpreter of the tests: it is asked, not pytest-tower's own."""
    bare = tmp_path / "bare"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(bare)], check=True)
    run = ui_gate({"test_home": HOME}, f'python = "{bare / "bin" / "python"}"')
    check = run.check
    assert check["verdict"] == "error", run.output
    assert "pytest-playwright is not installed beside" in check["message"]
    assert "pip install 'pytest-playwright" in run.output


def test_the_report_is_json_all_through(pytester, ui_gate) -> None:
    """The kept files travel in the JSON report as plain strings (schema: artifacts)."""
    ui_gate({"test_missing": MISSING})
    data = json.loads((pytester.path / "report.json").read_text())
    (check,) = data["checks"]
    assert all(isinstance(v, str) for v in check["artifacts"].values())
    assert all(isinstance(v, str) for f in check["findings"]
               for v in f.get("artifacts", {}).values())


DEPLOY = """#!/bin/sh
# deploy.sh ARTIFACT RELEASE PORT: starts the app in the background, like a real deploy
nohup "{python}" "{app}" "$3" > /dev/null 2>&1 &
echo $! >> run/all.pids
"""
RELEASE_UNDER_TEST = '''
from playwright.sync_api import Page, expect


def test_the_deployed_release(page: Page, base_url, tower_base_url, tower_deployment):
    assert base_url == tower_base_url == tower_deployment["url"]
    assert tower_deployment["release"] == "r1"
    page.goto("/")
    expect(page.get_by_role("heading", name="Tasks")).to_be_visible()
'''


def test_an_environment_is_the_target_of_the_ui_tests(pytester, run_tower) -> None:
    """[ui.tests] environment = "staging": deployed first, its URL is pytest-playwright's
    base_url; the release the browser saw is the one the gate deployed."""
    port = free_port()
    (pytester.path / "envapp").mkdir()
    (pytester.path / "envapp" / "__init__.py").write_text("")
    pytester.makepyprojecttoml('[build-system]\nrequires = ["hatchling"]\n'
                               'build-backend = "hatchling.build"\n'
                               '[project]\nname = "envapp"\nversion = "0.1"\n')
    deploy = pytester.path / "deploy.sh"
    deploy.write_text(DEPLOY.format(python=sys.executable, app=ui_app.__file__))
    deploy.chmod(0o755)
    (pytester.path / "run").mkdir()
    gates = f"""
        [build.package]
        isolated = false

        [environments.staging]
        strategy = "command"
        deploy = ["./deploy.sh", "{{artifact}}", "{{release}}", "{port}"]
        url = "http://127.0.0.1:{port}"

        [ui.tests]
        environment = "staging"
        browser = "chromium"
        paths = ["tests"]
        coverage = false
        """
    try:
        run = run_tower(gates, files={"tests/test_release.py": RELEASE_UNDER_TEST})
    finally:
        pids = pytester.path / "run" / "all.pids"
        for pid in pids.read_text().split() if pids.exists() else []:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
    assert run.rc == 0, run.output
    checks = {c["id"].split("::", 1)[1]: c for c in run.report["checks"]}
    assert checks["ui::tests"]["verdict"] == "passed"
    assert checks["ui::tests"]["metrics"]["browser_tests"] == 1
    assert "staging: verified r1" in run.output
