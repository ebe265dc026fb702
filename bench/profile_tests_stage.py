"""Where the `tests` stage's time goes on the realistic suite (issue 16), phase by phase.

    python bench/profile_tests_stage.py [--rounds 3] [--part child,collect,xdist,cprofile]

The gate's child is reproduced by hand with exactly the command and the
environment check.py builds (`python -m pytest -p no:tower -p <child plugin>
--junitxml=... --cov=acme --cov-report=json:... tests`), then taken apart one
piece at a time. A small timing plugin (-p, written beside the project) stamps
the phases in every process, xdist workers included: start-up (interpreter,
pytest, plugins, conftest), collection, the test loop, what follows the last
test inside pytest_runtestloop (pytest-cov's stop/save/combine/report), session
finish (JUnit XML is written there), and exit (coverage run saves its data
after pytest returns).

Parts:
  child    the gate's child and its variants, serial, interleaved rounds
  collect  `pytest --co` plain / under `coverage run` / under pytest-cov, with and
           without the deselected set (a second project with no slow items)
  xdist    -n 2: pytest-cov (the gate's child) against `coverage run` with
           patch = subprocess; per-worker collection from the timing plugin
  cprofile cProfile of the gate's child: pytest-cov's own functions
  outer    the outer `pytest --tower` process's own CPU (its child excluded), and
           pytest's bare start-up

Shared machine: each figure has the 1-minute load average beside it.
"""

from __future__ import annotations

import argparse
import cProfile  # noqa: F401 - run as `python -m cProfile` in the child; named for readers
import json
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import realistic_suite

PY = sys.executable
PKG = realistic_suite.PACKAGE
CHILD = "pytest_tower.checks.pytest_suite.child_plugin"
PHASES = "bench_phases"  # the timing plugin's module name, written into the project

PHASES_PLUGIN = '''
"""Timing stamps for profile_tests_stage.py: one JSON file per process."""
import atexit
import json
import os
import time

import pytest

_marks = [("plugin_import", time.process_time())]
_state = {"last_test_end": None, "worker": os.environ.get("PYTEST_XDIST_WORKER", "main")}


def _mark(name):  # CPU seconds of this process: a busy machine skews them less than wall time
    _marks.append((name, time.process_time()))


def pytest_configure(config):
    _mark("configure")


def pytest_sessionstart(session):
    _mark("sessionstart")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_collection(session):
    _mark("collection_start")
    yield
    _mark("collection_end")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtestloop(session):
    _mark("loop_start")
    yield
    _mark("loop_end")


def pytest_runtest_logfinish(nodeid, location):
    _state["last_test_end"] = time.process_time()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_sessionfinish(session):
    if _state["last_test_end"]:
        _marks.append(("last_test_end", _state["last_test_end"]))
    _mark("sessionfinish_start")
    yield
    _mark("sessionfinish_end")


def pytest_unconfigure(config):
    _mark("unconfigure")


def _write():
    _mark("atexit")
    folder = os.environ.get("BENCH_PHASES_DIR")
    if folder:
        path = os.path.join(folder, f"{_state['worker']}-{os.getpid()}.json")
        with open(path, "w") as f:
            json.dump({"worker": _state["worker"], "marks": _marks}, f)


atexit.register(_write)
'''

XDIST_RC = f"[run]\nbranch = true\nsource = {PKG}\npatch = subprocess\n"


def env(extra: dict[str, str] | None = None) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "COVERAGE_")) and k != "PYTHONDONTWRITEBYTECODE"}
    return {**out, **(extra or {})}


class Run:
    """One timed command sequence; phases from the timing plugin's files."""

    def __init__(self, wall: float, cpu: float, load: float, phases: dict[str, float],
                 workers: dict[str, dict[str, float]]) -> None:
        self.wall, self.cpu, self.load, self.phases, self.workers = wall, cpu, load, phases, workers


