"""Security testing of a running app: real schemathesis and real wapiti on 127.0.0.1.

The target is tests/integration/security_app.py (an OpenAPI 3 API), started
by the tests with flags that break one thing each. Both tools live in the tool
venvs the check types make for themselves (under this repository's
.tower/tools, made once and linked into each tmp project), never where pytest
runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_tower.checks.schemathesis.config import REQUIREMENTS as ST_REQUIREMENTS
from pytest_tower.checks.wapiti.config import REQUIREMENTS as WAPITI_REQUIREMENTS
from pytest_tower.environments.procs import free_port
from tests.integration.venvs import shared_tool_venv

APP = Path(__file__).with_name("security_app.py")
KEY = "s3cret-key"
TENANT = "tenant-7d1f0c9e-do-not-print"  # a header schemathesis itself would not filter
HEADERS = 'headers = { X-Api-Key = "{env:SECAPP_KEY}", X-Tenant = "{env:SECAPP_TENANT}" }'
ENV = {"SECAPP_KEY": KEY, "SECAPP_TENANT": TENANT}
FAST = "max_examples = 10\nseed = 1\n"


@pytest.fixture(scope="session")
def tools() -> Path:
    """Both tool venvs, made once; the folder a project's .tower/tools links to."""
    shared_tool_venv("schemathesis", ST_REQUIREMENTS)
    return shared_tool_venv("wapiti", WAPITI_REQUIREMENTS).parent


@pytest.fixture
def project(pytester: pytest.Pytester, tools: Path) -> Path:
    (pytester.path / ".tower").mkdir()
    (pytester.path / ".tower" / "tools").symlink_to(tools)
    return pytester.path


@pytest.fixture(scope="module")
def app() -> Iterator[Callable[[str], str]]:
    """app("server-error,trace") -> the URL of a running security_app with those flags."""
    running: dict[str, tuple[subprocess.Popen[str], str]] = {}

    def start(flags: str = "") -> str:
        if flags not in running:
            proc = subprocess.Popen([sys.executable, str(APP), flags], stdout=subprocess.PIPE,
                                    text=True, env={"SECURITY_APP_KEY": KEY, "PATH": ""})
            assert proc.stdout is not None
            url = f"http://127.0.0.1:{int(proc.stdout.readline())}"
            with urllib.request.urlopen(url + "/tasks", timeout=10):
                pass
            running[flags] = (proc, url)
        return running[flags][1]

    yield start
    for proc, _ in running.values():
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def gate(run_tower, project):
    def run(toml: str, **kwargs):
        result = run_tower(toml, "-p", "no:cacheprovider", env=ENV, **kwargs)
        assert result.clean, result.output
        return result

    return run


def api(url: str, extra: str = "") -> str:
    return f'[security.api]\ntool = "schemathesis"\nbase_url = "{url}"\n{HEADERS}\n{FAST}{extra}\n'


def dast(url: str, extra: str = "") -> str:
    return f'[security.dast]\ntool = "wapiti"\nbase_url = "{url}"\n{extra}\n'


def test_a_clean_app_passes_both_and_no_secret_is_kept(gate, app, project) -> None:
    url = app("")
    run = gate(api(url) + dast(url, HEADERS))
    assert run.rc == 0, run.output
    checks = {c["check"]: c for c in run.report["checks"]}
    fuzz, scan = checks["api"], checks["dast"]
    assert fuzz["verdict"] == scan["verdict"] == "passed"
    assert fuzz["tool"].startswith("schemathesis 4.") and scan["tool"].startswith("wapiti 3.2")
    assert fuzz["metrics"]["operations"] == fuzz["metrics"]["tested"] == 3
    assert fuzz["metrics"]["failures"] == fuzz["metrics"]["auth_rejected"] == 0
    assert fuzz["metrics"]["test_cases"] > 10
    assert scan["metrics"]["crawled"] >= 3 and scan["metrics"]["findings"] == 0
    assert scan["metrics"]["scan_time"] > 0
    kept = [p for p in (project / ".tower" / "runs").rglob("*") if p.is_file()]
    assert any(p.name == "report.ndjson" for p in kept)
    assert TENANT not in run.output
    holding = [p for p in [*kept, project / "report.json"] if TENANT.encode() in p.read_bytes()]
    assert holding == []
    events = Path(fuzz["artifacts"]["events"]).read_text()
    assert "X-Tenant" in events and "***" in events  # it was sent, and masked in the file


def test_a_500_on_a_malformed_body_fails_naming_the_operation(gate, app) -> None:
    run = gate(api(app("server-error"), 'include = ["POST /tasks"]'))
    check = run.check
    assert check["verdict"] == "failed", run.output
    metrics = check["metrics"]
    assert metrics["operations"] == metrics["tested"] == 1
    assert metrics["server_errors"] >= 1
    assert metrics["failures[not_a_server_error]"] == metrics["failures[ST101]"] >= 1
    st101 = [f for f in check["findings"] if f["code"] == "ST101"]
    assert st101 and st101[0]["path"] == "POST /tasks"
    assert "reproduce: curl -X POST" in st101[0]["message"]
    assert "/tasks" in st101[0]["message"]
    assert "FAIL  server_errors == 0" in run.output


def test_an_undeclared_method_answered_200_fails(gate, app) -> None:
    run = gate(api(app("trace"), 'checks = ["unsupported_method"]'))
    check = run.check
    assert check["verdict"] == "failed", run.output
    assert check["metrics"]["failures[unsupported_method]"] >= 1
    assert check["metrics"]["failures[ST204]"] >= 1
    places = {f["path"] for f in check["findings"] if f["code"] == "ST204"}
    assert "TRACE /tasks" in places
    assert check["metrics"]["server_errors"] == 0


