"""The `pages` check in a real headless Chromium against a real app on 127.0.0.1.

The app is tests/integration/pages_app.py: clean pages and one page per
injected fault. The visitor runs in the tool venv the check type makes for
itself (this repository's .tower/tools, made once and linked into each tmp
project), never where pytest runs. Real-browser runs are few (each costs
seconds): one run visits every fault page, one the clean pages with a login
script, headers and a baseline, one the pages that do not load; the cases that
need no browser (none installed, target down) launch none.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_tower.checks.pages.config import REQUIREMENTS
from pytest_tower.environments.procs import free_port
from tests.integration.chromium import chromium_path
from tests.integration.venvs import shared_tool_venv

APP = Path(__file__).with_name("pages_app.py")
TOKEN = "tok-5f1e9a-never-shown"
CHROMIUM = chromium_path()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI", "") != "true",
    reason="chromium is not installed (apt-get install -y --no-install-recommends chromium)")

FAULTS = {  # page -> the metrics it must raise above 0; every other count stays 0
    "/": set(),
    "/throws": {"page_errors"},
    "/logs": {"console_errors"},
    "/unlabelled": {"a11y"},
    "/missing-asset": {"failed_requests"},
    "/csp": {"failed_requests"},
}
LOGIN = """\
def login(page, base_url):
    page.goto(base_url + "/login")
    page.get_by_label("User").fill("ada")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/private")
"""


@pytest.fixture(scope="module")
def tools() -> Path:
    """The folder holding the pages tool venv, made once (as a user's first run makes it)."""
    return shared_tool_venv("pages", REQUIREMENTS).parent


@pytest.fixture(scope="module")
def app() -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, str(APP)], stdout=subprocess.PIPE, text=True,
                            env={"PAGES_APP_TOKEN": TOKEN, "PATH": ""})
    assert proc.stdout is not None
    url = f"http://127.0.0.1:{int(proc.stdout.readline())}"
    with urllib.request.urlopen(url + "/", timeout=10):
        pass
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def gate(run_tower, pytester: pytest.Pytester, tools: Path):
    (pytester.path / ".tower").mkdir()
    (pytester.path / ".tower" / "tools").symlink_to(tools)

    def run(toml: str, **kwargs):
        result = run_tower(toml, "-p", "no:cacheprovider", **kwargs)
        assert result.clean, result.output
        return result

    return run


def test_each_fault_fails_its_own_metric_and_only_it(gate, app: str) -> None:
    pages = json.dumps(list(FAULTS))
    run = gate(f'[ui.pages]\nbase_url = "{app}"\npages = {pages}\nruns = 1\n')
    check = run.check
    assert run.rc == 1 and check["verdict"] == "failed", run.output
    metrics = check["metrics"]
    for page, faults in FAULTS.items():
        for name in ("console_errors", "page_errors", "failed_requests"):
            assert metrics[f"{name}[{page}]"] == (1 if name in faults else 0), (page, name)
        assert metrics[f"a11y[{page}]"] == (1 if "a11y" in faults else 0), page
        assert metrics[f"requests[{page}]"] >= 3 and metrics[f"transfer_size[{page}]"] > 0
        for name in ("load_time", "ttfb", "lcp"):
            assert metrics[f"{name}[{page}]"] > 0, (page, name)
        assert metrics[f"cls[{page}]"] == 0
    assert metrics["failed_requests"] == 2 and metrics["a11y[critical]"] == 1
    assert metrics["a11y_rule[label]"] == 1
    failed = {c["expr"] for c in check["conditions"] if c["passed"] is False}
    assert failed == {"console_errors == 0", "page_errors == 0", "failed_requests == 0",
                      "a11y[critical] == 0"}
    found = {(f["path"], f["code"]) for f in check["findings"]}
    assert found == {("/throws", "page-error"), ("/logs", "console-error"),
                     ("/unlabelled", "label"), ("/missing-asset", "failed-request"),
                     ("/csp", "failed-request")}
    by_page = {f["path"]: f["message"] for f in check["findings"]}
    assert "boom on load" in by_page["/throws"]
    assert "/missing.png: 404" in by_page["/missing-asset"]
    assert "Content-Security-Policy (img-src)" in by_page["/csp"]
    assert 'input[name="nolabel"]' in by_page["/unlabelled"]
    assert "dequeuniversity.com/rules/axe/" in by_page["/unlabelled"]
    assert "axe-core 4." in check["tool"] and "chromium" in check["tool"]