def timed(steps: list[list[str]], cwd: Path, extra: dict[str, str] | None = None) -> Run:
    marks_dir = Path(tempfile.mkdtemp(prefix="phases-"))
    for stale in cwd.glob(".coverage*"):
        if stale.name != ".coveragerc":
            stale.unlink()
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    step_ends = []
    for argv in steps:
        proc = subprocess.run(argv, cwd=cwd, env=env({**(extra or {}),
                                                      "BENCH_PHASES_DIR": str(marks_dir)}),
                              capture_output=True, text=True, check=False)
        step_ends.append(time.time())
        if len(step_ends) == 1:
            first = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            sys.exit(f"failed ({proc.returncode}): {' '.join(argv)}\n{proc.stdout[-2000:]}"
                     f"\n{proc.stderr[-2000:]}")
    ended = time.time()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    phases, workers = {}, {}
    for file in marks_dir.glob("*.json"):
        data = json.loads(file.read_text())
        marks = dict(data["marks"])
        if data["worker"] == "main":
            phases = intervals(marks)
        else:
            workers[data["worker"]] = intervals(marks)
    if len(steps) > 1:
        phases["later steps (coverage combine/json)"] = round(
            after.ru_utime + after.ru_stime - first.ru_utime - first.ru_stime, 3)
    shutil.rmtree(marks_dir, ignore_errors=True)
    return Run(ended - started, after.ru_utime + after.ru_stime - before.ru_utime
               - before.ru_stime, load, phases, workers)


def intervals(m: dict[str, float]) -> dict[str, float]:
    """Phase lengths in CPU seconds of one process, from its stamps."""
    last = m.get("last_test_end", m.get("loop_end", 0.0))
    out = {
        "start-up to -p plugin import": m["plugin_import"],
        "plugins, conftest, configure": m["sessionstart"] - m["plugin_import"],
        "collection (+ deselect)": m["collection_end"] - m["collection_start"],
        "test loop (to last test)": last - m["loop_start"],
        "after last test in runtestloop": m["loop_end"] - last,
        "sessionfinish (JUnit XML, terminal)": m["sessionfinish_end"] - m["sessionfinish_start"],
        "sessionfinish to atexit (cov run save)": m["atexit"] - m["sessionfinish_end"],
        "process CPU at atexit": m["atexit"],
    }
    return {k: round(v, 3) for k, v in out.items()}


def setup_project(base: Path, slow: int, name: str) -> Path:
    root = realistic_suite.write(base / name, slow)
    (root / f"{PHASES}.py").write_text(PHASES_PLUGIN)
    (root / "xdist.coveragerc").write_text(XDIST_RC)
    return root


def child_variants(root: Path) -> dict[str, tuple[list[list[str]], dict[str, str]]]:
    out = root / "out"
    out.mkdir(exist_ok=True)
    ev = {"TOWER_CHILD_RESULTS": str(out / "events.jsonl"),
          "COVERAGE_FILE": str(out / ".coverage")}
    pt = [PY, "-m", "pytest", "-p", PHASES, "-p", "no:tower"]
    junit, plugin = f"--junitxml={out / 'junit.xml'}", ["-p", CHILD]
    cov = [f"--cov={PKG}", f"--cov-report=json:{out / 'coverage.json'}"]
    covrun = [PY, "-m", "coverage", "run", "-m", "pytest", "-p", PHASES, "-p", "no:tower"]
    cjson = [PY, "-m", "coverage", "json", "-q", "-o", str(out / "coverage.json")]
    return {
        "G  gate child: pytest-cov + plugin + junit": ([[*pt, *plugin, junit, *cov, "tests"]], ev),
        "G-j  gate child without --junitxml": ([[*pt, *plugin, *cov, "tests"]], ev),
        "G-p  gate child without child plugin": ([[*pt, junit, *cov, "tests"]], ev),
        "P  pytest-cov only": ([[*pt, *cov, "tests"]], {}),
        "C+  coverage run + plugin + junit, + json": (
            [[*covrun, *plugin, junit, "tests"], cjson], ev),
        "C  coverage run only, + json": ([[*covrun, "tests"], cjson], {}),
        "N  plain pytest": ([[*pt, "tests"]], {}),
    }


