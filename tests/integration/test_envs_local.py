"""The local strategy with the real demo: gunicorn processes on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pytest_tower.core.model import ToolError
from pytest_tower.environments import (
    DeployError,
    Deployment,
    EnvLockedError,
    RollbackError,
    open_environment,
    parse_environment,
)
from pytest_tower.environments.install import install_release
from tests.integration.envkit import (
    COMMAND,
    build_variants,
    build_wheel,
    get,
    gone,
    kill_recorded,
    marked_processes,
)
from tests.integration.venvs import make_venv

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    return build_variants(tmp_path_factory.mktemp("wheels"), {
        "good": "", "boom": "boom", "crash": "crash", "sick": "sick", "slow": "slow",
        "logs": "logs"})


def table(**options):
    return {"command": COMMAND, "health_timeout": "30s", "stop_timeout": "2s",
            "env": {"TASKTOWER_DB": "{state}/tasktower.db",
                    "TASKTOWER_MARKER": "{release_dir}/booting"}, **options}


@pytest.fixture
def make_env(tmp_path):
    """Environments on one state folder; every process they started is stopped after."""
    made = []

    def make(**options):
        env = open_environment(parse_environment("staging", table(**options)), tmp_path,
                               tmp_path / "envs")
        env.monitor_interval = 0.2
        made.append(env)
        return env

    yield make
    for env in made:
        env.stop()
    kill_recorded(tmp_path / "envs" / "staging")


def state_of(env) -> dict:
    return json.loads((env.folder / "state.json").read_text())


def statuses(env) -> dict[str, str]:
    return {e["release"]: e["status"] for e in state_of(env)["history"]}


def test_deploy_serves_replaces_monitors_and_stops(make_env, wheels) -> None:
    env = make_env(health_failures_allowed=0)
    first = env.deploy(wheels["good"])
    assert env.metrics()["health_failures"] == 0
    status, body = get(first.url + "/healthz")
    assert status == 200 and json.loads(body)["version"] == "0.1.0"
    assert env.current() == first and first.release == "r1"
    assert Deployment.from_dict(json.loads(json.dumps(first.to_dict()))) == first
    assert first.url.startswith("http://127.0.0.1:") and Path(first.log_path).is_file()

    second = env.deploy(wheels["boom"])
    assert second.release == "r2" and second.version == "0.1.1"
    assert gone(first.pid) and get(first.url + "/healthz")[0] == 0
    assert env.current() == second and state_of(env)["current"] == "r2"
    assert get(second.url + "/boom")[0] == 500  # an unhandled exception in the app
    assert env.metrics()["app_errors"] >= 1

    os.killpg(second.pid, signal.SIGKILL)  # the app dies while in use
    deadline = time.monotonic() + 30
    while env.metrics()["health_failures"] < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert env.metrics()["health_failures"] >= 1
    env.stop()
    assert gone(second.pid) and env.current() is None


def test_release_that_never_gets_healthy_leaves_the_previous_serving(make_env, wheels) -> None:
    env = make_env(health_timeout="2s")
    good = env.deploy(wheels["good"])
    with pytest.raises(DeployError) as crashed:
        env.deploy(wheels["crash"])
    text = str(crashed.value)
    assert "exited with code" in text and "broken on purpose" in text  # the app log's tail
    assert "r1 (deployed) was never replaced and keeps serving" in text

    with pytest.raises(DeployError) as sick:
        env.deploy(wheels["sick"])
    assert "not healthy within 2s (last probe: HTTP 500)" in str(sick.value)
    assert get(good.url + "/healthz")[0] == 200
    assert env.current() == good
    assert statuses(env) == {"r1": "deployed", "r2": "failed", "r3": "failed"}
    assert marked_processes(env.folder, "r2") == [] == marked_processes(env.folder, "r3")


def test_rollback_to_the_last_verified_release(make_env, wheels) -> None:
    env = make_env()
    env.deploy(wheels["good"])
    env.mark_verified()
    bad = env.deploy(wheels["boom"])
    result = env.rollback("integration.tests failed")
    assert result.message == "staging rolled back from r2 to r1: integration.tests failed"
    now = env.current()
    assert now is not None and now.release == "r1"
    assert json.loads(get(now.url + "/healthz")[1])["version"] == "0.1.0"
    assert gone(bad.pid)
    assert statuses(env) == {"r1": "verified", "r2": "rolled-back"}
    assert env.metrics()["rollback_seconds"] > 0


def test_rollback_that_fails_is_loud_and_leaves_the_release_serving(make_env, wheels) -> None:
    env = make_env()
    first = env.deploy(wheels["good"])
    with pytest.raises(RollbackError, match="no earlier verified release"):
        env.rollback("smoke failed")
    env.mark_verified()
    second = env.deploy(wheels["boom"])
    import shutil

    shutil.rmtree(Path(first.log_path).parent)  # the verified release is gone
    with pytest.raises(RollbackError) as failed:
        env.rollback("integration.tests failed")
    text = str(failed.value)
    assert "could not roll back from r2 to r1" in text and "STILL SERVING" in text
    assert get(second.url + "/healthz")[0] == 200 and env.current() == second


def test_on_failure_keep_leaves_the_failed_release_in_place(make_env, wheels) -> None:
    env = make_env(on_failure="keep")
    env.deploy(wheels["good"])
    env.mark_verified()
    second = env.deploy(wheels["boom"])
    result = env.rollback("migrations cannot be undone")
    assert result.to_release is None and "kept r2" in result.message
    assert env.current() == second and get(second.url + "/healthz")[0] == 200


def test_failed_deploy_in_a_new_run_restarts_the_verified_release(make_env, wheels) -> None:
    earlier = make_env()
    earlier.deploy(wheels["good"])
    earlier.mark_verified()
    earlier.stop()  # that run ended: nothing is serving
    run = make_env()
    assert run.current() is None
    with pytest.raises(DeployError, match="back on the verified release r1"):
        run.deploy(wheels["crash"])
    now = run.current()
    assert now is not None and now.release == "r1" and get(now.url + "/healthz")[0] == 200


def test_keep_releases_prunes_but_keeps_current_and_verified(make_env, wheels) -> None:
    env = make_env(keep_releases=1)
    env.deploy(wheels["good"])
    env.mark_verified()
    env.deploy(wheels["good"])
    env.deploy(wheels["good"])
    folders = sorted(p.name for p in (env.folder / "releases").iterdir())
    assert folders == ["1", "3"]  # r2 pruned; r1 verified; r3 current


def test_second_run_waits_for_the_lock_or_fails_clearly(make_env, wheels) -> None:
    holder, impatient, patient = make_env(), make_env(lock_timeout="0.3s"), make_env()
    with holder.lock(), pytest.raises(EnvLockedError, match=r"locked by another run \(pid "):
        impatient.deploy(wheels["good"])
    done: dict = {}
    with holder.lock():
        waiter = threading.Thread(target=lambda: done.update(d=patient.deploy(wheels["good"])))
        waiter.start()
        waiter.join(timeout=1.0)
        assert waiter.is_alive() and not done  # blocked on the lock, not interleaving
    waiter.join(timeout=120)
    assert done["d"].release == "r1" and get(done["d"].url + "/healthz")[0] == 200


def test_app_errors_counts_common_log_formats_and_log_files(make_env, wheels,
                                                            monkeypatch) -> None:
    """logging's default ERROR:name:msg, CRITICAL, an unflushed print(), JSON and logfmt
    lines in a file, and gunicorn's --error-logfile (found in the command line) all
    count (F1)."""
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)  # the release sets it itself
    env = make_env(command=COMMAND + " --error-logfile {release_dir}/gunicorn-error.log",
                   log_files=["{state}/app-file.log"],
                   env={"APP_LOG_FILE": "{state}/app-file.log", "TASKTOWER_DB": "{state}/t.db"})
    (env.folder / "app-file.log").parent.mkdir(parents=True, exist_ok=True)
    (env.folder / "app-file.log").write_text('{"level": "error", "msg": "an older run"}\n')
    deployed = env.deploy(wheels["logs"])
    assert env.metrics()["app_errors"] == 0  # gunicorn's boot lines, an older run's errors
    assert get(deployed.url + "/log") == (200, "logged")
    assert env.metrics()["app_errors"] == 5
    assert get(deployed.url + "/boom")[0] == 500  # gunicorn logs it to its error log file
    assert env.metrics()["app_errors"] >= 6
    assert "Error handling request" in (Path(deployed.log_path).parent
                                        / "gunicorn-error.log").read_text()


def test_a_log_file_the_release_never_writes_fails_the_deploy(make_env, wheels) -> None:
    env = make_env(log_files=["logs/app.log"])
    with pytest.raises(DeployError) as failed:
        env.deploy(wheels["good"])
    text = str(failed.value)
    assert "never created its log file" in text and "releases/1/logs/app.log" in text
    assert "app_errors counts the errors logged there" in text


def test_a_wheel_without_code_is_refused(make_env, tmp_path) -> None:
    """A metadata-only wheel would serve whatever copy of the app is around (F8)."""
    empty = build_wheel(tmp_path, "envapp", {"envapp/__init__.py": "app = None\n"},
                        include=["nothing_here"])
    with pytest.raises(DeployError) as failed:
        make_env().deploy(empty)
    text = str(failed.value)
    assert "holds no importable module (only envapp-0.2.dist-info/" in text
    assert "could only run code from somewhere else" in text


def test_inherit_never_serves_the_dev_copy_of_the_project(tmp_path) -> None:
    """The dev venv has envapp 0.1 installed (pip install .); the new wheel of envapp
    forgot that package: importing it in the release fails, dependencies still come (F8)."""
    dev = make_venv(tmp_path / "dev", {"envapp": ""}, version="0.1")
    dev_site = subprocess.run([str(dev), "-c", "import sysconfig; print(sysconfig.get_path("
                               "'purelib'))"], capture_output=True, text=True,
                              check=True).stdout.strip()
    wheel = build_wheel(tmp_path, "envapp", {"other/__init__.py": "X = 1\n"},
                        include=["other"])
    python = install_release(wheel, tmp_path / "release" / "venv", "inherit", 120.0,
                             inherit=[dev_site, *_dev_sites()])
    leak = subprocess.run([str(python), "-c", "import envapp"], capture_output=True,
                          text=True, cwd=tmp_path, check=False)
    assert leak.returncode == 1
    assert "No module named 'envapp' in the deployed wheel" in leak.stderr
    ok = subprocess.run([str(python), "-c", "import other, gunicorn; print(other.__file__)"],
                        capture_output=True, text=True, cwd=tmp_path, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(str(tmp_path / "release" / "venv"))
    with pytest.raises(ToolError, match="holds no importable module"):
        install_release(build_wheel(tmp_path, "envapp", {"x.txt": "x"}, include=["x.txt"],
                                    version="0.3"), tmp_path / "r2" / "venv", "inherit", 120.0)


def test_pythonpath_of_the_run_does_not_reach_the_release(make_env, tmp_path,
                                                          monkeypatch) -> None:
    """CI often exports PYTHONPATH=$PWD/src: the checkout would stand in for a wheel that
    forgot a module. The release gets PYTHONPATH only from its own `env` table."""
    checkout = tmp_path / "checkout"
    files = {"envapp/__init__.py": "from envapp.routes import app\n",
             "envapp/routes.py": "def app(environ, start_response):\n"
                                 "    start_response('200 OK', [])\n    return [b'ok']\n"}
    for name, text in files.items():
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text(text)
    wheel = build_wheel(tmp_path, "envapp", files, include=["envapp/__init__.py"])
    monkeypatch.setenv("PYTHONPATH", str(checkout))
    command = "gunicorn --no-control-socket --bind {host}:{port} --workers 1 envapp:app"
    with pytest.raises(DeployError, match=r"No module named 'envapp\.routes'"):
        make_env(command=command, health_timeout="10s").deploy(wheel)


@pytest.mark.parametrize("program", [sys.executable + " -m gunicorn",
                                     str(Path(sys.executable).parent / "gunicorn")])
def test_a_command_run_by_another_python_is_refused(make_env, wheels, program) -> None:
    """The dev venv's gunicorn (or python) imports the app the dev venv sees (F8)."""
    env = make_env(command=COMMAND.replace("gunicorn", program, 1))
    with pytest.raises(DeployError) as failed:
        env.deploy(wheels["good"])
    text = str(failed.value)
    assert f"a Python program of {sys.executable}" in text
    assert "not from the deployed wheel" in text and "Name it bare" in text
    assert env.current() is None


