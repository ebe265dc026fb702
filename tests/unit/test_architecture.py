"""The package's layers, read from its imports (bench/check_imports.py does the reading).

core/ is pure (no pytest, nothing above it), report/ renders the report dict
without reaching back into the run, no module-level import cycle, and a long
module says why it is long.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "check_imports.py"


@pytest.fixture(scope="module")
def walker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_imports", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("check_imports", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mods(walker: ModuleType) -> dict[str, object]:
    found: dict[str, object] = walker.modules()
    assert "pytest_tower.core.outcome" in found  # the walk found the package at all
    return found


def _imports_of(mods: dict[str, object], prefix: str) -> dict[str, set[str]]:
    """Every import (module level or in a function) of the modules under `prefix`."""
    return {name: m.top | m.inner for name, m in mods.items()  # type: ignore[attr-defined]
            if name == prefix or name.startswith(prefix + ".")}


def test_no_module_level_import_cycle(walker: ModuleType, mods: dict[str, object]) -> None:
    assert walker.cycles(walker.graph(mods)) == []


def test_the_walker_sees_a_cycle(walker: ModuleType, tmp_path: Path) -> None:
    """The check above could pass by seeing nothing: a planted cycle must show."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import x\n")
    (package / "b.py").write_text("from typing import TYPE_CHECKING\nimport pkg.c as c\n"
                                  "if TYPE_CHECKING:\n    import pkg.a\n")
    (package / "c.py").write_text("from . import a\n\ndef late():\n    import pkg.b\n")
    found = walker.modules(package)
    assert walker.cycles(walker.graph(found)) == [["pkg.a", "pkg.b", "pkg.c"]]
    assert "pkg.a" not in found["pkg.b"].top  # TYPE_CHECKING is no import
    assert found["pkg.c"].inner == {"pkg.b"}


KNOWN = pytest.mark.xfail(strict=True, reason=(
    "core/config.py reads [environments.*] through environments/config.py (+ spec.py); "
    "both are pure and belong in core/ (issue #11, must-hold 1)"))


@pytest.mark.parametrize("layer", ["run", "checks", pytest.param("environments", marks=KNOWN),
                                   "report", "history"])
def test_core_imports_nothing_above_it(mods: dict[str, object], layer: str) -> None:
    bad = {name: sorted(t for t in targets if t.startswith(f"pytest_tower.{layer}"))
           for name, targets in _imports_of(mods, "pytest_tower.core").items()}
    assert {name: t for name, t in bad.items() if t} == {}


def test_core_does_not_import_pytest(mods: dict[str, object]) -> None:
    bad = {name for name, targets in _imports_of(mods, "pytest_tower.core").items()
           if any(t == "pytest" or t.startswith(("pytest.", "_pytest")) for t in targets)}
    assert bad == set()


def test_report_never_imports_run(mods: dict[str, object]) -> None:
    bad = {name: sorted(t for t in targets if t.startswith("pytest_tower.run"))
           for name, targets in _imports_of(mods, "pytest_tower.report").items()}
    assert {name: t for name, t in bad.items() if t} == {}


def test_long_modules_say_why(walker: ModuleType, mods: dict[str, object]) -> None:
    long = walker.unexplained_long(mods)
    assert [f"{m.name}: {m.lines} lines" for m in long] == []