def show(results: dict[str, list[Run]], title: str) -> None:
    print(f"\n== {title} (medians; load = 1-min load average before each run)")
    names = list(results)
    print(f"{'':46}{'wall':>7}{'CPU':>7}{'load':>6}  runs")
    for name in names:
        runs = results[name]
        print(f"{name:<46}{statistics.median(r.wall for r in runs):>7.2f}"
              f"{statistics.median(r.cpu for r in runs):>7.2f}"
              f"{statistics.median(r.load for r in runs):>6.2f}  "
              + ", ".join(f"{r.wall:.1f}@{r.load:.1f}" for r in runs))
    keys = list(dict.fromkeys(k for runs in results.values() for r in runs for k in r.phases))
    if not keys:
        return
    print(f"\n{'phase (main process), median CPU s':<40}" + "".join(f"{n.split()[0]:>8}"
                                                                for n in names))
    for key in keys:
        cells = []
        for name in names:
            values = [r.phases[key] for r in results[name] if key in r.phases]
            cells.append(f"{statistics.median(values):>8.2f}" if values else f"{'-':>8}")
        print(f"{key:<40}" + "".join(cells))


def interleave(variants: dict[str, tuple[list[list[str]], dict[str, str]]], root: Path,
               rounds: int, title: str) -> dict[str, list[Run]]:
    results: dict[str, list[Run]] = {name: [] for name in variants}
    for steps, extra in variants.values():  # warm-up: bytecode caches
        timed(steps, root, extra)
    names = list(variants)
    for n in range(rounds):
        for name in names[n % len(names):] + names[:n % len(names)]:
            steps, extra = variants[name]
            results[name].append(timed(steps, root, extra))
        print(f"{title}: round {n + 1} done", flush=True)
    show(results, title)
    return results


def part_child(root: Path, rounds: int, only: str) -> None:
    chosen = {name: v for name, v in child_variants(root).items()
              if not only or name.split()[0] in only.split(",")}
    interleave(chosen, root, rounds, "serial child, taken apart")


def part_collect(root: Path, bare: Path, rounds: int) -> None:
    co = ["-m", "pytest", "--co", "-q", "-p", PHASES, "-p", "no:tower"]
    variants: dict[str, tuple[list[list[str]], dict[str, str]]] = {}
    for label in ("31k", "2.4k"):
        variants[f"{label} plain --co"] = ([[PY, *co]], {})
        variants[f"{label} coverage run --co"] = ([[PY, "-m", "coverage", "run", *co]], {})
        variants[f"{label} pytest-cov --co"] = ([[PY, *co, f"--cov={PKG}", "--cov-report="]],
                                                {})
    results: dict[str, list[Run]] = {name: [] for name in variants}
    for n in range(rounds + 1):
        for name, (steps, extra) in variants.items():
            folder = root if name.startswith("31k") else bare
            run = timed(steps, folder, extra)
            if n:
                results[name].append(run)
        if n:
            print(f"collection: round {n} done", flush=True)
    show(results, "collection only (pytest --co); the 2.4k project has no deselected set")