def _dev_sites() -> list[str]:
    import sysconfig

    return [sysconfig.get_path("purelib")]


BURNER = """
import subprocess, sys, time
end = time.monotonic() + float(sys.argv[1])
burn = "import time\\ne = time.monotonic() + 0.3\\nwhile time.monotonic() < e: pass"
while time.monotonic() < end:
    subprocess.run([sys.executable, "-c", burn], check=True)
"""
SAMPLE = """
import json, subprocess, sys, time
sys.path.insert(0, sys.argv[1])
from locust_runner import Sampler
proc = subprocess.Popen([sys.executable, "-c", sys.argv[2], "4"])
sampler = Sampler(proc.pid)
for _ in range(4):
    time.sleep(1.0)
    sampler.sample()
proc.wait()
print(json.dumps(sampler.summary()))
"""


def test_cpu_of_workers_that_live_less_than_a_sample_is_counted(tmp_path) -> None:
    """A parent whose children each burn a core for 0.3 s (gunicorn --max-requests):
    the core is busy the whole time, so cpu_mean cannot read as idle (F13)."""
    from pytest_tower.checks.load.check import REQUIREMENTS, RUNNER
    from pytest_tower.checks.toolenv import tool_python
    from pytest_tower.core.model import CheckContext

    ctx = CheckContext("tests::load", REPO, {}, 900.0, REPO / ".tower" / "tmp",
                       deadline=time.monotonic() + 900.0)
    python = tool_python(ctx, "locust", REQUIREMENTS)
    run = subprocess.run([str(python), "-c", SAMPLE, str(RUNNER.parent), BURNER],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout.splitlines()[-1])
    # CPU seconds over wall seconds: ~100 % of a core on an idle machine; the old
    # per-process deltas read ~0 % here. 25 % leaves room for a shared, busy machine.
    assert summary["cpu_mean"] > 25 and summary["cpu"] > 25, summary


