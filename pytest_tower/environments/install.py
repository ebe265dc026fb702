"""Install a wheel into a release's own venv, offline by default.

`install = "inherit"` (default): the venv is made without pip and a .pth file
lets it see the site-packages of the Python running pytest-tower, so the
wheel is installed with --no-deps --no-index and its dependencies come from
there — fast (no resolver, no venv bootstrap) and offline. Its requirements
are then checked one by one, so a missing dependency fails the deploy with a
clear message instead of at import time. A console script the command needs
(gunicorn) gets a wrapper in the release's bin that runs the release's Python.
`install = "index"`: pip resolves and installs the dependencies from the
package index into the release venv (needs the network, isolated from dev).

Either way the release runs the artifact's code and nothing else: a wheel
with no importable module (metadata only) is refused, and under "inherit"
the development copy of the project's own modules (an ordinary `pip install .`
in the venv that runs pytest-tower) is hidden from the release, so a module
the wheel forgot fails to import instead of being served from the checkout.
"""

from __future__ import annotations

import site
import sys
import sysconfig
import zipfile
from collections.abc import Iterable, Sequence
from importlib.metadata import distributions, entry_points
from pathlib import Path, PurePosixPath

from pytest_tower.core.model import ToolError
from pytest_tower.core.runner import run_tool

CHECK_REQUIREMENTS = """
import sys
from importlib.metadata import PackageNotFoundError, distribution, version
from packaging.requirements import Requirement
missing = []
for text in distribution(sys.argv[1]).requires or []:
    req = Requirement(text)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue
    try:
        found = version(req.name)
    except PackageNotFoundError:
        missing.append(f"{req} (not installed)")
        continue
    if not req.specifier.contains(found, prereleases=True):
        missing.append(f"{req} (found {found})")
print("\\n".join(missing))
sys.exit(1 if missing else 0)
"""

# Imported by _tower_inherit.pth in the release venv: adds the dev site dirs (for the
# dependencies) after the release's own, and answers imports of the project's own
# top-level names from the release's site-packages only.
INHERIT = '''"""Written by pytest-tower (install = "inherit"); see pytest_tower/envs/install.py."""
import sys
from importlib.machinery import PathFinder

_OWN = {own!r}
_HIDDEN = frozenset({hidden!r})


class _ReleaseOnly:
    """The project's own modules come from the deployed wheel, never from the dev venv."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if path is not None or name not in _HIDDEN:
            return None
        spec = PathFinder.find_spec(name, _OWN)
        if spec is None:
            raise ModuleNotFoundError(
                f"No module named {{name!r}} in the deployed wheel (pytest-tower hides the "
                "copy installed where pytest-tower runs, so the release runs only the "
                "artifact's code)", name=name)
        return spec


sys.meta_path.insert(0, _ReleaseOnly)
sys.path.extend(d for d in {dirs!r} if d not in sys.path)
'''

WRAPPER = """#!{python}
import sys
from {module} import {attr}
sys.exit({call}())
"""


def install_release(artifact: Path, venv: Path, mode: str, timeout: float,
                    inherit: Sequence[str] | None = None) -> Path:
    """Make venv, install artifact into it; return the venv's python.

    `inherit`: the site dirs an "inherit" release sees (default: this Python's).
    """
    modules = wheel_modules(artifact)
    cwd = venv.parent
    cwd.mkdir(parents=True, exist_ok=True)
    run_tool([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=cwd,
             timeout=timeout, tool="python -m venv")
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input",
           "--python", str(python), "install", "--quiet"]
    if mode == "inherit":
        own = run_tool([str(python), "-c", "import sysconfig; print(sysconfig.get_path("
                        "'purelib')); print(sysconfig.get_path('platlib'))"], cwd=cwd,
                       timeout=timeout, tool="release python").stdout.split()
        dirs = list(_site_dirs() if inherit is None else inherit)
        hidden = sorted(modules | own_modules(_dist_name(artifact), dirs))
        Path(own[0], "_tower_inherit.py").write_text(
            INHERIT.format(own=list(dict.fromkeys(own)), hidden=hidden, dirs=dirs))
        (Path(own[0]) / "_tower_inherit.pth").write_text("import _tower_inherit\n")
        pip += ["--no-deps", "--no-index"]
    run_tool([*pip, str(artifact)], cwd=cwd, timeout=timeout, tool="pip install",
             fix="check that the artifact is a wheel built for this Python")
    if mode == "inherit":
        run_tool([str(python), "-c", CHECK_REQUIREMENTS, _dist_name(artifact)], cwd=cwd,
                 timeout=timeout, tool="requirements check",
                 fix="install the missing dependencies into the Python that runs pytest-tower, "
                 'or set install = "index" to install them from the package index')
    return python


