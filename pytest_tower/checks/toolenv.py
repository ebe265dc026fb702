"""An isolated virtualenv for a tool that must not live in the user's environment.

Why: locust ships an auto-loaded pytest plugin (`pytest11` entry point
`locust = pytest_locust.plugin`) that adds `--host/-H` and fixtures named
`session`/`fastsession` to every pytest run of the environment it is
installed in. Blocking it from our plugin is not deterministic (entry points
load in an unspecified order, and once loaded its option and fixtures are
registered), so the load check never puts locust where pytest runs: it keeps
its own venv under `<root>/.tower/tools/<name>-<hash>/`, created on first use
with `python -m venv` and pip, and reused while its requirements are the same.

The venv is built in place under a file lock (two xdist workers may want it at
once) and marked complete by `tower-tool.json` only after pip succeeded; a
venv without that marker is half-built and is made again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pytest_tower.core.fs import locked
from pytest_tower.core.model import CheckContext, ToolError

MARKER = "tower-tool.json"


def tool_python(ctx: CheckContext, name: str, requirements: Sequence[str]) -> Path:
    """The interpreter of the tool venv for `requirements`, made if needed."""
    tag = "\n".join([f"{sys.version_info[0]}.{sys.version_info[1]}", *requirements])
    digest = hashlib.sha256(tag.encode()).hexdigest()[:10]
    tools = ctx.root.resolve() / ".tower" / "tools"
    venv = tools / f"{name}-{digest}"
    python = venv / "bin" / "python"
    if (venv / MARKER).exists():
        return python
    tools.mkdir(parents=True, exist_ok=True)
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
