"""Rollback on demand and deployment status: `pytest --tower-rollback ENV`, `--tower-status`.

Releases are deployed with the strategies themselves (the real demo under
gunicorn on 127.0.0.1, or shell scripts starting a stdlib server); the
rollback and the status are real `pytest` runs in a child process, as a
person would type them. One test goes through the gate end to end.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from pytest_tower.environments import open_environment, parse_environment
from pytest_tower.history.store import read_history
from tests.integration.envkit import build_variants, get, kill_recorded, marked_processes
from tests.integration.faults.rollback import ROLLBACK_FAULTS, RollbackFault

STAGING = """\
[tower]
report = "r.json"

[environments.staging]
command = "gunicorn --no-control-socket --bind {host}:{port} --workers 1 tasktower.app:app"
env = { TASKTOWER_DB = "{state}/tasks.db" }
health = "/healthz"
health_timeout = "30s"
stop_timeout = "2s"
"""


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    return build_variants(tmp_path_factory.mktemp("wheels"), {"good": "", "bad": "boom"})


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch) -> pytest.Pytester:
    monkeypatch.setenv("GITHUB_ACTOR", "octo-oncall")
    (pytester.path / "gates.toml").write_text(STAGING)
    yield pytester
    kill_recorded(pytester.path / ".tower" / "envs" / "staging")


def environment(root: Path, name: str = "staging"):
    table = tomllib.loads((root / "gates.toml").read_text())["environments"][name]
    return open_environment(parse_environment(name, table), root, root / ".tower" / "envs")


def release(root: Path, wheel: Path) -> str:
    """Deploy and verify `wheel`, as a passing gate would; the release keeps serving."""
    env = environment(root)
    deployment = env.deploy(wheel)
    env.mark_verified()
    env.leave_serving()
    return deployment.release


def state(root: Path, name: str = "staging") -> dict:
    return json.loads((root / ".tower" / "envs" / name / "state.json").read_text())


def entry(data: dict, release: str) -> dict:
    return next(e for e in data["history"] if e["release"] == release)


def serves_version(url: str) -> str:
    status, body = get(url + "/healthz")
    assert status == 200, (status, body)
    return str(json.loads(body)["version"])


def test_rollback_after_a_good_and_a_bad_release_serves_the_good_one(project, wheels,
                                                                     read_report) -> None:
    root = project.path
    folder = root / ".tower" / "envs" / "staging"
    assert release(root, wheels["good"]) == "r1"
    assert release(root, wheels["bad"]) == "r2"  # passed its gate; a person finds it bad
    assert serves_version(state(root)["history"][-1]["url"]) == "0.1.1"

    status = project.runpytest_subprocess("--tower-status", "staging")
    out = status.stdout.str()
    assert status.ret == 0, out
    assert "current:  r2    verified" in out and "previous: r1    verified" in out
    assert "by octo-oncall (pid " in out

    result = project.runpytest_subprocess("--tower-rollback", "staging", "--tower-reason",
                                          "r2 loses tasks")
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == 0, out
    assert "staging rolled back from r2 to r1" in out and "health check ok" in out
    data = state(root)
    assert (data["current"], data["verified"]) == ("r1", "r1")
    assert entry(data, "r2")["status"] == "rolled-back"
    assert entry(data, "r2")["rolled_back"]["by"] == "octo-oncall"
    assert "r2 loses tasks" in entry(data, "r2")["reason"]
    assert serves_version(entry(data, "r1")["url"]) == "0.1.0"  # the good one serves again
    assert marked_processes(folder, "r2") == []  # the bad one was stopped
    assert entry(data, "r1")["pid"] in marked_processes(folder, "r1")  # gunicorn's master

    report = read_report(root / "r.json")
    assert report["verdict"] == "rolled-back"
    rollback = report["rollback"]
    assert (rollback["from_release"], rollback["to_release"]) == ("r2", "r1")
    assert (rollback["who"], rollback["reason"], rollback["done"]) == (
        "octo-oncall", "r2 loses tasks", True)
    history = read_history(root / ".tower" / "history.jsonl")
    assert list(history) == [] and not history.skipped  # an event is never taken for a run
    assert [(e["event"], e["from_release"], e["to_release"]) for e in history.events] == [
        ("rollback", "r2", "r1")]

    # Further back only to verified releases: r1 is the first, and r2 was rolled back.
    again = project.runpytest_subprocess("--tower-rollback", "staging", "--tower-reason", "x")
    assert again.ret == 1 and "there is no verified release before r1" in again.stderr.str()
    named = project.runpytest_subprocess("--tower-rollback", "staging=r2", "--tower-reason", "x")
    assert named.ret == 1 and "r2 is 'rolled-back', not a verified release" in (
        named.stderr.str())
    assert "Traceback" not in again.stderr.str() + named.stderr.str()
    assert state(root)["current"] == "r1"
    assert read_report(root / "r.json")["verdict"] == "error"

    # A later deploy goes on as usual: r3 replaces the restored r1.
    assert release(root, wheels["good"]) == "r3"
    assert marked_processes(folder, "r1") == []
    assert state(root)["current"] == "r3"


def test_through_the_gate_rollback_then_the_next_gate_deploys(demo, write_gates,
                                                              read_report) -> None:
    """staging stops at the end of each gate run: the rollback starts r1 again, and
    the next `pytest --tower` replaces it as with any release."""
    write_gates(demo)
    for _ in range(2):
        assert demo.runpytest_subprocess("--tower").ret == pytest.ExitCode.OK
    folder = demo.path / ".tower" / "envs" / "staging"
    assert marked_processes(folder, "r2") == []  # nothing serves between runs
    result = demo.runpytest_subprocess("--tower-rollback", "staging", "--tower-reason", "why")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    data = state(demo.path)
    r1 = entry(data, "r1")
    assert data["current"] == "r1" and get(r1["url"] + "/healthz")[0] == 200
    assert r1["pid"] in marked_processes(folder, "r1")
    gate = demo.runpytest_subprocess("--tower", "--tower-report=r.json")
    assert gate.ret == pytest.ExitCode.OK, gate.stdout.str()
    data = state(demo.path)
    assert (data["current"], data["verified"]) == ("r3", "r3")
    assert marked_processes(folder, "r1") == []  # the restored release was replaced
    history = read_history(demo.path / ".tower" / "history.jsonl")
    assert len(history) == 3 and [e["to_release"] for e in history.events] == ["r1"]
    # A failing gate rolls back to r3 (the gate's own rollback), not to the older r1.
    write_gates(demo, bad=1)
    assert demo.runpytest_subprocess("--tower").ret == pytest.ExitCode.TESTS_FAILED
    assert state(demo.path)["current"] == "r3"


SERVE = """
import http.server, sys
release = sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(f"release {release}".encode() if self.path == "/version" else b"ok")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""
# deploy.sh RELEASE PORT and rollback.sh RELEASE PORT: replace the running server.
SWITCH = """#!/bin/sh
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$here/run/current.pid" ] && kill "$(cat "$here/run/current.pid")" 2>/dev/null
echo "$(basename "$0") $1" >> "$here/run/calls"
nohup "{python}" "$here/serve.py" "$2" "$1" > /dev/null 2>&1 &
echo $! > "$here/run/current.pid"
echo $! >> "$here/run/all.pids"
"""
COMMAND = """\
[environments.staging]
strategy = "command"
deploy = ["./deploy.sh", "{release}", "{port}"]
rollback = ["./rollback.sh", "{previous_release}", "{port}"]
url = "http://127.0.0.1:{port}"
health = "/healthz"
release_check = "/version"
health_timeout = "10s"
"""