DRIVER = """
import json, sys
from pathlib import Path
from pytest_tower.environments import open_environment, parse_environment
root, good, slow = map(Path, sys.argv[1:4])
env = open_environment(parse_environment("staging", json.loads(sys.argv[4])), root,
                       root / "envs")
print(json.dumps(env.deploy(good).to_dict()), flush=True)
try:
    env.deploy(slow)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.stdin.readline()
    env.stop()
    print("stopped", flush=True)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_mid_deploy_keeps_previous_and_leaves_no_orphan(tmp_path, wheels, sig) -> None:
    state = tmp_path / "envs" / "staging"
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(tmp_path), str(wheels["good"]), str(wheels["slow"]),
         json.dumps(table())],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        first = json.loads(driver.stdout.readline())
        booting = state / "releases" / "2" / "booting"
        deadline = time.monotonic() + 60
        while not booting.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert booting.exists(), "the slow release never started"
        driver.send_signal(sig)
        assert driver.stdout.readline().strip() == "interrupted"
        assert marked_processes(state, "r2") == []
        assert get(first["url"] + "/healthz")[0] == 200
        recorded = json.loads((state / "state.json").read_text())
        assert recorded["current"] == "r1"
        assert recorded["history"][-1]["status"] == "failed"
        driver.stdin.write("\n")
        driver.stdin.flush()
        assert driver.stdout.readline().strip() == "stopped"
        assert driver.wait(timeout=60) == 0
        assert gone(first["pid"]) and marked_processes(state, "r1") == []
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
        kill_recorded(state)


@pytest.mark.parametrize("line", [
    "ERROR:billing:database connection lost", "CRITICAL:billing:data corruption",
    "[2026-01-01 10:00:00 +0000] [12] [CRITICAL] WORKER TIMEOUT (pid:13)",
    "2026-01-01 10:00:00,123 ERROR billing boom", "2026-01-01 - billing - ERROR - boom",
    "ts=1 level=error msg=boom", 'ts=1 level="fatal"', '{"level": "error", "msg": "x"}',
    '{"levelname":"CRITICAL"}', "2026/01/01 00:00:00 [error] 12#0: upstream",
    "ERROR:    Exception in ASGI application", "Traceback (most recent call last):",
    # %(asctime)s:%(levelname)s:%(name)s:%(message)s and friends
    "2024-01-01 12:00:00,123:ERROR:app:db down", "2024-01-01T00:00:00Z:ERROR:x",
    "ERROR[app] x", "2024-01-01 12:00:00:CRITICAL:app:boom",
    # loguru serialize=True, JSON keys other than "level", numeric levels
    '{"text": "x", "record": {"level": {"icon": "\u274c", "name": "ERROR", "no": 40}}}',
    '{"log_level": "ERROR", "msg": "x"}', '{"loglevel": "error"}', '{"level_name": "CRITICAL"}',
    "ts=1 log_level=error msg=boom", '{"levelno": 40, "msg": "x"}', '{"levelno":50}',
    '{"level": 50, "msg": "pino error"}', '{"level":60}', '{"severity_number": 17}',
    "<3>systemd-style error", "<11>Jan  1 00:00:00 host app: error", "<0>panic",
    "error: something failed", "Error: connect ECONNREFUSED", "E0101 12:00:00.000 1 x.cc:1] x"])
def test_error_lines_of_common_formats_count(line) -> None:
    from pytest_tower.environments.procs import is_error_line

    assert is_error_line(line)


@pytest.mark.parametrize("line", [
    "INFO:billing:0 errors so far", "[2026-01-01] [12] [INFO] Booting worker",
    'level=info msg="error handling ok"', '{"level": "info", "msg": "error"}',
    '127.0.0.1 - - "GET /errors HTTP/1.1" 200', "ErrorBoundary mounted", "[errors] none",
    "2024-01-01 12:00:00,123:INFO:app:0 errors", '{"levelno": 20, "msg": "error"}',
    '{"level": 30, "msg": "error"}', '{"level": 40}',  # pino 40 is warn
    '{"record": {"level": {"name": "INFO", "no": 20}}, "text": "error"}',
    "<6>info: no error", "<14>Jan  1 host app: errors 0", '{"log_level": "info"}',
    "errors: 0", "E2E tests started"])
def test_lines_that_only_mention_errors_do_not_count(line) -> None:
    from pytest_tower.environments.procs import is_error_line

    assert not is_error_line(line)



SAMPLE_TAIL = """
import contextlib, json, sys, types
sys.path.insert(0, sys.argv[1])
import psutil
import locust_runner

