"""The command strategy with small shell scripts that start and stop local servers."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_tower.envs import (
    DeployError,
    RollbackError,
    open_environment,
    parse_environment,
)
from pytest_tower.envs.command import mask
from tests.integration.envkit import get

SECRET = "tok-3f9a1c77e2-do-not-print"

SERVE = """
import http.server, sys
healthy = sys.argv[2] == "1"
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path != "/healthz" or healthy
        self.send_response(200 if ok else 500)
        self.end_headers()
        self.wfile.write(b"ok" if ok else b"sick")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""
# deploy.sh ARTIFACT RELEASE PORT TOKEN: replaces the running server, like an in-place deploy.
DEPLOY = """
here=$(cd "$(dirname "$0")" && pwd)
echo "deploying $2 with token $4 and $API_TOKEN"
echo "stderr sees the token too: $4" >&2
[ -f "$here/run/current.pid" ] && kill "$(cat "$here/run/current.pid")" 2>/dev/null
case "$1" in *fails*) echo "cannot deploy (token $4)" >&2; exit 3 ;; esac
case "$1" in *slow*) sleep 30 ;; esac
case "$1" in *broken*) healthy=0 ;; *) healthy=1 ;; esac
nohup "{python}" "$here/serve.py" "$3" "$healthy" > /dev/null 2>&1 &
echo $! > "$here/run/current.pid"
echo $! >> "$here/run/all.pids"
"""
# rollback.sh PREVIOUS_RELEASE PORT: brings the previous release back on its port.
ROLLBACK = """
here=$(cd "$(dirname "$0")" && pwd)
echo "rolling back to $1"
[ -f "$here/run/current.pid" ] && kill "$(cat "$here/run/current.pid")" 2>/dev/null
nohup "{python}" "$here/serve.py" "$2" 1 > /dev/null 2>&1 &
echo $! > "$here/run/current.pid"
echo $! >> "$here/run/all.pids"
"""
STOP = """
here=$(cd "$(dirname "$0")" && pwd)
kill "$(cat "$here/run/current.pid")"
"""
HEALTH = """
exec "{python}" -c "import sys, urllib.request as u; \\
u.build_opener(u.ProxyHandler({{}})).open('http://127.0.0.1:' + sys.argv[1] + '/healthz', \\
timeout=2)" "$1"
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Scripts and artifacts in tmp_path; every server the scripts started is killed after."""
    monkeypatch.setenv("TOWER_TEST_TOKEN", SECRET)
    (tmp_path / "run").mkdir()
    (tmp_path / "serve.py").write_text(SERVE)
    for name, body in (("deploy", DEPLOY), ("rollback", ROLLBACK), ("stop", STOP),
                       ("health", HEALTH)):
        script = tmp_path / f"{name}.sh"
        script.write_text("#!/bin/sh\n" + textwrap.dedent(body).replace("{python}",
                                                                          sys.executable)
                          .replace("{{}}", "{}"))
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    for name in ("app-1", "app-2", "app-broken", "app-fails", "app-slow"):
        (tmp_path / f"{name}.whl").write_bytes(name.encode())
    yield tmp_path
    pids = tmp_path / "run" / "all.pids"
    for pid in (pids.read_text().split() if pids.exists() else []):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


def make(project: Path, **options):
    table = {"strategy": "command", "health_timeout": "10s",
             "deploy": ["./deploy.sh", "{artifact}", "{release}", "{port}",
                        "{env:TOWER_TEST_TOKEN}"],
             "rollback": ["./rollback.sh", "{previous_release}", "{port}"],
             "stop": ["./stop.sh"], "env": {"API_TOKEN": "{env:TOWER_TEST_TOKEN}"},
             **options}
    env = open_environment(parse_environment("production", table), project, project / "envs")
    env.monitor_interval = 0.2
    return env


def everything_written(project: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in (project / "envs").rglob("*")
                     if p.is_file())