@pytest.fixture
def scripts(pytester: pytest.Pytester, monkeypatch) -> pytest.Pytester:
    monkeypatch.setenv("GITHUB_ACTOR", "octo-oncall")
    root = pytester.path
    (root / "run").mkdir()
    (root / "serve.py").write_text(SERVE)
    for name in ("deploy", "rollback"):
        path = root / f"{name}.sh"
        path.write_text(SWITCH.replace("{python}", sys.executable))
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    (root / "app.whl").write_bytes(b"app")
    (root / "gates.toml").write_text(COMMAND)
    yield pytester
    pids = root / "run" / "all.pids"
    for pid in (pids.read_text().split() if pids.exists() else []):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), 9)


def test_command_strategy_runs_its_rollback_command(scripts, read_report) -> None:
    root = scripts.path
    for expected in ("r1", "r2"):
        env = environment(root)
        assert env.deploy(root / "app.whl").release == expected
        env.mark_verified()
        env.leave_serving()
    status = scripts.runpytest_subprocess("--tower-status")  # every environment
    assert status.ret == 0 and "staging (command)" in status.stdout.str()
    result = scripts.runpytest_subprocess("--tower-rollback", "staging", "--tower-reason",
                                          "bad r2", "--tower-report", "out/rb.json")
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == 0, out
    assert (root / "run" / "calls").read_text().split("\n")[-2] == "rollback.sh r1"
    data = state(root)
    assert data["current"] == "r1" and entry(data, "r2")["status"] == "rolled-back"
    assert get(entry(data, "r1")["url"] + "/version") == (200, "release r1")
    rollback = read_report(root / "out" / "rb.json")["rollback"]
    assert rollback["done"] and rollback["strategy"] == "command"
    assert rollback["health"].startswith("ok: release_check names r1")


@pytest.mark.parametrize("case", ROLLBACK_FAULTS, ids=[c.id for c in ROLLBACK_FAULTS])
def test_rollback_fault(case: RollbackFault, pytester: pytest.Pytester, read_report) -> None:
    root = pytester.path
    (root / "gates.toml").write_text(textwrap.dedent(case.gates))
    if case.setup is not None:
        case.setup(root)
    lock = None
    if case.hold_lock:
        path = root / ".tower" / "envs" / "staging" / "lock"
        lock = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.write(lock, b"pid 4242 since 2026-01-01T00:00:00+00:00")
    try:
        result = pytester.runpytest_subprocess("--tower-rollback", case.target, *case.args,
                                               timeout=60)
    finally:
        if lock is not None:
            os.close(lock)
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == case.rc, out
    assert case.expect in out, out
    assert "Traceback" not in out and "INTERNALERROR" not in out, out
    if case.current_after is not None:
        assert state(root)["current"] == case.current_after
    if case.rc == 1 and (root / "r.json").exists():
        assert read_report(root / "r.json")["verdict"] != "passed"
    report = root / ".tower" / "rollback-report.json"
    if report.exists():
        assert read_report(report)["verdict"] == "error"
        assert not read_report(report)["rollback"]["done"]
