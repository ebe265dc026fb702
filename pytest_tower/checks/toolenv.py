"""An isolated virtualenv for a tool that must not live in the user's environment.

Why: locust ships an auto-loaded pytest plugin (`pytest11` entry point
`locust = pytest_locust.plugin`) that adds `--host/-H` and fixtures named
`session`/`fastsession` to every pytest run of the environment it is
installed in. Blocking it from our plugin is not deterministic (entry points
load in an unspecified order, and once loaded its option and fixtures are
registered), so the load check never puts locust where pytest runs: it keeps
its own venv under `<root>/.tower/tools/<name>-<hash>/`, created on first use
with `python -m venv` and pip, and reused while its requirements are the same
(`$TOWER_TOOLS` moves that folder out of the project, e.g. to a CI cache).

The venv is built in place under a file lock (two xdist workers may want it at
once) and marked complete by `tower-tool.json` only after pip succeeded; a
venv without that marker is half-built and is made again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pytest_tower.core.fs import locked
from pytest_tower.core.model import CheckContext, ToolError

MARKER = "tower-tool.json"
TOOLS_ENV = "TOWER_TOOLS"


def tools_folder(ctx: CheckContext) -> Path:
    """Where tool venvs live: `$TOWER_TOOLS` when set (one folder shared by every
    project of a machine, or a CI cache), else `<root>/.tower/tools`. A venv's name
    holds the hash of its Python version and requirements, so sharing is safe."""
    shared = os.environ.get(TOOLS_ENV, "").strip()
    if shared:
        return Path(shared).expanduser().resolve()
    # resolved whole: a venv's scripts name their interpreter by the path it was made
    # at, so a linked .tower/tools must not leave the link's path in them
    return (ctx.root / ".tower" / "tools").resolve()


def venv_for(ctx: CheckContext, name: str, requirements: Sequence[str]) -> Path:
    """The folder of the tool venv for `requirements` under this Python version."""
    tag = "\n".join([f"{sys.version_info[0]}.{sys.version_info[1]}", *requirements])
    digest = hashlib.sha256(tag.encode()).hexdigest()[:10]
    return tools_folder(ctx) / f"{name}-{digest}"


def tool_python(ctx: CheckContext, name: str, requirements: Sequence[str]) -> Path:
    """The interpreter of the tool venv for `requirements`, made if needed."""
    venv = venv_for(ctx, name, requirements)
    tools = venv.parent
    python = venv / "bin" / "python"
    if (venv / MARKER).exists():
        return python
    try:
        tools.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file or a dangling link where the folder should be
        raise ToolError(f"cannot make the tool folder {tools}: {exc.strerror or exc}",
                        fix=f"remove or repair {tools}, or set ${TOOLS_ENV} to a "
                            "writable folder") from exc
    with locked(tools / f"{name}.lock"):
        if (venv / MARKER).exists():  # another process made it while we waited
            return python
        shutil.rmtree(venv, ignore_errors=True)
        fix = (f"check that pip can reach the package index, or set `python` to an "
               f"interpreter that has {' '.join(requirements)}")
        ctx.run([sys.executable, "-m", "venv", str(venv)], tool="venv",
                fix="install Python's venv module (e.g. the python3-venv package)")
        ctx.run([str(python), "-m", "pip", "install", "--disable-pip-version-check",
                 "--quiet", *requirements], tool="pip", fix=fix)
        (venv / MARKER).write_text(json.dumps({"requirements": list(requirements),
                                               "created": time.time()}))
    return python


def installed_version(ctx: CheckContext, python: str, dist: str, fix: str) -> str:
    """The version of distribution `dist` in `python`, or ToolError if it is not there.

    Reads metadata only: importing locust here would cost a gevent patch per probe.
    """
    probe = f"import importlib.metadata as m; print(m.version({dist!r}))"
    run = ctx.run([python, "-c", probe], ok_codes=(0, 1), tool=Path(python).name, fix=fix)
    if run.returncode != 0:
        raise ToolError(f"{dist} is not installed for {python}", command=run.argv,
                        stderr=run.stderr, fix=fix)
    return run.stdout.strip()


def interpreter(ctx: CheckContext, name: str, requirements: Sequence[str]) -> tuple[str, str]:
    """(python, version of the tool): the check's `python` option, else its own tool venv.

    `requirements[0]` is the tool's pinned requirement (`schemathesis>=4.32,<5`): a
    version outside it is an error, since its reports may not read as this gate reads
    them (a `python` the user chose may hold any version).
    """
    from packaging.requirements import Requirement

    from pytest_tower.core.runner import find_executable

    wanted = Requirement(requirements[0])
    fix = f"pip install '{wanted}' into that interpreter's environment"
    python = ctx.options.get("python") or ""
    if python:
        found = find_executable(python, ctx.root)
        if found is None:
            raise ToolError(f"python = {python!r}: no such interpreter", fix=fix)
        python = found
        version = installed_version(ctx, python, wanted.name, fix)
    else:
        python = str(tool_python(ctx, name, requirements))
        fix = f"delete {tools_folder(ctx) / name}-* and rerun, or set `python`"
        version = _own_version(ctx, Path(python).parent.parent, wanted.name, fix)
    if not wanted.specifier.contains(version, prereleases=True):
        raise ToolError(f"{wanted.name} {version} ({python}) is not a supported version: "
                        f"pytest-tower reads {wanted}", fix=fix)
    return python, version


def _own_version(ctx: CheckContext, venv: Path, dist: str, fix: str) -> str:
    """The tool's version in our own venv: asked once (a Python start-up, 0.1-0.5 s), then
    read from `tower-versions.json` beside the marker; nobody else installs into it."""
    from pytest_tower.core.fs import write_json_atomic

    cache = venv / "tower-versions.json"
    try:
        known = json.loads(cache.read_text())
        if isinstance(known.get(dist), str):
            return str(known[dist])
    except (OSError, ValueError, AttributeError):
        pass
    version = installed_version(ctx, str(venv / "bin" / "python"), dist, fix)
    write_json_atomic(cache, {dist: version})
    return version