@pytest.mark.parametrize("health", ["/healthz", ["./health.sh", "{port}"]])
def test_deploy_health_and_stop(project, health) -> None:
    env = make(project, health=health)
    first = env.deploy(project / "app-1.whl")
    assert first.release == "r1" and first.url == f"http://127.0.0.1:{first.port}"
    assert get(first.url + "/healthz") == (200, "ok")
    assert env.current() == first
    second = env.deploy(project / "app-2.whl")
    assert env.current() == second and get(second.url + "/healthz")[0] == 200
    log = Path(second.log_path).read_text()
    assert "deploying r2 with token *** and ***" in log and SECRET not in log
    env.stop()
    assert get(second.url + "/healthz")[0] == 0
    assert set(env.metrics()) >= {"deploy_seconds", "rollback_seconds", "health_failures"}
    assert "app_errors" not in env.metrics()  # no app log to read: no figure, not a zero


def test_unhealthy_release_rolls_back_to_the_verified_one(project) -> None:
    env = make(project, health_timeout="1s")
    first = env.deploy(project / "app-1.whl")
    env.mark_verified()
    with pytest.raises(DeployError) as failed:
        env.deploy(project / "app-broken.whl")
    text = str(failed.value)
    assert "deploy of r2 failed" in text and "HTTP 500" in text
    assert "back on the verified release r1" in text
    assert get(first.url + "/healthz") == (200, "ok")
    assert env.current().release == "r1"
    env.stop()


def test_failing_or_hanging_deploy_command_is_fail_closed(project) -> None:
    env = make(project, timeout="1s")
    with pytest.raises(DeployError) as failed:
        env.deploy(project / "app-fails.whl")
    text = str(failed.value)
    assert "exited with code 3" in text and "cannot deploy (token ***)" in text
    assert "could NOT be rolled back (no release was verified yet)" in text
    with pytest.raises(DeployError, match="timed out after 1s"):
        env.deploy(project / "app-slow.whl")
    state = json.loads((env.folder / "state.json").read_text())
    assert state["current"] is None and env.current() is None
    assert [e["status"] for e in state["history"]] == ["failed", "failed"]


def test_missing_secret_variable_is_a_clear_error(project, monkeypatch) -> None:
    monkeypatch.delenv("TOWER_TEST_TOKEN")
    env = make(project)
    with pytest.raises(DeployError, match="environment variable TOWER_TEST_TOKEN is not set"):
        env.deploy(project / "app-1.whl")


def test_rollback_command_failure_is_loud(project) -> None:
    env = make(project, rollback=["./stop.sh", "{previous_release}"], health_timeout="1s")
    env.deploy(project / "app-1.whl")
    env.mark_verified()
    env.deploy(project / "app-2.whl")
    with pytest.raises(RollbackError) as failed:
        env.rollback("smoke failed")
    text = str(failed.value)
    assert "could not roll back from r2 (smoke failed)" in text
    assert "health check" in text and "STILL BE SERVING" in text


def test_secret_never_appears_in_any_output(project, capfd) -> None:
    env = make(project, health_timeout="1s")
    shown = [env.deploy(project / "app-1.whl").to_dict()]
    env.mark_verified()
    shown.append(env.deploy(project / "app-2.whl").to_dict())
    shown.append(env.rollback(f"verification failed ({SECRET} leaked in a test name)"))
    for artifact in ("app-broken.whl", "app-fails.whl"):
        with pytest.raises(DeployError) as failed:
            env.deploy(project / artifact)
        shown += [str(failed.value), repr(failed.value), failed.value.__context__]
    env.stop()
    out, err = capfd.readouterr()
    written = everything_written(project)
    assert "***" in written
    for text in (*map(str, shown), out, err, written):
        assert SECRET not in text


def test_mask_replaces_longest_secret_first() -> None:
    assert mask("a=abc-long b=abc", ["abc", "abc-long", ""]) == "a=*** b=***"
