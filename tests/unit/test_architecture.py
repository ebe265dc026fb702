"""The package's layers, read from its imports (bench/check_imports.py does the reading).

core/ is pure (no pytest, nothing above it), report/ renders the report dict
without reaching back into the run, no module-level import cycle, and a long
module says why it is long. Each rule is also checked to see a planted break.
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


def test_layers_hold(walker: ModuleType, mods: dict[str, object]) -> None:
    """core/ imports nothing above it (run, checks, environments, report, history, the
    plugin) and no pytest; report/ never imports run/ (the rules: LAYERS in the script)."""
    assert walker.layer_breaks(mods) == {}


def test_the_walker_sees_a_layer_break(walker: ModuleType, tmp_path: Path) -> None:
    """The check above could pass by seeing nothing: planted breaks must show, an import
    inside a function and one of pytest included."""
    package = tmp_path / "pytest_tower"
    for folder in ("core", "environments", "report", "run"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "core" / "config.py").write_text(
        "from pytest_tower.environments import spec\n\ndef late():\n    import pytest\n")
    (package / "core" / "fine.py").write_text("import pytest_tower.core.config\n")
    (package / "report" / "html.py").write_text("from ..run import session\n")
    breaks = walker.layer_breaks(walker.modules(package))
    assert breaks == {
        "pytest_tower.core.config": ["pytest", "pytest_tower.environments",
                                     "pytest_tower.environments.spec"],
        "pytest_tower.report.html": ["pytest_tower.run", "pytest_tower.run.session"],
    }


def test_long_modules_say_why(walker: ModuleType, mods: dict[str, object]) -> None:
    long = walker.unexplained_long(mods)
    assert [f"{m.name}: {m.lines} lines" for m in long] == []