def resolve_command(name: str, bin_dir: Path, mode: str) -> str | None:
    """argv[0] in the release's bin, else a wrapper for an inherited console script."""
    if "/" in name:
        return None
    candidate = bin_dir / name
    if candidate.exists():
        return str(candidate)
    if mode != "inherit":
        return None
    found = list(entry_points(group="console_scripts", name=name))
    if not found:
        return None
    module, _, attr = found[0].value.partition(":")
    attr = attr.strip() or "main"
    candidate.write_text(WRAPPER.format(python=bin_dir / "python", module=module.strip(),
                                        attr=attr.split(".")[0], call=attr))
    candidate.chmod(0o755)
    return str(candidate)


def wheel_modules(artifact: Path) -> set[str]:
    """The top-level import names a wheel installs; none is an error, not a release.

    A wheel of metadata only (a build config that includes nothing) would run
    whatever copy of the app the environment happens to have.
    """
    try:
        with zipfile.ZipFile(artifact) as wheel:
            names = wheel.namelist()
    except (OSError, zipfile.BadZipFile) as exc:
        raise ToolError(f"cannot read the wheel {artifact.name}: {exc}",
                        fix="rebuild it with the package check") from None
    modules = _top_modules(names)
    if not modules:
        shown = ", ".join(names[:6]) + (" ..." if len(names) > 6 else "")
        raise ToolError(
            f"the wheel {artifact.name} holds no importable module (only {shown}): a "
            "release of it could only run code from somewhere else",
            fix="check the build backend's include settings (e.g. [tool.hatch.build."
                "targets.wheel] packages/only-include, [tool.setuptools] packages)")
    return modules


def own_modules(dist: str, dirs: Sequence[str]) -> set[str]:
    """The top-level names the project's own distribution has installed in `dirs`."""
    wanted, names = _normal(dist), set()
    for found in distributions(path=list(dirs)):
        if _normal(found.metadata["Name"] or "") == wanted:
            names |= set((found.read_text("top_level.txt") or "").split())
            names |= _top_modules(str(f) for f in found.files or ())
    return names


def _normal(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


_CODE = (".py", ".pyc", ".so", ".pyd")


def _top_modules(paths: Iterable[str]) -> set[str]:
    """Top-level modules and packages among a wheel's (or RECORD's) file paths."""
    found = set()
    for path in paths:
        parts = list(PurePosixPath(path).parts)
        if len(parts) >= 3 and parts[0].endswith(".data") and parts[1] in ("purelib",
                                                                             "platlib"):
            parts = parts[2:]
        if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith(
                (".dist-info", ".data", ".egg-info")) or not parts[-1].endswith(_CODE):
            continue
        name = parts[0].split(".")[0] if len(parts) == 1 else parts[0]
        if name.isidentifier():
            found.add(name)
    return found


def _site_dirs() -> list[str]:
    dirs = [sysconfig.get_path("purelib"), sysconfig.get_path("platlib"), *site.getsitepackages()]
    return list(dict.fromkeys(d for d in dirs if d and Path(d).is_dir()))


def _dist_name(artifact: Path) -> str:
    return artifact.name.split("-")[0]
