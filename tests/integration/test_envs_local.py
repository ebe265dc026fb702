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

from pytest_tower.envs import (
    DeployError,
    Deployment,
    EnvLockedError,
    RollbackError,
    open_environment,
    parse_environment,
)
from tests.integration.envkit import (
    COMMAND,
    build_variants,
    get,
    gone,
    kill_recorded,
    marked_processes,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory):
    return build_variants(tmp_path_factory.mktemp("wheels"), {
        "good": "", "boom": "boom", "crash": "crash", "sick": "sick", "slow": "slow"})


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
    assert env.healthy()
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
    assert not env.healthy()
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
    assert str(result) == "staging rolled back from r2 to r1: integration.tests failed"
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
    assert result.to_release is None and "kept r2" in str(result)
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


DRIVER = """
import json, sys
from pathlib import Path
from pytest_tower.envs import open_environment, parse_environment
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
