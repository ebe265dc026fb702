"""Bench: bandit by hand (one process) vs the gate's sharded run, same tree.

    .venv/bin/python bench/bench_bandit.py [--tree DIR] [--files 500] [--repeat 3]

Without --tree, copies the first N modules of this Python's standard library
(real code, deterministic for a given Python) into a temporary project. Times
`bandit -r src -f json` and `pytest --tower -k security` (median of --repeat,
interleaved), prints the ratio and asserts both found the identical findings.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
SKIP_DIRS = {"test", "tests", "idle_test", "site-packages", "venv", "__pycache__", "lib2to3"}
TARGET = 0.65
GATES = """\
[security.bandit]
paths = ["src"]
conditions = ["findings >= 0", "errors >= 0"]
"""


def stdlib_tree(dest: Path, count: int) -> None:
    """Copy `count` stdlib modules (sorted, test folders skipped) into dest."""
    lib = Path(sysconfig.get_paths()["stdlib"])
    picked: list[Path] = []
    for folder, dirs, names in os.walk(lib):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        picked += [Path(folder) / n for n in sorted(names) if n.endswith(".py")]
    for src in sorted(picked)[:count]:
        target = dest / src.relative_to(lib)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)


def timed(argv: list[str], cwd: Path, cpu: list[float]) -> float:
    """Wall time of one run; its CPU time (with all its children) goes to `cpu`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    if proc.returncode not in (0, 1):
        sys.exit(f"{argv[0]} exited {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr}")
    return elapsed


def by_hand_findings(report: Path) -> tuple[set[tuple[object, ...]], int]:
    data = json.loads(report.read_text())
    found = {(os.path.normpath(r["filename"]), r["line_number"], r["test_id"],
              f"{r['issue_severity']}/{r['issue_confidence']}") for r in data["results"]}
    return found, len(data["errors"])


def gate_findings(report: Path) -> tuple[set[tuple[object, ...]], int, dict[str, object]]:
    (check,) = json.loads(report.read_text())["checks"]
    if check["verdict"] != "passed":
        sys.exit(f"gate did not pass: {check['message']}")
    found = {(f["path"], f["line"], f["code"], f["severity"]) for f in check["findings"]
             if f["code"] != "ERROR"}
    return found, int(check["metrics"]["errors"]), check


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="a folder of Python files to scan")
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-bandit-") as tmp:
        project = Path(tmp)
        if args.tree:
            shutil.copytree(args.tree, project / "src")
        else:
            stdlib_tree(project / "src", args.files)
        (project / "gates.toml").write_text(GATES)
        files = sum(1 for _ in (project / "src").rglob("*.py"))
        hand_argv = [str(BIN / "bandit"), "-r", "src", "-f", "json", "-q", "-o", "hand.json"]
        gate_argv = [sys.executable, "-m", "pytest", "--tower", "-p", "no:cacheprovider",
                     "-k", "security", "--tower-report", "gate.json"]
        hand, gate, hand_cpu, gate_cpu = [], [], [], []
        for _ in range(args.repeat):
            hand.append(timed(hand_argv, project, hand_cpu))
            gate.append(timed(gate_argv, project, gate_cpu))
        expected, hand_errors = by_hand_findings(project / "hand.json")
        found, gate_errors, check = gate_findings(project / "gate.json")
        h, g = statistics.median(hand), statistics.median(gate)
        print(f"tree: {files} files, {os.cpu_count()} cores; {check['notes'][0]}")
        print(f"bandit by hand   median {h:6.2f}s  runs {', '.join(f'{t:.2f}' for t in hand)}")
        print(f"pytest --tower   median {g:6.2f}s  runs {', '.join(f'{t:.2f}' for t in gate)}")
        pairs = statistics.median(b / a for a, b in zip(hand, gate, strict=True))
        print(f"CPU time median: by hand {statistics.median(hand_cpu):.2f}s, "
              f"gate {statistics.median(gate_cpu):.2f}s (the cost of sharding)")
        print(f"ratio gate/hand  {g / h:.2f}  (target <= {TARGET}: "
              f"{'met' if g / h <= TARGET else 'NOT met'}); median of paired runs "
              f"{pairs:.2f}; load average now {os.getloadavg()[0]:.1f} "
              f"(a busy machine leaves no idle core to shard onto)")
        print(f"findings: by hand {len(expected)}, gate {len(found)}; "
              f"errors: by hand {hand_errors}, gate {gate_errors}")
        assert found == expected, (
            f"finding sets differ: only by hand {sorted(expected - found)[:5]}, "
            f"only gate {sorted(found - expected)[:5]}")
        assert gate_errors == hand_errors
        print("identical finding sets: yes")


if __name__ == "__main__":
    main()
