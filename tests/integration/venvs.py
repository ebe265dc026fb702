"""Real throwaway environments: `python -m venv` plus small local packages, no network.

Each package is a pyproject.toml built into a wheel by hatchling's PEP 517
hook (hatchling is in the dev venv, so nothing comes from an index) and
installed by pip into a venv made without pip, so the venv holds exactly
these distributions and nothing else.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "{version}"
{extra}

[tool.hatch.build.targets.wheel]
packages = ["{module}"]
"""


# Calls hatchling's PEP 517 hook for every project in one process (pip wheel
# would start one backend process per package: seconds instead of a fraction).
BUILD = """
import os, sys
import hatchling.build
for source in sys.argv[2:]:
    os.chdir(source)
    hatchling.build.build_wheel(sys.argv[1])
"""


def make_venv(root: Path, packages: dict[str, str], version: str = "1.0") -> Path:
    """A venv under root with `packages` (name -> extra [project] TOML); its python."""
    sources = root / "src"
    for name, extra in packages.items():
        module = name.replace("-", "_")
        (sources / name / module).mkdir(parents=True)
        (sources / name / module / "__init__.py").write_text("")
        (sources / name / "pyproject.toml").write_text(
            PYPROJECT.format(name=name, version=version, extra=extra, module=module))
    wheels = root / "wheels"
    wheels.mkdir()
    _run([sys.executable, "-c", BUILD, str(wheels), *(str(sources / name) for name in packages)])
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "--python", str(python), "install", "--no-index", "--no-deps",
          *map(str, sorted(wheels.glob("*.whl")))])
    return python


def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"{argv} failed:\n{proc.stdout}\n{proc.stderr}"


def shared_tool_venv(name: str, requirements: tuple[str, ...]) -> Path:
    """The tool venv a check type makes for itself (`<repo>/.tower/tools/<name>-<hash>`),
    made once — as a user's first run makes it — and reused by every test session after
    (xdist workers wait on its lock); link a tmp project's .tower/tools to its parent."""
    import time

    from pytest_tower.checks.toolenv import tool_python
    from pytest_tower.core.model import CheckContext

    root = Path(__file__).resolve().parents[2]
    ctx = CheckContext(f"tests::{name}", root, {}, 1200.0, root / ".tower" / "tmp",
                       deadline=time.monotonic() + 1200.0)
    return tool_python(ctx, name, requirements).parent.parent