def part_xdist(root: Path, rounds: int) -> None:
    out = root / "out"
    out.mkdir(exist_ok=True)
    ev = {"TOWER_CHILD_RESULTS": str(out / "events.jsonl"),
          "COVERAGE_FILE": str(out / ".coverage")}
    pt = [PY, "-m", "pytest", "-p", PHASES, "-p", "no:tower", "-p", CHILD,
          f"--junitxml={out / 'junit.xml'}"]
    rc = "--rcfile=xdist.coveragerc"
    cov = [PY, "-m", "coverage"]
    variants = {
        "G2  gate child -n 2 (pytest-cov)": ([[*pt, f"--cov={PKG}",
                                               f"--cov-report=json:{out / 'cov.json'}",
                                               "-n", "2", "tests"]], ev),
        "C2  coverage run patch=subprocess -n 2": (
            [[*cov, "run", rc, "-m", "pytest", "-p", PHASES, "-p", "no:tower", "-p", CHILD,
              f"--junitxml={out / 'junit.xml'}", "-n", "2", "tests"],
             [*cov, "combine", "-q", rc], [*cov, "json", "-q", rc, "-o", str(out / "c2.json")]],
            ev),
        "N2  plain pytest -n 2": ([[PY, "-m", "pytest", "-p", PHASES, "-n", "2", "tests"]], {}),
    }
    results = interleave(variants, root, rounds, "xdist -n 2")
    print("\nper-worker phases (median over rounds and workers), CPU s:")
    for name, runs in results.items():
        per: dict[str, list[float]] = {}
        for r in runs:
            for phases in r.workers.values():
                for k, v in phases.items():
                    per.setdefault(k, []).append(v)
        print(f"  {name}: " + "; ".join(f"{k} {statistics.median(v):.2f}"
                                          for k, v in per.items()
                                          if k.startswith(("plugins", "collection", "test loop",
                                                           "after", "start"))))
    # the figures themselves (pytest-cov's report has no `precision`, so its display differs)
    keys = ("covered_lines", "num_statements", "num_branches", "covered_branches",
            "missing_lines", "missing_branches", "percent_covered")
    a, b = (json.loads((out / name).read_text())["totals"] for name in ("cov.json", "c2.json"))
    equal = {k: a[k] for k in keys} == {k: b[k] for k in keys}
    print(f"  coverage totals, pytest-cov -n 2 vs coverage run patch=subprocess -n 2: "
          f"{'identical' if equal else 'DIFFERENT'} ({a['percent_covered']!r} vs "
          f"{b['percent_covered']!r}; lines {a['covered_lines']}/{a['num_statements']} vs "
          f"{b['covered_lines']}/{b['num_statements']}; branches "
          f"{a['covered_branches']}/{a['num_branches']} vs "
          f"{b['covered_branches']}/{b['num_branches']})")


def part_cprofile(root: Path) -> None:
    out = root / "out"
    out.mkdir(exist_ok=True)
    prof = out / "child.prof"
    argv = [PY, "-m", "cProfile", "-o", str(prof), "-m", "pytest", "-p", "no:tower", "-p",
            CHILD, f"--junitxml={out / 'junit.xml'}", f"--cov={PKG}",
            f"--cov-report=json:{out / 'coverage.json'}", "tests"]
    run = timed([argv], root, {"TOWER_CHILD_RESULTS": str(out / "events.jsonl"),
                               "COVERAGE_FILE": str(out / ".coverage")})
    print(f"\n== cProfile of the gate's child (wall {run.wall:.1f}s under the profiler, "
          f"load {run.load:.1f}); cumulative seconds of chosen functions:")
    stats = pstats.Stats(str(prof))
    wanted = [("pytest_cov/engine.py", "start"), ("pytest_cov/engine.py", "finish"),
              ("pytest_cov/engine.py", "summary"), ("coverage/control.py", "report"),
              ("coverage/control.py", "json_report"), ("coverage/control.py", "combine"),
              ("coverage/control.py", "save"), ("coverage/control.py", "erase"),
              ("coverage/control.py", "__init__"), ("_pytest/junitxml.py", "pytest_sessionfinish"),
              ("_pytest/junitxml.py", "pytest_runtest_logreport"),
              ("child_plugin.py", "pytest_runtest_logreport"),
              ("child_plugin.py", "pytest_runtest_logstart"), ("child_plugin.py", "write"),
              ("_pytest/main.py", "pytest_collection"), ("_pytest/main.py", "perform_collect"),
              ("_pytest/mark/__init__.py", "pytest_collection_modifyitems"),
              ("_pytest/main.py", "pytest_runtestloop"), ("_pytest/config/__init__.py",
                                                          "_preparse")]
    table = stats.stats  # type: ignore[attr-defined]
    for (file, _line, func), (_cc, nc, _tt, ct, _callers) in sorted(
            table.items(), key=lambda kv: -kv[1][3]):
        for suffix, name in wanted:
            if file.endswith(suffix) and func == name:
                print(f"  {ct:8.3f}s  {nc:>7} calls  {suffix}:{func}")


