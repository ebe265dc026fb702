"""SIGTERM and SIGHUP end a run like Ctrl-C: children stopped, report `interrupted`, exit 2."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

# The ruff check starts several ruff calls at once: each appends its pid (O_APPEND, one
# short line: never a torn or truncated read), and every one must be gone after the stop.
SLOW_TOOL = "#!/bin/sh\necho $$ >> child.pids\ntouch started\nexec sleep 300\n"
SLOW_TEST = """
import os, pathlib, time

def test_slow():
    with open("child.pids", "a") as pids:
        pids.write(f"{os.getpid()} ")
    pathlib.Path("started").touch()
    time.sleep(300)
"""


def _run_and_signal(root: Path, signum: int, env: dict[str, str], *args: str
                    ) -> tuple[int, str]:
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "--tower", "--tower-report=r.json",
                             "-p", "no:cacheprovider", *args], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (root / "started").exists() and proc.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (root / "started").exists(), "the child never started"
        proc.send_signal(signum)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
@pytest.mark.parametrize("child", ["tool", "child pytest", "tool on an xdist worker"])
def test_a_stop_signal_interrupts_and_leaves_no_orphan(pytester: pytest.Pytester, signum: int,
                                                      child: str, process_gone) -> None:
    root = pytester.path
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    if child.startswith("tool"):
        (root / "bin").mkdir()
        (root / "bin" / "ruff").write_text(SLOW_TOOL)
        (root / "bin" / "ruff").chmod(0o755 | stat.S_IXUSR)
        (root / "gates.toml").write_text('[lint.ruff]\npaths = ["a.py"]\n'
                                         'executable = "bin/ruff"\n')
        (root / "a.py").write_text("X = 1\n")
    else:
        (root / "slow").mkdir()
        (root / "slow" / "test_slow.py").write_text(SLOW_TEST)
        (root / "gates.toml").write_text('[unit.tests]\npaths = ["slow"]\n')
    (root / "r.json").write_text('{"verdict": "passed"}')
    rc, out = _run_and_signal(root, signum, env, *(["-n", "2"] if "xdist" in child else []))
    assert rc == pytest.ExitCode.INTERRUPTED, out
    name = signal.Signals(signum).name
    assert f"TOWER GATE INTERRUPTED: the run was stopped ({name})" in out
    assert "Traceback" not in out and "INTERNALERROR" not in out
    report = json.loads((root / "r.json").read_text())
    assert report["verdict"] == "interrupted" and report["complete"] is False
    pids = [int(line) for line in (root / "child.pids").read_text().split()]
    assert pids, out
    for pid in pids:
        assert process_gone(pid), f"{child} {pid} orphaned\n{out}"