def test_clean_pages_pass_with_login_headers_and_a_baseline(gate, app: str,
                                                            pytester: pytest.Pytester) -> None:
    """Three warm loads each of a page behind a login, one behind a header and one that
    redirects (noted); the token the header carries is masked everywhere;
    `lcp[/] <= baseline * 1.2` reads the accepted baseline of that page's key."""
    baseline = {"schema": 1, "checks": {"ui::pages": {"lcp[/]": 60000.0}}}
    (pytester.path / ".tower" / "baseline.json").write_text(json.dumps(baseline))
    run = gate(f"""
        [ui.pages]
        base_url = "{app}"
        pages = ["/", "/private", "/token", "/moved"]
        cache = "warm"
        viewport = "800x600"
        login = "ui/login.py"
        headers = {{ X-Token = "{{env:PAGES_TOKEN}}" }}
        conditions = ["console_errors == 0", "page_errors == 0", "failed_requests == 0",
                      "a11y == 0", "lcp[/] <= baseline * 1.2", "lcp <= 30s"]
        """, files={"ui/login.py": LOGIN}, env={"PAGES_TOKEN": TOKEN})
    check = run.check
    assert run.rc == 0 and check["verdict"] == "passed", run.output
    lcp = next(c for c in check["conditions"] if c["expr"] == "lcp[/] <= baseline * 1.2")
    assert lcp["passed"] is True and lcp["threshold"] == pytest.approx(72000.0)
    assert check["metrics"]["pages"] == 4 and check["metrics"]["a11y"] == 0
    assert check["notes"] == ["/moved ended at /about (redirected): its measures are that "
                              "page's"]
    kept = Path(check["artifacts"]["result"]).parent
    for text in [run.output, json.dumps(run.report),
                 *(p.read_text(errors="replace") for p in kept.rglob("*") if p.is_file())]:
        assert TOKEN not in text


def test_pages_that_do_not_load_are_an_error_naming_each(gate, app: str) -> None:
    run = gate(f'[ui.pages]\nbase_url = "{app}"\npages = ["/", "/broken", "/private"]\n'
               "runs = 1\n")
    check = run.check
    assert run.rc == 1 and check["verdict"] == "error", run.output
    assert "2 of 3 pages could not be measured" in check["message"]
    assert "/broken: " in check["message"] and "answered 500" in check["message"]
    assert "/private: " in check["message"] and "answered 401" in check["message"]
    assert "/: " not in check["message"]


def test_no_browser_is_an_error_with_the_install_hint(gate, app: str,
                                                      pytester: pytest.Pytester) -> None:
    empty = pytester.mkdir("no-browsers")
    run = gate(f'[ui.pages]\nbase_url = "{app}"\npages = ["/"]\n',
               env={"PATH": "", "PLAYWRIGHT_BROWSERS_PATH": str(empty)})
    assert run.rc == 1 and run.check["verdict"] == "error", run.output
    assert "no Chromium found" in run.check["message"]
    assert "apt-get install chromium" in run.output
    assert "python -m playwright install chromium" in run.output


def test_an_unreachable_target_is_an_error(gate) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    run = gate(f'[ui.pages]\nbase_url = "{url}"\npages = ["/"]\n')
    assert run.rc == 1 and run.check["verdict"] == "error", run.output
    assert f"the target {url} cannot be reached" in run.check["message"]


def test_a_login_script_that_fails_is_an_error(gate, app: str) -> None:
    run = gate(f'[ui.pages]\nbase_url = "{app}"\npages = ["/private"]\nlogin = "login.py"\n',
               files={"login.py": "def login(page, base_url):\n"
                                  "    page.goto(base_url + '/login')\n"
                                  "    page.get_by_label('Password').fill('x', timeout=500)\n"})
    assert run.rc == 1 and run.check["verdict"] == "error", run.output
    assert "the login script" in run.check["message"]
    assert "raised TimeoutError" in run.check["message"]
