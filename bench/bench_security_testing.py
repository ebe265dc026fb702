"""The security-testing checks vs their tools run by hand, same options, on the test app.

tests/integration/security_app.py (clean: both checks pass) runs on a free
loopback port. Each round runs, alternating which goes first:
- `pytest --tower` with one [security.api] (schemathesis) check, and `st run`
  from the same tool venv with the same options and reports;
- `pytest --tower` with one [security.dast] (wapiti) check, and `wapiti` from
  its tool venv with the same options.
Each measured run gets a freshly started app (the fuzzer creates tasks, and a
longer task list makes later runs slower). Shows the median wall seconds of
each, the check's own duration from the report, and the ratios gate/by hand
(target: <= 1.15; pytest's start-up and the report writing are in the gate's
figure) and check/by hand.

    .venv/bin/python bench/bench_security_testing.py [--rounds 3] [--max-examples 20]

The tool venvs are the ones the checks make under .tower/tools (made on first use).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from pytest_tower.checks.schemathesis.config import REQUIREMENTS as ST_REQUIREMENTS
from pytest_tower.checks.toolenv import tool_python
from pytest_tower.checks.wapiti.config import REQUIREMENTS as WAPITI_REQUIREMENTS
from pytest_tower.core.model import CheckContext

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "tests" / "integration" / "security_app.py"
PYTEST = Path(sys.executable).with_name("pytest")
KEY = "bench-key"
# As on a user's machine: bytecode cached. Where PYTHONDONTWRITEBYTECODE is set (as on
# our CI machines) every pytest start recompiles the plugin (~0.35 s), and the tools'
# own imports too: neither is what a user waits for.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["TOWER_TOOLS"] = str(ROOT / ".tower" / "tools")  # the gate's venvs are the ones timed by hand


def venv_bin(name: str, requirements: tuple[str, ...]) -> Path:
    """The bin folder of the tool venv the check uses (the same requirements hash)."""
    ctx = CheckContext("bench::x", ROOT, {}, 1200.0, ROOT / ".tower" / "tmp",
                       deadline=time.monotonic() + 1200.0)
    return tool_python(ctx, name, requirements).parent


def start_app() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, str(APP)], stdout=subprocess.PIPE, text=True,
                            env={"SECURITY_APP_KEY": KEY, "PATH": ""})
    assert proc.stdout is not None
    url = f"http://127.0.0.1:{int(proc.stdout.readline())}"
    urllib.request.urlopen(url + "/tasks", timeout=10).close()
    return proc, url


def gate(project: Path, table: str) -> tuple[float, float]:
    """(wall seconds of `pytest --tower`, the check's own duration_s)."""
    (project / "gates.toml").write_text(table)
    report = project / "report.json"
    started = time.monotonic()
    done = subprocess.run([str(PYTEST), "--tower", f"--tower-report={report}", "-q",
                           "-p", "no:cacheprovider"], cwd=project, capture_output=True,
                          text=True, check=False, env=ENV)
    wall = time.monotonic() - started
    check = json.loads(report.read_text())["checks"][0]
    if check["verdict"] != "passed":
        raise SystemExit(f"the gate did not pass: {check.get('message')}\n{done.stdout[-3000:]}")
    return wall, float(check["duration_s"])


def by_hand(argv: list[str], cwd: Path) -> float:
    shutil.rmtree(cwd, ignore_errors=True)
    cwd.mkdir(parents=True)
    started = time.monotonic()
    subprocess.run(argv, cwd=cwd, capture_output=True, check=False, env=ENV)
    return time.monotonic() - started


def tables(name: str, url: str, max_examples: int) -> str:
    if name == "wapiti":
        return f'[security.dast]\ntool = "wapiti"\nbase_url = "{url}"\n'
    return (f'[security.api]\ntool = "schemathesis"\nbase_url = "{url}"\n'
            f'headers = {{ X-Api-Key = "{KEY}" }}\nmax_examples = {max_examples}\nseed = 1\n')


def st_argv(st: Path, url: str, max_examples: int) -> list[str]:
    return [str(st), "--no-color", "run", f"{url}/openapi.json", "--url", url,
            "--checks", "all", "--workers", "1", "--max-examples", str(max_examples),
            "--seed", "1", "-H", f"X-Api-Key: {KEY}",
            "--report", "json,ndjson,junit", "--report-dir", "reports"]


def wapiti_argv(wapiti: Path, url: str) -> list[str]:
    return [str(wapiti), "-u", url + "/", "--scope", "folder", "-m",
            "http_headers,cookieflags,csp,methods", "-f", "json", "-o", "report.json",
            "--flush-session", "--store-session", "session", "--store-config", "config",
            "--no-bugreport", "-v", "1", "--max-scan-time", "300", "--dns-endpoint", "localhost"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-examples", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        # the app keeps the tasks the fuzzer creates: each measured run gets a fresh one
        proc, url = start_app()
        try:  # first use: makes the tool venvs if missing (not timed)
            for name in ("schemathesis", "wapiti"):
                gate(project, tables(name, url, args.max_examples))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        st = venv_bin("schemathesis", ST_REQUIREMENTS) / "st"
        wapiti = venv_bin("wapiti", WAPITI_REQUIREMENTS) / "wapiti"
        out = Path(tmp) / "by-hand"
        results: dict[str, dict[str, list[float]]] = {
            name: {"gate": [], "check": [], "hand": []} for name in ("schemathesis", "wapiti")}
        for number in range(args.rounds):
            for name in ("schemathesis", "wapiti"):
                order = [0, 1] if number % 2 == 0 else [1, 0]
                for which in order:
                    proc, url = start_app()
                    try:
                        if which == 0:
                            wall, own = gate(project, tables(name, url, args.max_examples))
                            results[name]["gate"].append(wall)
                            results[name]["check"].append(own)
                        else:
                            argv = (st_argv(st, url, args.max_examples) if name == "schemathesis"
                                    else wapiti_argv(wapiti, url))
                            results[name]["hand"].append(by_hand(argv, out))
                    finally:
                        proc.terminate()
                        proc.wait(timeout=10)
    print(f"{'tool':14} {'by hand s':>10} {'gate s':>8} {'check s':>8} {'gate/hand':>10} "
          f"{'check/hand':>11}  (median of {args.rounds} rounds; target gate/hand <= 1.15)")
    for name, figures in results.items():
        hand, wall, own = (statistics.median(figures[k]) for k in ("hand", "gate", "check"))
        print(f"{name:14} {hand:10.2f} {wall:8.2f} {own:8.2f} {wall / hand:10.2f} "
              f"{own / hand:11.2f}")


if __name__ == "__main__":
    main()
