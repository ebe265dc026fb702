"""The load gate with real locust against real servers on 127.0.0.1, a few seconds each.

Locust lives in pytest-tower's own tool venv (made once under this
repository's .tower/tools and linked into each tmp project), never in the
environment these tests run in.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_tower.checks.load.check import REQUIREMENTS
from pytest_tower.checks.toolenv import tool_python
from pytest_tower.core.model import CheckContext

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "tasktower"
SERVER = Path(__file__).with_name("load_server.py")
SLOW_MS = 150

FAST_SLOW = """\
from locust import HttpUser, constant, task


class Visitor(HttpUser):
    wait_time = constant(0.05)

    @task(3)
    def fast(self):
        self.client.get("/fast")

    @task(1)
    def slow(self):
        self.client.get("/slow")
"""
ERRORS = FAST_SLOW.replace('"/slow"', '"/error"').replace('"/fast"', '"/error"')
NO_TASKS = "from locust import HttpUser\n\n\nclass Idle(HttpUser):\n    pass\n"


@dataclass(frozen=True)
class Target:
    url: str
    pid_file: Path


@pytest.fixture(scope="session")
def tool_venv() -> Path:
    """The load check's own venv for this repository, made the way a user's first run makes it."""
    ctx = CheckContext("tests::load", ROOT, {}, 900.0, ROOT / ".tower" / "tmp",
                       deadline=time.monotonic() + 900.0)
    return tool_python(ctx, "locust", REQUIREMENTS).parent.parent


@pytest.fixture
def project(pytester: pytest.Pytester, tool_venv: Path) -> Path:
    (pytester.path / ".tower").mkdir()
    (pytester.path / ".tower" / "tools").symlink_to(tool_venv.parent)
    return pytester.path


def _serve(argv: list[str], cwd: Path, url_of, health: str) -> subprocess.Popen:
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    url = url_of(proc)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + health, timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"{argv} did not come up at {url}")
            time.sleep(0.1)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory):
    """tests/integration/load_server.py: /fast, /slow (SLOW_MS), /error (500)."""
    folder = tmp_path_factory.mktemp("target")
    urls: list[str] = []

    def url_of(proc: subprocess.Popen) -> str:
        urls.append(f"http://127.0.0.1:{int(proc.stdout.readline())}")
        return urls[0]

    proc = _serve([sys.executable, str(SERVER), str(folder / "app.pid"), str(SLOW_MS)],
                  folder, url_of, "/fast")
    yield Target(urls[0], folder / "app.pid")
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """Task Tower under gunicorn (2 workers) on a free loopback port, with a pid file."""
    import socket

    folder = tmp_path_factory.mktemp("demo")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    argv = [sys.executable, "-m", "gunicorn", "--no-control-socket", "--workers", "2",
            "--bind", f"127.0.0.1:{port}", "--pid", str(folder / "app.pid"),
            "--env", f"TASKTOWER_DB={folder / 'tasks.db'}", "tasktower.app:app"]
    proc = _serve(argv, DEMO, lambda _: f"http://127.0.0.1:{port}", "/healthz")
    while not (folder / "app.pid").exists():
        time.sleep(0.05)
    yield Target(f"http://127.0.0.1:{port}", folder / "app.pid")
    proc.terminate()
    proc.wait(timeout=15)


@pytest.fixture
def gate(run_tower):
    """run_tower with a locustfile; locust's own tracebacks may be shown as its stderr, not ours."""

    def run(toml: str, locustfile: str = FAST_SLOW):
        def write_locustfile(root: Path) -> None:
            (root / "locustfile.py").write_text(locustfile)

        run = run_tower(toml, "-p", "no:cacheprovider", setup=write_locustfile)
        out = run.stdout.str()
        assert "INTERNALERROR" not in out and "check type crashed" not in out
        return run

    return run


def locust_result(check: dict) -> dict:
    return json.loads(Path(check["artifacts"]["result"]).read_text())


def test_demo_under_light_load_passes(pytester, project, demo, gate) -> None:
    (pytester.path / "demo_locustfile.py").write_text((DEMO / "locustfile.py").read_text())
    run = gate(f"""
[performance.load]
host = "{demo.url}"
locustfile = "demo_locustfile.py"
users = 5
spawn_rate = 5
duration = "3s"
pid_file = "{demo.pid_file}"
conditions = ["p95 < 1000ms", "failure_ratio < 1%", "rps >= 5", "p95[POST /tasks] < 1500ms",
              "requests[GET /tasks] > 0", "cpu < 400%", "rss < 2GB"]
abort_on_fail = ["failure_ratio < 20%"]
""")
    check = run.check
    assert check["verdict"] == "passed", run.stdout.str()
    assert check["tool"].startswith("locust 2.")
    metrics = check["metrics"]
    assert metrics["requests"] == sum(v for k, v in metrics.items() if k.startswith("requests["))
    assert metrics["cpu"] > 0 and metrics["cpu_mean"] > 0 and metrics["rss"] > 10_000_000
    assert re.search(r"load \d+/3s users \d+ rps \d+ failures \d+ p95 \d+ms", run.stdout.str())


def test_slow_endpoint_fails_its_p95(project, target, gate) -> None:
    run = gate(f"""
[performance.load]
host = "{target.url}"
users = 5
duration = "2s"
conditions = ["p95[GET /slow] < 100ms", "p95[GET /fast] < 140ms", "failure_ratio < 1%"]
""")
    check = run.check
    assert check["verdict"] == "failed"
    assert check["metrics"]["p95[GET /slow]"] >= SLOW_MS
    passed = {c["expr"]: c["passed"] for c in check["conditions"]}
    assert passed == {"p95[GET /slow] < 100ms": False, "p95[GET /fast] < 140ms": True,
                      "failure_ratio < 1%": True, "aborted == 0": True, "exceptions == 0": True}
    assert "FAIL  p95[GET /slow] < 100ms" in run.stdout.str()


