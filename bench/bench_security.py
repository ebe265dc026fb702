"""Bench: the security stage vs the same tools by hand, offline.

    .venv/bin/python bench/bench_security.py [--repeat 3]

Part 1, the whole stage on this repository: `pytest --tower -k security`
(bandit over pytest_tower/, pip-audit against the committed advisory
snapshot) vs what shell glue does — `bandit -r pytest_tower -f json` then
`pip-audit` against a loopback OSV server (started once, not timed: an
advantage for the glue).

Part 2, pip-audit alone:
Both audit the environment this Python runs in against the shared advisory
snapshot ($TOWER_ADVISORIES, else ../shared/advisories/pypi-osv-all.zip):
by hand, `pip-audit -s osv --osv-url` against a loopback OSV server this
script starts once (loading not timed); the gate, `pytest --tower -k pip-audit`
in a temporary project (its own load, server and pytest start-up all timed).
Median of --repeat interleaved runs, the ratio, and the same advisories found.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_advisories import database  # noqa: E402

from pytest_tower.checks.pip_audit.osv import load, serve  # noqa: E402

BIN = Path(sys.executable).parent
TARGET = 1.10
GATES = """\
[security.pip-audit]
advisory_db = "{db}"
conditions = ["vulnerabilities >= 0"]
"""


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, **env})
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.exit(f"{argv[0]} exited {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr}")
    return elapsed


def bench_pip_audit(repeat: int) -> None:
    path = database()
    if path is None:
        print("pip-audit: skipped: no advisory snapshot (set TOWER_ADVISORIES or provide "
              "../shared/advisories/pypi-osv-all.zip)")
        return
    with tempfile.TemporaryDirectory(prefix="bench-pip-audit-") as tmp, \
            serve(load(path)) as server:
        project = Path(tmp)
        (project / "gates.toml").write_text(GATES.format(db=path))
        hand_argv = [str(BIN / "pip-audit"), "-s", "osv", "--osv-url", server.url,
                     "-f", "json", "-o", "hand.json", "--progress-spinner", "off",
                     "--aliases", "on", "--desc", "off"]
        gate_argv = [sys.executable, "-m", "pytest", "--tower", "-p", "no:cacheprovider",
                     "-k", "pip-audit", "--tower-report", "gate.json"]
        env = {"PIPAPI_PYTHON_LOCATION": sys.executable}
        hand, gate = [], []
        for _ in range(repeat):
            hand.append(timed(hand_argv, project, env))
            gate.append(timed(gate_argv, project, {}))
        deps = json.loads((project / "hand.json").read_text())["dependencies"]
        expected = {(d["name"], v["id"]) for d in deps for v in d.get("vulns", [])}
        (check,) = json.loads((project / "gate.json").read_text())["checks"]
        if check["verdict"] != "passed":
            sys.exit(f"gate did not pass: {check['message']}")
        found = {(f["path"], f["code"]) for f in check["findings"]}
    h, g = statistics.median(hand), statistics.median(gate)
    print(f"pip-audit: {len(deps)} packages of {sys.executable}, "
          f"{check['metrics']['vulnerabilities']:.0f} advisories: {sorted(found)}")
    print(f"pip-audit by hand  median {h:6.2f}s  runs {', '.join(f'{t:.2f}' for t in hand)}")
    print(f"pytest --tower     median {g:6.2f}s  runs {', '.join(f'{t:.2f}' for t in gate)}")
    print(f"ratio gate/hand    {g / h:.2f}  (target <= {TARGET}: "
          f"{'met' if g / h <= TARGET else 'NOT met'})")
    assert found == expected, f"by hand {sorted(expected)}, gate {sorted(found)}"
    print("same advisories found: yes")


def bench_stage(repeat: int) -> None:
    snapshot = REPO / "advisories" / "pypi-osv-2024-10-10.zip"
    with tempfile.TemporaryDirectory(prefix="bench-security-") as tmp, \
            serve(load(snapshot)) as server:
        out = Path(tmp)
        bandit = [str(BIN / "bandit"), "-r", "pytest_tower", "-f", "json", "-q",
                  "-o", str(out / "bandit.json")]
        audit = [str(BIN / "pip-audit"), "-s", "osv", "--osv-url", server.url, "-f", "json",
                 "-o", str(out / "audit.json"), "--progress-spinner", "off"]
        gate = [sys.executable, "-m", "pytest", "--tower", "-p", "no:cacheprovider",
                "-p", "no:xdist", "-k", "security", f"--tower-report={out / 'gate.json'}"]
        env = {"PIPAPI_PYTHON_LOCATION": sys.executable}
        hand, ours = [], []
        for _ in range(repeat):
            hand.append(timed(bandit, REPO, {}) + timed(audit, REPO, env))
            ours.append(timed(gate, REPO, {}))
        report = json.loads((out / "gate.json").read_text())
        by_hand = json.loads((out / "bandit.json").read_text())["results"]
    checks = {c["check"]: c for c in report["checks"] if c["stage"] == "security"}
    h, g = statistics.median(hand), statistics.median(ours)
    print(f"security stage: bandit by hand {len(by_hand)} results, gate "
          f"{checks['bandit']['metrics']['findings']:.0f} findings (low+medium+high), "
          f"pip-audit {checks['pip-audit']['metrics']['packages']:.0f} packages")
    print(f"bandit + pip-audit by hand  median {h:6.2f}s  runs "
          f"{', '.join(f'{t:.2f}' for t in hand)}")
    print(f"pytest --tower -k security  median {g:6.2f}s  runs "
          f"{', '.join(f'{t:.2f}' for t in ours)}")
    print(f"ratio gate/hand    {g / h:.2f}  (target <= {TARGET}: "
          f"{'met' if g / h <= TARGET else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bench_stage(args.repeat)
    bench_pip_audit(args.repeat)


if __name__ == "__main__":
    main()