def test_a_dropped_security_header_fails_naming_the_category(gate, app) -> None:
    run = gate(dast(app("no-headers")))
    check = run.check
    assert check["verdict"] == "failed", run.output
    metrics = check["metrics"]
    assert metrics["findings[Clickjacking Protection]"] == 1
    assert metrics["findings[MIME Type Confusion]"] == 1
    assert metrics["findings[Content Security Policy Configuration]"] == 1
    assert metrics["findings"] == 3
    assert "Clickjacking Protection" in run.output and "X-Frame-Options is not set" in run.output


def test_waivers_match_a_category_and_place_and_expire(gate, app) -> None:
    run = gate(dast(app("no-headers"), """
conditions = ["findings == 0"]
ignore = [
  { id = "Clickjacking Protection", url = "/", reason = "framed by us", until = 2099-01-01 },
  { id = "csp", url = "/admin/*", reason = "admin only", until = 2099-01-01 },
  { id = "MIME Type Confusion", reason = "was accepted", until = 2020-01-01 },
]"""))
    check = run.check
    metrics = check["metrics"]
    assert metrics["waived"] == 1 and metrics["findings[Clickjacking Protection]"] == 0
    assert metrics["findings[Content Security Policy Configuration]"] == 1  # /admin/* only
    assert metrics["findings[MIME Type Confusion]"] == 1 and metrics["expired"] == 1
    assert check["verdict"] == "failed"
    assert "waiver expired on 2020-01-01 and waives nothing" in run.output
    assert "stale waiver: ignore csp at /admin/*" in run.output


def test_schemathesis_waivers_by_check_and_operation(gate, app) -> None:
    run = gate(api(app("server-error"), """include = ["POST /tasks"]
conditions = ["server_errors == 0", "failures[ST103] == 0"]
ignore = [
  { id = "not_a_server_error", operation = "POST /tasks", reason = "bug 12", until = 2099-01-01 },
  { id = "ST103", operation = "POST /*", reason = "bug 12", until = 2099-01-01 },
]"""))
    check = run.check
    assert check["verdict"] == "passed", run.output
    assert check["metrics"]["waived"] >= 2 and check["metrics"]["server_errors"] == 0
    assert any("waived until 2099-01-01: bug 12" in f["message"] for f in check["findings"])


def test_a_schema_file_of_the_project(gate, app, project) -> None:
    url = app("")
    with urllib.request.urlopen(url + "/openapi.json", timeout=10) as answer:
        (project / "openapi.json").write_bytes(answer.read())
    run = gate(api(url, 'schema = "openapi.json"\nphases = ["coverage"]'))
    assert run.check["verdict"] == "passed", run.output
    assert run.check["metrics"]["tested"] == 3


def test_wrong_credentials_are_not_a_pass(gate, app) -> None:
    run = gate(api(app("")).replace("{env:SECAPP_KEY}", "wrong"))
    check = run.check
    assert check["verdict"] == "failed", run.output
    assert check["metrics"]["auth_rejected"] == 1
    assert "FAIL  auth_rejected == 0" in run.output
    assert "POST /tasks auth answered only 401/403" in run.output


def test_a_schema_url_that_404s_errors(gate, app) -> None:
    run = gate(api(app("no-schema")))
    check = run.check
    assert check["verdict"] == "error", run.output
    assert "schemathesis could not run (exit 2)" in check["message"]
    assert "404" in check["message"]


def test_no_operation_selected_errors(gate, app) -> None:
    run = gate(api(app(""), 'include = ["GET /nothing"]'))
    assert run.check["verdict"] == "error", run.output
    assert "no API operation was selected" in run.check["message"]
    assert "--include-name 'GET /nothing'" in run.check["message"]


def test_phases_that_test_nothing_error(gate, app) -> None:
    run = gate(api(app(""), 'phases = ["examples"]'))  # the schema has no examples
    assert run.check["verdict"] == "error", run.output
    assert "schemathesis tested none of the 3 selected operations" in run.check["message"]


@pytest.mark.parametrize("table", [api, dast])
def test_an_unreachable_target_errors(gate, table) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    run = gate(table(url))
    assert run.check["verdict"] == "error", run.output
    assert f"the target {url} cannot be reached" in run.check["message"]
    assert "Connection refused" in run.check["message"]


PACKAGE = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "secapp"
version = "1.0"
"""


def test_the_environment_is_the_target(gate, project, stop_everything) -> None:
    """A deployed environment (local strategy) is what both tools attack."""
    (project / "secapp").mkdir()
    (project / "secapp" / "__init__.py").write_text("")
    shutil.copy(APP, project / "secapp" / "__main__.py")
    (project / "pyproject.toml").write_text(PACKAGE)
    try:
        run = gate(f"""
[build.package]
isolated = false

[environments.staging]
command = "python -m secapp --port {{port}}"
env = {{ SECURITY_APP_KEY = "{KEY}" }}
health = "/tasks"

[security.api]
tool = "schemathesis"
environment = "staging"
{HEADERS}
{FAST}
[security.dast]
tool = "wapiti"
environment = "staging"
""")
    finally:
        stop_everything(project)
    checks = {c["check"]: c for c in run.report["checks"]}
    assert run.rc == 0, run.output
    assert checks["api"]["verdict"] == checks["dast"]["verdict"] == "passed"
    report = json.loads(Path(checks["dast"]["artifacts"]["report"]).read_text())
    staging = next(e for e in run.report["environments"] if e["env"] == "staging")
    assert staging["url"] and report["infos"]["target"].rstrip("/") == staging["url"]

