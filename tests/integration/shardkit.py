"""Helpers for the shard tests: a small real suite, shards run as separate processes in
separate working copies (as CI runners would), and their artifacts gathered for a merge.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

CORE = '''\
def add(a, b):
    return a + b


def scale(x, factor):
    if factor == 0:
        return 0
    if factor < 0:
        return -scale(x, -factor)
    return x * factor


def label(n):
    if n % 15 == 0:
        return "fizzbuzz"
    if n % 5 == 0:
        return "buzz"
    if n % 3 == 0:
        return "fizz"
    return str(n)


def never_called():
    return "not covered"
'''
TESTS = '''\
import pytest

from pkg.core import add, label, scale


@pytest.mark.parametrize("n", range({first}, {last}))
def test_add(n):
    assert add(n, 1) == n + 1


def test_scale_{name}():
    assert scale(3, {factor}) == 3 * {factor}


def test_label_{name}():
    assert label({n}) in ("fizz", "buzz", "fizzbuzz", str({n}))


@pytest.mark.skip(reason="not on this platform")
def test_skipped_{name}():
    pass


@pytest.mark.xfail(reason="known bug", strict=True)
def test_xfail_{name}():
    assert scale(1, 1) == 2
'''
GATES = '''\
[lint.files]
required = ["pyproject.toml"]

[unit.tests]
paths = ["tests"]
conditions = ["failed == 0", "coverage >= 50%"]
'''
PYPROJECT = '[tool.coverage.run]\nsource = ["pkg"]\n'
SKIP = ("report.json", "shards", ".tower", ".pytest_cache", "__pycache__", "merged*")


def suite_files() -> dict[str, str]:
    """pkg/ and five test modules: 45 tests (passed, skipped, xfailed), coverage < 100%."""
    files = {"pkg/__init__.py": "", "pkg/core.py": CORE, "pyproject.toml": PYPROJECT}
    for k, (factor, n) in enumerate([(2, 3), (0, 5), (-2, 15), (1, 7), (3, 9)]):
        files[f"tests/test_part{k}.py"] = TESTS.format(first=k * 7, last=k * 7 + 7,
                                                      name=k, factor=factor, n=n)
    return files


def write(project: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def clean_env() -> dict[str, str]:
    """This process's environment less what an outer pytest or gate would pass on."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("TOWER_", "PYTEST_XDIST", "CI_NODE"))
            and k not in ("PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST", "COVERAGE_FILE")}


def gate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m pytest --tower ARGS` as its own process in `cwd`."""
    return subprocess.run([sys.executable, "-m", "pytest", "--tower", "-p", "no:cacheprovider",
                           *args], cwd=cwd, env=clean_env(), capture_output=True, text=True,
                          timeout=300)


def run_shards(project: Path, total: int, into: Path, *extra: str) -> list[Path]:
    """Run every shard of `project` in its own copy (sequentially: 2 cores); gather each
    shard's report and data under `into/shard-K/`, as downloaded CI artifacts."""
    gathered = []
    for index in range(1, total + 1):
        copy = project.parent / f"{project.name}-runner-{index}-of-{total}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(project, copy, ignore=shutil.ignore_patterns(*SKIP))
        done = gate(copy, f"--tower-shard={index}/{total}", "--tower-report=shard.json", *extra)
        assert (copy / "shard.json").is_file(), done.stdout + done.stderr
        target = into / f"shard-{index}"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(copy / "shard.json", target / "shard.json")
        if (copy / "shard.data").is_dir():
            shutil.copytree(copy / "shard.data", target / "shard.data")
        gathered.append(target / "shard.json")
    return gathered


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def outcomes_of(events: Path) -> dict[str, str]:
    """{test id: outcome} from a child pytest's event log (the tests stage's artifact)."""
    from pytest_tower.checks.pytest_suite.results import read_events

    suite = read_events(events)
    assert suite is not None
    return {t.nodeid: t.outcome for t in suite.tests.values()}
