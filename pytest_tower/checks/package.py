"""Build gate: the deployment package, a wheel made by the standard build frontend.

`python -m build --wheel` builds in an isolated environment whose build
backend comes from the package index (`isolated = false` uses the backend
installed beside pytest-tower instead, for offline machines). The wheel is
the artifact every environment gets, byte for byte: its path and sha256 go
into the report. Fail-closed: no wheel, or more than one, is an error, and so
is a file named *.whl that is not a valid wheel (no .dist-info WHEEL,
METADATA and RECORD) — a backend that exits 0 without building is caught.
"""

from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path

from pytest_tower.checks.pins import install_hint
from pytest_tower.core.model import (
    BYTES,
    CheckContext,
    CheckType,
    Measurement,
    MetricSpec,
    Option,
    ToolError,
)
from pytest_tower.core.names import table_label
from pytest_tower.environments.install import _top_modules

INSTALL = install_hint("build") + " (pytest-tower installs it)"


def run(ctx: CheckContext) -> Measurement:
    project = (ctx.root / ctx.options["path"]).resolve()
    if not (project / "pyproject.toml").is_file() and not (project / "setup.py").is_file():
        raise ToolError(f"nothing to build at {project}: no pyproject.toml (or setup.py)",
                        fix=f"set `path` in {table_label(ctx.check_id)} to the "
                        "project folder")
    outdir = ctx.artifacts_dir / "dist"
    outdir.mkdir(parents=True, exist_ok=True)
    for stale in outdir.glob("*.whl"):
        stale.unlink()
    argv = [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir)]
    if not ctx.options["isolated"]:
        argv.append("--no-isolation")
    ctx.progress(f"building a wheel of {project.name}")
    result = ctx.run([*argv, str(project)], tool="build", fix=INSTALL + "; read the build "
                     "output above, or set isolated = false if the index cannot be reached")
    wheels = sorted(outdir.glob("*.whl"))
    if len(wheels) != 1:
        raise ToolError(
            f"the build made {len(wheels)} wheels ({', '.join(w.name for w in wheels) or 'none'})"
            ", expected exactly one",
            command=result.argv, stderr=result.stderr or result.stdout,
            fix="check the build backend's configuration in pyproject.toml")
    return _measure(wheels[0], ctx.root, _version(ctx))


def _measure(wheel: Path, root: Path, tool: str) -> Measurement:
    try:
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ToolError(f"the built wheel {wheel.name} is not a valid zip file: {exc}") from None
    if bad is not None:
        raise ToolError(f"the built wheel {wheel.name} is corrupt (bad member {bad})")
    meta = {n.split("/", 1)[1] for n in names
            if n.count("/") == 1 and n.split("/", 1)[0].endswith(".dist-info")}
    lacking = sorted({"WHEEL", "METADATA", "RECORD"} - meta)
    if lacking:
        raise ToolError(f"the built wheel {wheel.name} is not a wheel: no .dist-info/"
                        f"{', '.join(lacking)} among its {len(names)} entries",
                        fix="check the build backend in pyproject.toml [build-system]")
    files = len(names)
    modules = _top_modules(names)
    if not modules:
        shown = ", ".join(names[:6]) + (" ..." if len(names) > 6 else "")
        raise ToolError(
            f"the built wheel {wheel.name} holds no importable module (only {shown}): a "
            "wheel of metadata only is not a build of the project, whether or not an "
            "environment deploys it",
            fix="check the build backend's include settings (e.g. [tool.hatch.build."
                "targets.wheel] packages/only-include, [tool.setuptools] packages)")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    try:
        shown = wheel.relative_to(root).as_posix()
    except ValueError:
        shown = str(wheel)
    return Measurement(
        metrics={"size": float(wheel.stat().st_size), "files": float(files),
                 "modules": float(len(modules))},
        tool=tool,
        artifacts={"wheel": shown, "sha256": digest},
        notes=[f"wheel {shown}", f"sha256 {digest}"],
    )


def _version(ctx: CheckContext) -> str:
    out = ctx.run([sys.executable, "-m", "build", "--version"], tool="build", fix=INSTALL)
    return out.stdout.strip().split(" (")[0] or "build (unknown version)"


CHECK_TYPE = CheckType(
    name="package",
    run=run,
    install=INSTALL,
    help="Build the deployment package: a wheel of the project (python -m build --wheel).",
    metrics=[
        MetricSpec("size", unit=BYTES, help="size of the wheel"),
        MetricSpec("files", help="entries in the wheel"),
        MetricSpec("modules", help="top-level importable modules and packages in the wheel "
                   "(none is an error: a metadata-only wheel is not a build)"),
    ],
    options={
        "path": Option("str", "the project folder, relative to gates.toml", default="."),
        "isolated": Option("bool", "build in an isolated environment (the backend comes from "
                           "the package index); false: use the installed backend",
                           default=True),
    },
    default_conditions=["files > 0"],
    default_timeout=300.0,
)
