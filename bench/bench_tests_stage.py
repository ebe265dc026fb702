"""Bench the `tests` stage: its overhead over coverage by hand, and what xdist gains.

    python bench/bench_tests_stage.py [--repeat 3] [--keep]

1. A generated project of 500 tests over 20 modules: `pytest --tower` (one
   unit stage, workers = 1) against `coverage run -m pytest && coverage json`
   typed by hand. Median wall time of each, ratio (target <= 1.10).
2. A suite of about 30 s (tests that sleep, and tests that compute): the same
   stage with workers = 2 against workers = 1 (target <= 0.65 on 2 cores).
Runs are interleaved so that a busy machine slows both sides alike, after one
warm-up run of each with Python's bytecode cache on (as on a user's machine).
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
import tempfile
import time
from pathlib import Path

MODULES, TESTS_PER_MODULE = 20, 25
SLEEPERS, SLEEP_S, COMPUTERS, COMPUTE_N = 40, 0.5, 20, 1_600_000


def make_project(root: Path, modules: dict[str, str], tests: dict[str, str]) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "tests").mkdir()
    for name, body in modules.items():
        (root / "pkg" / f"{name}.py").write_text(body)
    for name, body in tests.items():
        (root / "tests" / f"{name}.py").write_text(body)
    (root / "pyproject.toml").write_text('[tool.coverage.run]\nsource = ["pkg"]\n')
    return root


def wide_project(root: Path) -> Path:
    """500 quick tests over 20 modules, each module with branches to cover."""
    modules, tests = {}, {}
    for m in range(MODULES):
        modules[f"mod{m:02d}"] = "".join(
            f"def f{i}(x):\n    if x > {i}:\n        return x - {i}\n    return {i} - x\n\n\n"
            for i in range(TESTS_PER_MODULE))
        tests[f"test_mod{m:02d}"] = f"from pkg import mod{m:02d} as m\n\n\n" + "".join(
            f"def test_f{i}():\n    assert m.f{i}({i + 1}) == 1\n\n\n"
            for i in range(TESTS_PER_MODULE))
    return make_project(root, modules, tests)


def slow_project(root: Path) -> Path:
    """About 30 s serially: tests that sleep (I/O-bound) and tests that compute."""
    work = "def spin(n):\n    total = 0\n    for i in range(n):\n        total += i % 7\n" \
           "    return total\n"
    tests = {
        "test_sleep": "import time\n\nimport pytest\n\n\n"
                      f"@pytest.mark.parametrize('n', range({SLEEPERS}))\n"
                      f"def test_sleep(n):\n    time.sleep({SLEEP_S})\n",
        "test_compute": "import pytest\nfrom pkg.work import spin\n\n\n"
                        f"@pytest.mark.parametrize('n', range({COMPUTERS}))\n"
                        f"def test_compute(n):\n    assert spin({COMPUTE_N}) > 0\n",
    }
    return make_project(root, {"work": work}, tests)


def gates(root: Path, workers: int) -> None:
    (root / "gates.toml").write_text(
        f'[unit.tests]\npaths = ["tests"]\nworkers = {workers}\n'
        'conditions = ["failed == 0", "coverage >= 50%"]\n')


CPU: list[float] = []  # CPU seconds of every timed run: a figure a busy machine skews less


def timed(argv: list[str], cwd: Path) -> float:
    # Python's default bytecode cache, as on a user's machine (this sandbox disables it)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PYTEST_") and k != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(argv)}\n{proc.stdout[-3000:]}"
                 f"\n{proc.stderr[-2000:]}")
    return elapsed


def tower(root: Path, cpu: list[float] | None = None) -> float:
    elapsed = timed([sys.executable, "-m", "pytest", "--tower", "--tower-report=r.json"], root)
    if cpu is not None:
        cpu.append(CPU[-1])
    check = json.loads((root / "r.json").read_text())["checks"][0]
    assert check["verdict"] == "passed", check
    return elapsed


def by_hand(root: Path, cpu: list[float]) -> float:
    elapsed = (timed([sys.executable, "-m", "coverage", "run", "-m", "pytest", "tests"], root)
               + timed([sys.executable, "-m", "coverage", "json", "-o", "by-hand.json"], root))
    cpu.append(CPU[-1] + CPU[-2])
    return elapsed


def overhead(base: Path, repeat: int) -> None:
    wide = wide_project(base / "wide")
    gates(wide, 1)
    tower(wide), by_hand(wide, [])  # warm-up: bytecode caches, as in any second run
    towers, hands, tower_cpu, hand_cpu = [], [], [], []
    for _ in range(repeat):
        towers.append(tower(wide, tower_cpu))
        hands.append(by_hand(wide, hand_cpu))
    tests = json.loads((wide / "r.json").read_text())["checks"][0]["metrics"]["tests"]
    ratio = statistics.median(towers) / statistics.median(hands)
    print(f"{tests:.0f} tests, {MODULES} modules: pytest --tower median "
          f"{statistics.median(towers):.2f}s {_runs(towers)}; coverage run + json by hand "
          f"median {statistics.median(hands):.2f}s {_runs(hands)}; ratio {ratio:.3f} "
          f"(target <= 1.10); CPU time median {statistics.median(tower_cpu):.2f}s vs "
          f"{statistics.median(hand_cpu):.2f}s, ratio "
          f"{statistics.median(tower_cpu) / statistics.median(hand_cpu):.3f}")


def workers(base: Path, repeat: int) -> None:
    slow = slow_project(base / "slow")
    serial, parallel = [], []
    for _ in range(repeat):
        gates(slow, 1)
        serial.append(tower(slow))
        gates(slow, 2)
        parallel.append(tower(slow))
    speed = statistics.median(parallel) / statistics.median(serial)
    print(f"~30 s suite ({SLEEPERS} sleeping, {COMPUTERS} computing tests, {os.cpu_count()} "
          f"cpus): workers = 1 median {statistics.median(serial):.2f}s {_runs(serial)}; "
          f"workers = 2 median {statistics.median(parallel):.2f}s {_runs(parallel)}; "
          f"ratio {speed:.3f} (target <= 0.65)")


def _runs(times: list[float]) -> str:
    return "(" + ", ".join(f"{t:.2f}" for t in times) + ")"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=["overhead", "workers"], help="run one part")
    parser.add_argument("--keep", action="store_true", help="keep the generated projects")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-tests-stage-"))
    try:
        if args.only != "workers":
            overhead(base, args.repeat)
        if args.only != "overhead":
            workers(base, args.repeat)
    finally:
        if args.keep:
            print(f"projects kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
