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

from pytest_tower.environments import (
    DeployError,
    EnvError,
    RollbackError,
    open_environment,
    parse_environment,
)
from pytest_tower.environments.command import mask, names
from pytest_tower.environments.procs import free_port
from tests.integration.envkit import get

SECRET = "tok-3f9a1c77e2-do-not-print"

SERVE = """
import http.server, sys
healthy = sys.argv[2] == "1"
release = sys.argv[3] if len(sys.argv) > 3 else "?"
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path != "/healthz" or healthy
        self.send_response(200 if ok else 500)
        self.end_headers()
        if self.path == "/version":
            self.wfile.write(f"release {release}".encode())
        else:
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
nohup "{python}" "$here/serve.py" "$3" "$healthy" "$2" > /dev/null 2>&1 &
echo $! > "$here/run/current.pid"
echo $! >> "$here/run/all.pids"
"""
# rollback.sh PREVIOUS_RELEASE PORT: brings the previous release back on its port.
ROLLBACK = """
here=$(cd "$(dirname "$0")" && pwd)
echo "rolling back to $1"
[ -f "$here/run/current.pid" ] && kill "$(cat "$here/run/current.pid")" 2>/dev/null
nohup "{python}" "$here/serve.py" "$2" 1 "$1" > /dev/null 2>&1 &
echo $! > "$here/run/current.pid"
echo $! >> "$here/run/all.pids"
"""
STOP = """
here=$(cd "$(dirname "$0")" && pwd)
kill "$(cat "$here/run/current.pid")"
"""
# sticky.sh RELEASE PORT: starts the release beside whatever holds the port (it then
# dies silently: the old release keeps answering), and exits 0 like many deploy scripts.
STICKY = """
here=$(cd "$(dirname "$0")" && pwd)
nohup "{python}" "$here/serve.py" "$2" 1 "$1" > /dev/null 2>&1 &
echo $! >> "$here/run/all.pids"
sleep 0.3
"""
PRETEND = """
echo "rolling back to $1 (pretend)"
"""
WHOAMI = """
exec "{python}" -c "import sys, urllib.request as u; \
print(u.build_opener(u.ProxyHandler({{}})).open('http://127.0.0.1:' + sys.argv[1] + \
'/version', timeout=2).read().decode())" "$1"
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
                       ("health", HEALTH), ("sticky", STICKY), ("pretend", PRETEND),
                       ("whoami", WHOAMI)):
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


def sticky(project: Path, port: int = 0, **options):
    """Deploys that never replace what holds the port, at one fixed url (F14)."""
    port = port or free_port()
    return make(project, deploy=["./sticky.sh", "{release}", str(port)],
                rollback=["./pretend.sh", "{previous_release}"],
                url=f"http://127.0.0.1:{port}", health_timeout="2s", **options)


def test_without_release_check_a_deploy_is_not_called_confirmed(project) -> None:
    """Health only shows that something answers: r1 still serves after "deploying" r2."""
    env = sticky(project)
    first = env.deploy(project / "app-1.whl")
    env.mark_verified()
    second = env.deploy(project / "app-2.whl")
    assert get(second.url + "/version") == (200, "release r1")
    assert not first.confirmed and not second.confirmed
    result = env.rollback("smoke failed")
    assert not result.confirmed
    assert "not verified by the target: set release_check" in result.message


@pytest.mark.parametrize("kind", ["url", "command"])
def test_release_check_refuses_a_deploy_another_release_answers_for(project, kind) -> None:
    port = free_port()
    env = sticky(project, port, release_check="/version" if kind == "url" else [
        "./whoami.sh", str(port)])
    first = env.deploy(project / "app-1.whl")
    assert first.confirmed
    env.mark_verified()
    with pytest.raises(DeployError) as failed:
        env.deploy(project / "app-2.whl")
    text = str(failed.value)
    assert "deploy of r2 failed" in text and "does not name 'r2'" in text
    assert "'release r1'" in text and "another release is serving" in text
    # the pretend rollback "brings back" r1, which is what answers: confirmed, honestly
    assert "back on the verified release r1" in text
    assert env.current().release == "r1"


def test_release_check_refuses_a_rollback_that_changed_nothing(project) -> None:
    port = str(free_port())  # one url: the deploy replaces the server in place
    env = make(project, release_check="/version", rollback=["./pretend.sh", "{previous_release}"],
               deploy=["./deploy.sh", "{artifact}", "{release}", port, "x"],
               url=f"http://127.0.0.1:{port}", health_timeout="1s")
    env.deploy(project / "app-1.whl")
    env.mark_verified()
    env.deploy(project / "app-2.whl")
    with pytest.raises(RollbackError) as failed:
        env.rollback("smoke failed")
    text = str(failed.value)
    assert "does not name 'r1'" in text and "'release r2'" in text
    assert "r2 may STILL BE SERVING" in text
    assert json.loads((env.folder / "state.json").read_text())["current"] == "r2"
    env.stop()


def test_release_check_confirms_a_real_rollback_and_guards_verification(project) -> None:
    env = make(project, release_check="/version")
    env.deploy(project / "app-1.whl")
    env.mark_verified()
    second = env.deploy(project / "app-2.whl")
    result = env.rollback("smoke failed")
    assert result.confirmed and result.message.endswith(": smoke failed")
    assert "not verified" not in result.message
    # r1 serves again, so r2 cannot be marked verified whatever its checks said
    state = json.loads((env.folder / "state.json").read_text())
    state["current"] = second.release
    (env.folder / "state.json").write_text(json.dumps(state))
    with pytest.raises(EnvError, match=r"r2 passed its checks but release_check /version does "
                       r"not name 'r2'.*NOT marked verified"):
        env.mark_verified()
    env.stop()


def test_release_expect_may_name_the_version_instead() -> None:
    assert names("release r2\n", "r2") and names('{"release": "r2"}', "r2")
    assert not names("release r21", "r2") and not names("r2.5", "r2")
    assert not names("build-r2", "r2") and names("version 1.4.0.", "1.4.0")
    assert not names("1.4.0rc1", "1.4.0") and not names("1.4.0.1", "1.4.0")


GATE_PROJECT = {
    "pyproject.toml": '[build-system]\nrequires = ["hatchling"]\nbuild-backend = '
                      '"hatchling.build"\n[project]\nname = "envapp"\nversion = "0.1"\n',
    "envapp/__init__.py": "app = None\n",
}


def gate_project(pytester: pytest.Pytester, project: Path) -> None:
    """The envapp project and the fixture's scripts, in pytester's folder."""
    for name, text in GATE_PROJECT.items():
        (pytester.path / name).parent.mkdir(parents=True, exist_ok=True)
        (pytester.path / name).write_text(text)
    for script in ("deploy.sh", "stop.sh", "serve.py"):
        (pytester.path / script).write_text((project / script).read_text())
        (pytester.path / script).chmod(0o755)
    (pytester.path / "run").mkdir()


def kill_started(folder: Path) -> None:
    pids = folder / "run" / "all.pids"
    for pid in (pids.read_text().split() if pids.exists() else []):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


@pytest.mark.parametrize("release_check", [False, True])
def test_the_gate_says_whether_the_target_confirmed_the_release(
        pytester: pytest.Pytester, project: Path, release_check: bool) -> None:
    """Without release_check the report never claims more than "health ok" (F14)."""
    gate_project(pytester, project)
    port = free_port()
    (pytester.path / "gates.toml").write_text(textwrap.dedent(f"""\
        [build.package]
        isolated = false

        [environments.staging]
        strategy = "command"
        deploy = ["./deploy.sh", "{{artifact}}", "{{release}}", "{port}", "x"]
        stop = ["./stop.sh"]
        url = "http://127.0.0.1:{port}"
        {'release_check = "/version"' if release_check else ''}

        [smoke.files]
        required = ["pyproject.toml"]
        environment = "staging"
        """))
    try:
        result = pytester.runpytest("--tower", "--tower-report=r.json")
    finally:
        kill_started(pytester.path)
    out = result.stdout.str()
    assert result.ret == 0, out
    unconfirmed = "(health ok; the release was not verified by the target: set release_check)"
    staging = json.loads((pytester.path / "r.json").read_text())["environments"][0]
    assert staging["confirmed"] is release_check
    if release_check:
        assert "staging: deployed r1\n" in out and "staging: verified r1\n" in out
        assert unconfirmed not in out
    else:
        assert f"staging: deployed r1 {unconfirmed}" in out
        assert f"staging: verified r1 {unconfirmed}" in out


@pytest.mark.parametrize(("security", "xdist"), [("pyproject.toml", False),
                                                  ("pyproject.toml", True),
                                                  ("SECURITY.md", False)])
def test_production_waits_for_every_gate_even_later_in_the_file(
        pytester: pytest.Pytester, project: Path, security: str, xdist: bool) -> None:
    """Production's check stands before [security.files] in the file: it runs after it,
    and production is deployed only if it passed (F4)."""
    gate_project(pytester, project)
    port = free_port()
    (pytester.path / "gates.toml").write_text(textwrap.dedent(f"""\
        [build.package]
        isolated = false

        [environments.production]
        strategy = "command"
        deploy = ["./deploy.sh", "{{artifact}}", "{{release}}", "{port}", "x"]
        url = "http://127.0.0.1:{port}"
        release_check = "/version"

        [release.smoke]
        tool = "files"
        required = ["pyproject.toml"]
        environment = "production"

        [security.files]
        required = ["{security}"]
        """))
    try:
        result = pytester.runpytest("--tower", "--tower-promote", "--tower-report=r.json",
                                    *(["-n", "2"] if xdist else []))
    finally:
        kill_started(pytester.path)
    out = result.stdout.str()
    checks = json.loads((pytester.path / "r.json").read_text())["checks"]
    verdicts = {c["id"].split("::", 1)[1]: c["verdict"] for c in checks}
    if security == "SECURITY.md":
        assert result.ret == 1 and verdicts["release::smoke"] == "blocked"
        assert ("production: not deployed: security::files did not pass (failed); production "
                "is only deployed when every other gate passed") in out
        assert not (pytester.path / "run" / "all.pids").exists()  # deploy.sh never ran
    else:
        assert result.ret == 0, out
        assert "production: deployed r1\n" in out and "production: verified r1\n" in out
        if not xdist:
            assert out.index("security::files") < out.index("release::smoke")
