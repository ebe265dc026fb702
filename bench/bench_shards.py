"""Sharding: two shards side by side plus the merge vs one run, balance, merge time.

    python bench/bench_shards.py [--seconds 40] [--big 2000]

1. A suite of ~SECONDS of tests (seeded sleeps of unequal length, with coverage)
   runs once whole (storing per-test durations), then as 2 shards at the same
   time, each in its own working copy, then merged in a third: wall of shards +
   merge over the single run's wall (target <= 0.6).
2. Balance with those durations: the slowest shard's test time over the mean
   (target within 15 %).
3. The merge alone for 4 shards of a BIG-test suite (the shards run first, untimed).

Each shard and the merge are separate `python -m pytest` processes, as on CI.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CORE = "def work(n):\n    if n % 2:\n        return n * 2\n    return n + 1\n"
SLOW = '''\
import time

import pytest

from pkg.core import work

DURATIONS = {durations!r}


@pytest.mark.parametrize("n", range(len(DURATIONS)))
def test_slow(n):
    time.sleep(DURATIONS[n])
    assert work(n) > n
'''
MANY = '''\
import pytest

from pkg.core import work


@pytest.mark.parametrize("n", range({count}))
def test_many(n):
    assert work(n) > n
'''
GATES = '[unit.tests]\npaths = ["tests"]\nconditions = ["failed == 0", "coverage >= 50%"]\n'


def project(root: Path, tests: str) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "core.py").write_text(CORE)
    (root / "tests" / "test_suite.py").write_text(tests)
    (root / "pyproject.toml").write_text('[tool.coverage.run]\nsource = ["pkg"]\n')
    (root / "gates.toml").write_text(GATES)
    return root


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("TOWER_", "PYTEST_XDIST", "CI_NODE")) and k != "PYTEST_ADDOPTS"}


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]


def run(cwd: Path, *args: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(command(*args), cwd=cwd, env=env(), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"failed in {cwd}: {' '.join(args)}\n{done.stdout[-3000:]}{done.stderr}")
    return time.perf_counter() - started


def copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".tower", "*.json",
                                                                  "*.data", "shards"))
    for extra in ("durations.json",):
        if (source / extra).exists():
            shutil.copy(source / extra, target / extra)
    return target


def shards(base: Path, total: int, parallel: bool, *extra: str) -> tuple[float, Path]:
    """Run every shard in its own copy; gather artifacts into a merge job's checkout."""
    job = copy(base, base.parent / f"{base.name}-merge")
    runners = [copy(base, base.parent / f"{base.name}-shard-{k}") for k in range(1, total + 1)]
    started = time.perf_counter()
    procs = []
    for k, runner in enumerate(runners, 1):
        argv = command("--tower", f"--tower-shard={k}/{total}", "--tower-report=shard.json",
                       *extra)
        procs.append(subprocess.Popen(argv, cwd=runner, env=env(), stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        if not parallel:
            procs[-1].wait()
    if any(p.wait() != 0 for p in procs):
        sys.exit(f"a shard of {base} failed")
    wall = time.perf_counter() - started
    for k, runner in enumerate(runners, 1):
        target = job / "shards" / f"shard-{k}"
        target.mkdir(parents=True)
        shutil.copy(runner / "shard.json", target)
        shutil.copytree(runner / "shard.data", target / "shard.data")
    return wall, job


def shard_loads(job: Path) -> list[float]:
    loads = []
    for report in sorted((job / "shards").glob("shard-*/shard.json")):
        files = json.loads(report.read_text())["shard_data"]["unit::tests"]["files"]
        loads.append(sum(json.loads((report.parent / files["durations"]).read_text()).values()))
    return loads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--big", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(15)
    raw = [rng.uniform(0.05, 1.0) for _ in range(int(args.seconds / 0.5))]
    durations = [round(d * args.seconds / sum(raw), 3) for d in raw]
    with tempfile.TemporaryDirectory() as tmp:
        slow = project(Path(tmp) / "slow", SLOW.format(durations=durations))
        single = run(slow, "--tower", "--tower-report=single.json", "--tower-store-durations",
                     "--tower-durations=durations.json")
        wall, job = shards(slow, 2, True, "--tower-durations=durations.json")
        merge = run(job, "--tower-merge", "shards", "--tower-report=merged.json")
        ratio = (wall + merge) / single
        print(f"suite: {len(durations)} tests, {sum(durations):.1f} s of test time")
        print(f"single run: {single:.1f} s wall")
        print(f"2 shards side by side: {wall:.1f} s wall, merge {merge:.1f} s; "
              f"total {wall + merge:.1f} s = {ratio:.2f}x the single run (target <= 0.6)")
        loads = shard_loads(job)
        mean = sum(loads) / len(loads)
        print(f"balance by durations: shards {', '.join(f'{x:.2f}' for x in loads)} s of "
              f"tests; slowest {100 * (max(loads) / mean - 1):.1f} % over the mean "
              "(target <= 15 %)")
        big = project(Path(tmp) / "big", MANY.format(count=args.big))
        _, big_job = shards(big, 4, False)
        print(f"merge of 4 shards of a {args.big}-test suite: "
              f"{run(big_job, '--tower-merge', 'shards', '--tower-report=merged.json'):.2f} s "
              "wall (one process: start-up, reading, coverage combine, outputs)")


if __name__ == "__main__":
    main()
