"""Bench the gate core (issue 2): what the plugin costs when idle, and over ruff.

1. `pytest --co -q` on a generated 300-test project, plugin installed vs
   `-p no:tower`: median wall-time ratio (target <= 1.03).
2. `python -X importtime`: the plugin's own import cost without --tower.
3. `pytest --tower` (lint only) vs `ruff check` by hand on this repository:
   median wall-time ratio and absolute overhead in ms.

Run: python bench/bench_core.py [--runs N]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable
RUFF = str(Path(PY).parent / "ruff")
LINT_PATHS = ["pytest_tower", "tests", "bench"]


def median_seconds(argv: list[str], cwd: Path, runs: int) -> float:
    """Median wall time of `runs` runs, after one warm-up run."""
    subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def interleaved(a: list[str], b: list[str], cwd: Path, runs: int,
                b_cwd: Path | None = None) -> tuple[float, float]:
    """Median of each command, alternating runs so drift hits both alike (b runs in
    `b_cwd` when given)."""
    ta, tb = [], []
    pairs = ((a, cwd, ta), (b, b_cwd or cwd, tb))
    for argv, folder, _ in pairs:
        subprocess.run(argv, cwd=folder, capture_output=True, check=False)
    for _ in range(runs):
        for argv, folder, out in pairs:
            started = time.perf_counter()
            subprocess.run(argv, cwd=folder, capture_output=True, check=False)
            out.append(time.perf_counter() - started)
    return statistics.median(ta), statistics.median(tb)


def make_project(root: Path, tests: int = 300, modules: int = 10) -> None:
    for m in range(modules):
        body = "".join(f"def test_{m}_{i}():\n    assert {i} + 1 > {i}\n\n"
                       for i in range(tests // modules))
        (root / f"test_mod{m}.py").write_text(body)


def collection_overhead(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root)
        base = [PY, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider"]
        with_plugin, without = interleaved(base, [*base, "-p", "no:tower"], root, runs)
        print(f"collect 300 tests: with plugin {with_plugin * 1000:.0f} ms, "
              f"-p no:tower {without * 1000:.0f} ms, ratio {with_plugin / without:.3f} "
              "(target <= 1.03)")
        proc = subprocess.run([PY, "-X", "importtime", "-m", "pytest", "--co", "-q",
                               "-p", "no:cacheprovider"], cwd=root, capture_output=True,
                              text=True, check=False)
        own = [line for line in proc.stderr.splitlines() if "pytest_tower" in line]
        self_us = sum(int(re.split(r"[:|]", line)[1]) for line in own)
        print(f"import cost without --tower: {len(own)} modules, "
              f"{self_us / 1000:.2f} ms self time in total")
        for line in own:
            print("   ", line.strip())


def lint_overhead(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # Run from the gates' own folder: a gates.toml outside pytest's rootdir is not
        # what a project does (and the gate must really run ruff to be measured).
        folder = Path(tmp)
        gates = folder / "gates.toml"
        paths = ", ".join(f'"{REPO / p}"' for p in LINT_PATHS)
        gates.write_text(f"[lint.ruff]\npaths = [{paths}]\n")
        gate = [PY, "-m", "pytest", "--tower", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
        shown = subprocess.run(gate, cwd=folder, capture_output=True, text=True, check=False)
        verdict = [line for line in shown.stdout.splitlines() if "TOWER GATE" in line]
        print(f"lint gate measured: {verdict[-1].strip(' =') if verdict else shown.stdout[-300:]}")
        print(f"   ruff processes per gate: {ruff_calls(folder, paths)}")
        by_hand = [RUFF, "check", "--output-format", "json", *LINT_PATHS]
        t_gate, t_hand = interleaved(gate, by_hand, folder, runs, b_cwd=REPO)
        print(f"lint this repo: gate {t_gate * 1000:.0f} ms, ruff by hand {t_hand * 1000:.0f} ms, "
              f"ratio {t_gate / t_hand:.2f}, overhead {(t_gate - t_hand) * 1000:.0f} ms")
        bare = median_seconds([PY, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider",
                               "-p", "no:xdist", "-p", "no:tower", str(gates)], folder, runs)
        print(f"   of which a bare pytest start-up is {bare * 1000:.0f} ms")


def ruff_calls(folder: Path, paths: str) -> int:
    """How many ruff processes one lint gate starts (the real ruff behind a logging
    wrapper; a separate run, not a timed one)."""
    log = folder / "ruff-calls.log"
    wrapper = folder / "ruff-logged"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{RUFF}" "$@"\n')
    wrapper.chmod(0o755)
    counted = folder / "counted"
    counted.mkdir()
    (counted / "gates.toml").write_text(f'[lint.ruff]\npaths = [{paths}]\n'
                                        f'executable = "{wrapper}"\n')
    subprocess.run([PY, "-m", "pytest", "--tower", "-q", "-p", "no:cacheprovider",
                    "-p", "no:xdist"], cwd=counted, capture_output=True, check=False)
    return len(log.read_text().splitlines()) if log.exists() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    collection_overhead(args.runs)
    lint_overhead(args.runs)


if __name__ == "__main__":
    main()
