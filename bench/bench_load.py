"""The load gate vs locust by hand: same locustfile, users and duration against the demo.

Task Tower runs under gunicorn (2 workers) on a free loopback port. Each round
runs `pytest --tower` with a [performance.load] check, then
`locust --headless` from the same tool venv, alternating which goes first.
Shows rps and p95 of both (the CLI's from its final printed tables), their
difference, and the gate's wall-time overhead (gate wall time minus the
CLI's). Targets: rps within 5%, p95 within 10%.

    .venv/bin/python bench/bench_load.py [--users 50] [--duration 20] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "tasktower"
PYTEST = Path(sys.executable).with_name("pytest")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_demo(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "gunicorn", "--no-control-socket", "--workers", "2",
            "--bind", f"127.0.0.1:{port}", "--env", f"TASKTOWER_DB={folder / 'tasks.db'}",
            "tasktower.app:app"]
    proc = subprocess.Popen(argv, cwd=DEMO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1).close()
            return proc, url
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the demo did not start")


def run_gate(project: Path, url: str, users: int, duration: int) -> dict:
    (project / "gates.toml").write_text(
        f'[performance.load]\nhost = "{url}"\nlocustfile = "locustfile.py"\n'
        f'users = {users}\nspawn_rate = {users}\nduration = "{duration}s"\n'
        'conditions = ["failure_ratio < 1%"]\n')
    report = project / "report.json"
    started = time.monotonic()
    subprocess.run([str(PYTEST), "--tower", f"--tower-report={report}", "-q",
                    "-p", "no:cacheprovider"], cwd=project, capture_output=True, check=False)
    wall = time.monotonic() - started
    check = json.loads(report.read_text())["checks"][0]
    if check["verdict"] != "passed":
        raise SystemExit(f"the gate did not pass: {check['message']}")
    return {"rps": check["metrics"]["rps"], "p95": check["metrics"]["p95"], "wall": wall}


def run_cli(project: Path, url: str, users: int, duration: int) -> dict:
    locust = next((ROOT / ".tower" / "tools").glob("locust-*/bin/locust"))
    argv = [str(locust), "-f", "locustfile.py", "--headless", "-u", str(users),
            "-r", str(users), "-t", f"{duration}s", "--host", url, "--only-summary"]
    started = time.monotonic()
    out = subprocess.run(argv, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, check=False).stdout  # the final tables go to stderr
    wall = time.monotonic() - started
    rows = [line.split() for line in out.splitlines() if line.split()[:1] == ["Aggregated"]]
    stats, percentiles = rows[0], rows[1]  # the request table, then the percentile table
    return {"rps": float(stats[-2]), "p95": float(percentiles[6]), "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "locustfile.py").write_text((DEMO / "locustfile.py").read_text())
        (project / ".tower").mkdir()
        (project / ".tower" / "tools").symlink_to(ROOT / ".tower" / "tools")
        print(f"users {args.users}, duration {args.duration}s; a fresh demo (empty "
              "database) for every run, since GET /tasks slows as tasks pile up")
        print(f"{'round':>5} {'who':>5} {'rps':>8} {'p95 ms':>7} {'wall s':>7}")
        for n in range(args.rounds):
            order = [("gate", run_gate), ("cli", run_cli)]
            results = {}
            for who, fn in order if n % 2 == 0 else order[::-1]:
                folder = project / f"run-{n}-{who}"
                folder.mkdir()
                demo, url = start_demo(folder)
                try:
                    results[who] = r = fn(project, url, args.users, args.duration)
                finally:
                    os.killpg(demo.pid, signal.SIGTERM)
                    demo.wait(timeout=15)
                print(f"{n:>5} {who:>5} {r['rps']:>8.1f} {r['p95']:>7.0f} {r['wall']:>7.2f}")
            g, c = results["gate"], results["cli"]
            print(f"      diff  rps {100 * (g['rps'] / c['rps'] - 1):+.1f}%  "
                  f"p95 {100 * (g['p95'] / c['p95'] - 1):+.1f}%  "
                  f"gate overhead {g['wall'] - c['wall']:+.2f}s "
                  f"(gate wall - duration {g['wall'] - args.duration:.2f}s)")

if __name__ == "__main__":
    main()