def test_metrics_equal_locusts_own_final_csv(project, target, gate) -> None:
    run = gate(f'[performance.load]\nhost = "{target.url}"\nusers = 5\n'
               'duration = "2s"\nconditions = ["requests > 0"]\n')
    check = run.check
    metrics = check["metrics"]
    with open(check["artifacts"]["stats_csv"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3  # GET /fast, GET /slow, Aggregated
    for row in rows:
        key = "" if row["Name"] == "Aggregated" else f"[{row['Type']} {row['Name']}]"
        assert metrics[f"requests{key}"] == int(row["Request Count"]) > 0
        assert metrics[f"failures{key}"] == int(row["Failure Count"])
        assert metrics[f"rps{key}"] == pytest.approx(float(row["Requests/s"]), rel=1e-12)
        assert metrics[f"avg{key}"] == pytest.approx(float(row["Average Response Time"]))
        assert metrics[f"max{key}"] == pytest.approx(float(row["Max Response Time"]))
        for name, column in (("p50", "50%"), ("p90", "90%"), ("p95", "95%"), ("p99", "99%")):
            assert metrics[f"{name}{key}"] == int(row[column])


def test_500s_fail_and_abort_early(project, target, gate) -> None:
    run = gate(f"""
[performance.load]
host = "{target.url}"
users = 5
duration = "5s"
conditions = ["failure_ratio < 1%"]
abort_on_fail = ["failure_ratio < 20%"]
""", ERRORS)
    check = run.check
    assert check["verdict"] == "failed"
    assert check["metrics"]["failure_ratio"] == 100 and check["metrics"]["aborted"] == 1
    assert locust_result(check)["aborted_at"] < 5
    out = run.stdout.str()
    assert "abort_on_fail failure_ratio < 20% did not hold (measured 100%)" in out
    assert "GET /error failure 500 Server Error" in out


def test_no_evidence_is_an_error(pytester, project, target, gate) -> None:
    (pytester.path / "idle.py").write_text(NO_TASKS)
    (pytester.path / "broken.py").write_text("from locust import HttpUser\nclass U(HttpUser:\n")
    (pytester.path / "empty.py").write_text("VALUE = 1\n")
    table = '[load.{}]\ntool = "load"\nhost = "{}"\nlocustfile = "{}"\nduration = "2s"\n'
    run = gate("".join([
        table.format("idle", target.url, "idle.py"),
        table.format("broken", target.url, "broken.py"),
        table.format("empty", target.url, "empty.py"),
        table.format("refused", "http://127.0.0.1:9", "locustfile.py"),
    ]))
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    messages = {c["check"]: c["message"] for c in run.report["checks"]}
    assert {c["verdict"] for c in run.report["checks"]} == {"error"}
    assert "locust made no requests" in messages["idle"]
    assert "No tasks defined on Idle" in messages["idle"]
    assert "broken.py failed to import: SyntaxError" in messages["broken"]
    assert "defines no User class" in messages["empty"]
    assert "http://127.0.0.1:9 cannot be reached" in messages["refused"]


def test_two_workers_combine_their_stats(project, target, gate) -> None:
    run = gate(f'[performance.load]\nhost = "{target.url}"\nusers = 4\n'
               'workers = 2\nduration = "3s"\nconditions = ["requests > 0"]\n')
    check = run.check
    assert check["verdict"] == "passed", run.stdout.str()
    per_worker = locust_result(check)["workers"]
    assert len(per_worker) == 2 and all(n > 0 for n in per_worker.values())
    assert sum(per_worker.values()) == check["metrics"]["requests"]


@pytest.mark.parametrize(("host", "words"), [
    ("http://load.example.com", "http://load.example.com is not on this machine"),
    ("http://127.0.0.1:8000", "set pid_file"),
])
def test_cpu_condition_without_a_process_is_a_config_error(pytester, host, words) -> None:
    (pytester.path / "gates.toml").write_text(
        f'[performance.load]\nhost = "{host}"\nconditions = ["p95 < 1s", "cpu < 180%"]\n')
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert words in result.stderr.str() + result.stdout.str()


def test_abort_condition_that_does_not_parse_is_a_config_error(pytester) -> None:
    (pytester.path / "gates.toml").write_text(
        '[performance.load]\nhost = "http://127.0.0.1:8000"\nabort_on_fail = ["p95 < fast"]\n')
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "abort_on_fail: condition 'p95 < fast'" in result.stderr.str() + result.stdout.str()


def test_users_session_fixture_and_host_option_still_work(pytester, tool_venv) -> None:
    """locust's pytest plugin (session/fastsession, --host) must not reach the user's runs."""
    probe = ("import importlib.metadata as m; "
             "print([e.name for e in m.entry_points(group='pytest11')])")
    out = subprocess.run([str(tool_venv / "bin" / "python"), "-c", probe], capture_output=True,
                         text=True, check=True).stdout
    assert "'locust'" in out  # the plugin exists, in the tool venv only
    assert importlib.util.find_spec("locust") is None
    assert importlib.util.find_spec("pytest_locust") is None
    pytester.makeconftest("""
        import pytest

        def pytest_addoption(parser):
            parser.addoption("--host", default="nowhere")

        @pytest.fixture
        def session(request):
            return {"host": request.config.getoption("--host")}
    """)
    pytester.makepyfile("def test_mine(session):\n    assert session == {'host': 'here'}\n")
    result = pytester.runpytest_subprocess("--host", "here")
    result.assert_outcomes(passed=1)
