"""The full demo gate under `pytest --tower -n 2`: how close to its longest check it ends.

With two workers, the best a gate of many checks can do is end when its
longest chain of checks ends. Before the history knows any duration, gates
are dealt in file order; once it does, longest (critical path) first. This
runs the demo (a copy of examples/tasktower, so its own .tower is untouched):
- round 0 with an empty history: "before";
- then `--rounds` runs, each with the history the earlier ones wrote: "after".
For each it prints the wall seconds, the longest single check's duration_s
from the report, their ratio, and the longest `needs` chain. A serial run
(`pytest --tower`, no -n) is the reference.

    .venv/bin/python bench/bench_gate_order.py [--rounds 3]

The demo's tool venvs (locust, schemathesis, wapiti, pages) come from
.tower/tools (TOWER_TOOLS), made on first use; run once before timing.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "tasktower"
PYTEST = Path(sys.executable).with_name("pytest")
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["TOWER_TOOLS"] = str(ROOT / ".tower" / "tools")


def run(project: Path, *args: str) -> tuple[float, dict[str, Any]]:
    report = project / "bench-report.json"
    report.unlink(missing_ok=True)
    started = time.monotonic()
    done = subprocess.run([str(PYTEST), "--tower", f"--tower-report={report}", "-q",
                           "-p", "no:cacheprovider", *args], cwd=project,
                          capture_output=True, text=True, check=False, env=ENV)
    wall = time.monotonic() - started
    data = json.loads(report.read_text())
    if data["verdict"] != "passed":
        raise SystemExit(f"the demo gate did not pass ({data['verdict']}):\n"
                         f"{done.stdout[-4000:]}")
    return wall, data


def longest(data: dict[str, Any]) -> tuple[str, float]:
    check = max(data["checks"], key=lambda c: c.get("duration_s") or 0.0)
    return check["id"], float(check["duration_s"])


def line(label: str, wall: float, data: dict[str, Any]) -> str:
    name, seconds = longest(data)
    total = sum(c.get("duration_s") or 0.0 for c in data["checks"])
    return (f"{label:<22} wall {wall:6.1f} s  longest {name} {seconds:5.1f} s  "
            f"ratio {wall / seconds:4.2f}  sum of checks {total:6.1f} s  "
            f"load {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tower-order-") as tmp:
        project = Path(tmp) / "examples" / "tasktower"  # its gates.toml reads ../../advisories
        (Path(tmp) / "advisories").symlink_to(ROOT / "advisories")
        shutil.copytree(DEMO, project, ignore=shutil.ignore_patterns(".tower", "__pycache__",
                                                                      "reports"))
        wall, data = run(project)
        print(line("serial (reference)", wall, data))
        shutil.rmtree(project / ".tower")  # the serial run's history must not help "before"
        wall, data = run(project, "-n", "2")
        print(line("-n 2, empty history", wall, data))
        before = wall / longest(data)[1]
        afters = []
        for i in range(args.rounds):
            wall, data = run(project, "-n", "2")
            afters.append(wall / longest(data)[1])
            print(line(f"-n 2, history run {i + 1}", wall, data))
        print(f"ratio wall / longest check: before {before:.2f}, after (median) "
              f"{statistics.median(afters):.2f}")


if __name__ == "__main__":
    main()
