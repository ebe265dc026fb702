"""The lowest supported versions CI installs (.ci/lowest.txt) are pyproject.toml's lower
bounds, every one of them: a bound raised or lowered in one place only would leave CI
proving versions nobody declared."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def lower_bounds() -> dict[str, Version]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    texts = project["dependencies"]
    bounds: dict[str, Version] = {}
    for text in texts:
        req = Requirement(text)
        lows = [Version(s.version) for s in req.specifier if s.operator == ">="]
        if lows:
            bounds[re.sub(r"[-_.]+", "-", req.name).lower()] = max(lows)
    return bounds


def pinned() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / ".ci" / "lowest.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[re.sub(r"[-_.]+", "-", name.strip()).lower()] = Version(version.strip())
    return pins


def test_every_lower_bound_is_pinned_in_lowest_txt() -> None:
    bounds, pins = lower_bounds(), pinned()
    assert {"ruff", "bandit", "pip-audit", "deptry", "license-expression"} <= set(bounds)
    assert set(bounds) == set(pins), (sorted(set(bounds) ^ set(pins)))
    differ = {name: (str(bounds[name]), str(pins[name])) for name in bounds
              if bounds[name] != pins[name]}
    assert not differ, f"pyproject lower bound vs .ci/lowest.txt: {differ}"


def test_ranges_leave_room_beside_a_project_s_own_pins() -> None:
    """A project pinning ruff 0.15 (the issue's example) can install pytest-tower."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    ruff = next(Requirement(t) for t in project["dependencies"] if t.startswith("ruff"))
    assert ruff.specifier.contains("0.15.0") and ruff.specifier.contains("0.17.6")


def test_ci_moves_the_final_gate_to_the_lowest_versions() -> None:
    run = (ROOT / ".ci" / "run").read_text()
    lowest = run.index("-c .ci/lowest.txt")
    assert lowest < run.rindex(".venv/bin/pytest --tower")


def test_the_mypy_extra_is_older_than_what_our_own_code_is_typed_against() -> None:
    """The check type reads mypy >= 1.11 (-O json); our dev extra may ask for a newer one,
    never an older one."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    supported = Requirement(extras["mypy"][0]).specifier
    dev = next(Requirement(t) for t in extras["dev"] if t.startswith("mypy"))
    assert supported.contains("1.11.0") and not supported.contains("1.10.1")
    assert all(supported.contains(s.version) for s in dev.specifier if s.operator == ">=")


def test_the_pins_check_reads_mypy_s_range_from_its_own_extra() -> None:
    """The dev extra asks for a newer mypy than the check type supports: the version check
    and the install hint use the `mypy` extra's range, whichever comes first."""
    import pytest_tower.checks.pins as pins

    spec = pins.supported("mypy")
    assert spec is not None and spec.contains("1.11.0") and not spec.contains("1.10.1")
    assert pins.install_hint("mypy") == "pip install 'mypy>=1.11'"