# Runs pytest in this process and prints its own CPU seconds (children excluded) at exit.
SELF_CPU = ("import atexit, resource, runpy, sys\n"
            "def said():\n"
            "    r = resource.getrusage(resource.RUSAGE_SELF)\n"
            "    sys.stderr.write(f'SELF_CPU {r.ru_utime + r.ru_stime:.3f}\\n')\n"
            "atexit.register(said)\n"
            "sys.argv = ['pytest', *sys.argv[1:]]\n"
            "runpy.run_module('pytest', run_name='__main__', alter_sys=True)\n")


def self_cpu(argv: list[str], cwd: Path) -> tuple[float, float]:
    """(the outer process's own CPU seconds, its children's) for one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([PY, "-c", SELF_CPU, *argv], cwd=cwd, env=env(), capture_output=True,
                          text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    said = [line for line in proc.stderr.splitlines() if line.startswith("SELF_CPU")]
    if not said:
        sys.exit(f"no SELF_CPU line from {argv}: {proc.stdout[-1500:]}{proc.stderr[-1500:]}")
    own = float(said[-1].split()[1])
    return own, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime - own


def part_outer(root: Path, rounds: int) -> None:
    """The gate's own process (outer pytest --tower) apart from its child's CPU."""
    (root / "gates.toml").write_text(realistic_suite.gates_text(1))
    runs = {"pytest --tower (serial gate): outer process": ["--tower", "--tower-report=o.json"],
            "pytest --version (bare start-up, same plugins)": ["--version"],
            "pytest --co -q gates.toml -p no:tower (start-up + tiny collect)": [
                "--co", "-q", "-p", "no:tower", "gates.toml"]}
    print("\n== the outer process: own CPU s (children excluded), median of runs")
    for label, argv in runs.items():
        own, kids, loads = [], [], []
        for _ in range(rounds):
            loads.append(os.getloadavg()[0])
            a, b = self_cpu(argv, root)
            own.append(a)
            kids.append(b)
        print(f"  {label:<62} own {statistics.median(own):.2f}  children "
              f"{statistics.median(kids):.2f}  load {statistics.median(loads):.1f}  runs "
              + ", ".join(f"{x:.2f}" for x in own))
    proc = subprocess.run([PY, "-X", "importtime", "-m", "pytest", "--version"], cwd=root,
                          env=env(), capture_output=True, text=True, check=False)
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            rows.append((int(parts[1]), parts[2].strip()))
    print("  -X importtime, pytest start-up, largest top-level imports (cumulative ms): "
          + ", ".join(f"{name} {us / 1000:.0f}" for us, name in sorted(rows, reverse=True)[:8]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--part", default="child,collect,xdist,cprofile,outer")
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--child", default="", help="child variants by key, e.g. G,C+")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="profile-tests-stage-"))
    parts = args.part.split(",")
    try:
        root = setup_project(base, realistic_suite.SLOW_PER_MODULE, "project")
        print(f"project {root}; {os.cpu_count()} CPUs; shared machine, figures are noisy")
        if "child" in parts:
            part_child(root, args.rounds, args.child)
        if "collect" in parts:
            bare = setup_project(base, 0, "no-slow")
            part_collect(root, bare, args.rounds)
        if "xdist" in parts:
            part_xdist(root, max(1, args.rounds - 1))
        if "cprofile" in parts:
            part_cprofile(root)
        if "outer" in parts:
            part_outer(root, args.rounds)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