class Tree:  # a process tree whose CPU seconds and clock the test sets
    cpu = 0.0
    def children(self, recursive=False): return []
    def oneshot(self): return contextlib.nullcontext()
    def cpu_times(self): return types.SimpleNamespace(user=self.cpu, system=0.0)
    def memory_info(self): return types.SimpleNamespace(rss=1)

tree, now = Tree(), [0.0]
psutil.Process = lambda pid: tree
locust_runner.time = types.SimpleNamespace(monotonic=lambda: now[0])
sampler = locust_runner.Sampler(1)
for clock, cpu in [(1.0, 1.9), (2.0, 3.8), (2.01, 3.85)]:  # 2 cores busy; then 10 ms
    now[0], tree.cpu = clock, cpu
    sampler.sample()
print(json.dumps(sampler.summary()))
"""


def test_a_sample_close_behind_another_never_reads_above_the_cores(tmp_path) -> None:
    """CPU time moves in clock ticks: the last sample, taken a few ms after the one
    before, read 354 % for a 2-worker app on 2 cores (seen in CI). A short window joins
    the one before it: 0.05 s over 10 ms is 500 % alone, 193 % with its second."""
    from pytest_tower.checks.load.check import REQUIREMENTS, RUNNER
    from pytest_tower.checks.toolenv import tool_python
    from pytest_tower.core.model import CheckContext

    ctx = CheckContext("tests::load", REPO, {}, 900.0, REPO / ".tower" / "tmp",
                       deadline=time.monotonic() + 900.0)
    python = tool_python(ctx, "locust", REQUIREMENTS)
    run = subprocess.run([str(python), "-c", SAMPLE_TAIL, str(RUNNER.parent)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path, check=False)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout.splitlines()[-1])
    assert round(summary["cpu"]) == 193, summary
    assert round(summary["cpu_mean"]) == round(100 * 3.85 / 2.01), summary  # every second counted
