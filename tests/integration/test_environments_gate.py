"""Environments through the gate: build, deploy once, verify, roll back, promote.

The demo app (examples/tasktower) is built into a wheel and deployed with
gunicorn on 127.0.0.1; a small check type probes the deployed URL over HTTP. The `demo`
project and its `write_gates`/`probes` fixtures live in tests/integration/conftest.py
(test_selection uses them too).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest


def gone(pid: int) -> bool:
    for _ in range(100):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_deploy_verify_and_stop(demo, write_gates, probes, read_report) -> None:
    log = write_gates(demo)
    result = demo.runpytest_subprocess("--tower", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    report = read_report(demo.path / "r.json")
    staging = next(e for e in report["environments"] if e["env"] == "staging")
    assert [e["status"] for e in staging["events"]] == ["deployed", "verified"]
    assert staging["metrics"]["app_errors"] == 0
    runs = probes(log)
    assert {r["check"] for r in runs} == {"smoke::health", "smoke::tasks"}
    assert len({r["release"] for r in runs}) == 1
    verdicts = {c["id"].split("::", 1)[1]: c["verdict"] for c in report["checks"]}
    assert verdicts["environments::staging"] == "passed"
    assert verdicts["release::smoke"] == "skipped"  # production untouched without the flag
    assert "production: not deployed: production is only touched with --tower-promote" in (
        result.stdout.str())
    state = json.loads((demo.path / ".tower/envs/staging/state.json").read_text())
    assert gone(state["history"][-1]["pid"])  # staging stopped at the end of the run
    assert not (demo.path / ".tower/envs/production").exists()


def test_a_failing_check_rolls_staging_back_to_the_verified_release(demo, write_gates, probes,
                                                                    read_report) -> None:
    write_gates(demo)
    assert demo.runpytest_subprocess("--tower").ret == pytest.ExitCode.OK
    log = write_gates(demo, bad=1)
    result = demo.runpytest_subprocess("--tower", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    assert "staging rolled back from r2 to r1: smoke.tasks failed" in out
    report = read_report(demo.path / "r.json")
    staging = next(e for e in report["environments"] if e["env"] == "staging")
    assert [e["status"] for e in staging["events"]] == ["deployed", "rolled-back"]
    assert {r["release"] for r in probes(log)} == {"r1", "r2"}


def test_deployed_once_under_xdist(demo, write_gates, probes, read_report) -> None:
    log = write_gates(demo)
    result = demo.runpytest_subprocess("--tower", "-n", "2", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    report = read_report(demo.path / "r.json")
    staging = next(e for e in report["environments"] if e["env"] == "staging")
    assert [e["status"] for e in staging["events"]] == ["deployed", "verified"]
    assert len({r["release"] for r in probes(log)}) == 1
    assert len(list((demo.path / ".tower/envs/staging/releases").iterdir())) == 1


def test_promote_deploys_production_after_every_gate_held(demo, write_gates, probes,
                                                          stop_everything, read_report) -> None:
    log = write_gates(demo)
    result = demo.runpytest_subprocess("--tower", "--tower-promote", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    report = read_report(demo.path / "r.json")
    production = next(e for e in report["environments"] if e["env"] == "production")
    assert [e["status"] for e in production["events"]] == ["deployed", "verified"]
    assert "release::smoke" in {r["check"] for r in probes(log)}
    artifacts = {e["env"]: e for e in report["environments"]}
    assert artifacts["staging"]["release"] == "r1" and production["release"] == "r1"
    stop_everything(demo.path)


def test_a_failed_gate_keeps_production_untouched(demo, write_gates, read_report) -> None:
    write_gates(demo, bad=1)
    result = demo.runpytest_subprocess("--tower", "--tower-promote", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = read_report(demo.path / "r.json")
    verdicts = {c["id"].split("::", 1)[1]: c["verdict"] for c in report["checks"]}
    assert verdicts["release::smoke"] == "blocked"
    assert not (demo.path / ".tower/envs/production/releases").exists()


SLOW_GATES = """
[build.package]
isolated = false

[environments.staging]
command = ["python", "-c", "import pathlib, time; pathlib.Path('booting').touch(); time.sleep(300)"]
health_timeout = "120s"

[smoke.health]
tool = "probe"
environment = "staging"
log = "{log}"
"""


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_signal_mid_deploy_leaves_no_orphan(demo, sig) -> None:
    import signal
    import subprocess
    import sys

    from tests.integration.envkit import marked_processes

    (demo.path / "gates.toml").write_text(SLOW_GATES.format(log=demo.path / "probes.jsonl"))
    run = subprocess.Popen([sys.executable, "-m", "pytest", "--tower", "-p", "no:cacheprovider"],
                           cwd=demo.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    state = demo.path / ".tower" / "envs" / "staging"
    try:
        booting = state / "releases" / "1" / "booting"
        deadline = time.monotonic() + 120
        while not booting.exists() and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.05)
        assert booting.exists(), "the release never started"
        assert marked_processes(state, "r1"), "the half-started release should be running now"
        run.send_signal(getattr(signal, sig))
        out, _ = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == pytest.ExitCode.INTERRUPTED, out
    assert marked_processes(state, "r1") == [], out  # the half-started release was stopped
    recorded = json.loads((state / "state.json").read_text())
    assert recorded.get("current") is None  # nothing half-deployed became current
