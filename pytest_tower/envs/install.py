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
"""

from __future__ import annotations

import site
import sys
import sysconfig
from importlib.metadata import entry_points
from pathlib import Path

from pytest_tower.runner import run_tool

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

WRAPPER = """#!{python}
import sys
from {module} import {attr}
sys.exit({call}())
"""


def install_release(artifact: Path, venv: Path, mode: str, timeout: float) -> Path:
    """Make venv, install artifact into it; return the venv's python."""
    cwd = venv.parent
    cwd.mkdir(parents=True, exist_ok=True)
    run_tool([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=cwd,
             timeout=timeout, tool="python -m venv")
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input",
           "--python", str(python), "install", "--quiet"]
    if mode == "inherit":
        purelib = run_tool([str(python), "-c", "import sysconfig; print(sysconfig."
                            "get_path('purelib'))"], cwd=cwd, timeout=timeout,
                           tool="release python").stdout.strip()
        (Path(purelib) / "_tower_inherit.pth").write_text("\n".join(_site_dirs()) + "\n")
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


def _site_dirs() -> list[str]:
    dirs = [sysconfig.get_path("purelib"), sysconfig.get_path("platlib"), *site.getsitepackages()]
    return list(dict.fromkeys(d for d in dirs if d and Path(d).is_dir()))


def _dist_name(artifact: Path) -> str:
    return artifact.name.split("-")[0]
