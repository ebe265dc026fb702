"""What is installed in an environment, read by running that environment's python.

The one distribution lister: licenses, sbom and pip-audit (its local packages)
all read the environment through `read_environment`.

The default environment (the one pytest runs in) goes through the same
subprocess as any other, so there is one code path to trust. The script
drops the current directory from sys.path, as cyclonedx-py does, so a
project's own *.egg-info lying in its root is not mistaken for an install.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pytest_tower.core.model import CheckContext, ToolError
from pytest_tower.core.names import table_label

MARKER = "TOWER-DISTRIBUTIONS "
# Runs in the audited interpreter: keep it compatible with old Pythons (3.8+).
SCRIPT = r"""
import json, os, sys
from importlib.metadata import distributions
path = list(sys.path)
if path and path[0] in ("", os.getcwd()):
    path.pop(0)
found = []
for dist in distributions(path=path):
    where = str(getattr(dist, "_path", ""))
    try:
        meta = dist.metadata
        direct = json.loads(dist.read_text("direct_url.json") or "{}")
        local = direct.get("url") if "dir_info" in direct else None  # PEP 610
        found.append({"name": meta.get("Name"), "version": meta.get("Version"),
                      "license_expression": meta.get("License-Expression"),
                      "license": meta.get("License"),
                      "classifiers": meta.get_all("Classifier") or [], "where": where,
                      "local_url": local if str(local).startswith("file:") else None})
    except Exception as exc:
        found.append({"name": None, "version": None, "error": repr(exc), "where": where})
print("TOWER-DISTRIBUTIONS " + json.dumps({"python": sys.executable, "distributions": found}))
"""


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str
    license_expression: str | None = None
    license: str | None = None
    classifiers: tuple[str, ...] = ()
    where: str = ""
    error: str = ""
    local_url: str = ""  # installed from a local directory (PEP 610 dir_info): its file: URL

    @property
    def key(self) -> str:
        return canonical_name(self.name)


@dataclass
class Environment:
    python: str
    distributions: list[Distribution] = field(default_factory=list)


def canonical_name(name: str) -> str:
    """PEP 503 normalisation: 'Foo_Bar' and 'foo-bar' are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def python_of(ctx: CheckContext) -> str:
    """The interpreter to audit: the `python` option, else the one pytest runs in.

    A folder (a venv given instead of its interpreter) is an error that names the
    interpreter inside it, if there is one, rather than "not installed".
    """
    python = ctx.options.get("python") or sys.executable
    path = Path(python) if Path(python).is_absolute() else ctx.root / python
    if path.is_dir():
        inside = path / "bin" / "python"
        raise ToolError(
            f"python = {python!r} is a folder, not an interpreter",
            fix=f"set `python` in {table_label(ctx.check_id)} to "
            + (f"{python.rstrip('/')}/bin/python" if inside.exists()
               else "the interpreter of the environment to audit, e.g. \".venv/bin/python\""))
    return python


def read_environment(ctx: CheckContext, python: str) -> Environment:
    """Every distribution importable in `python`'s environment, first one of a name wins."""
    fix = (f"set `python` in {table_label(ctx.check_id)} to the interpreter of the "
           "environment to audit, e.g. \".venv/bin/python\"")
    run = ctx.run([python, "-c", SCRIPT], tool="python", fix=fix)
    line = next((ln for ln in reversed(run.stdout.splitlines()) if ln.startswith(MARKER)), None)
    try:
        if line is None:
            raise TypeError("no marker line")
        data = json.loads(line[len(MARKER):])
        env = Environment(str(data["python"]))
        seen: set[str] = set()
        for item in data["distributions"]:
            name = item.get("name") or Path(item.get("where") or "unnamed").name
            dist = Distribution(
                name=str(name), version=str(item.get("version") or "?"),
                license_expression=item.get("license_expression"),
                license=item.get("license"),
                classifiers=tuple(item.get("classifiers") or ()),
                where=str(item.get("where") or ""), error=str(item.get("error") or ""),
                local_url=str(item.get("local_url") or ""),
            )
            if dist.key not in seen:
                seen.add(dist.key)
                env.distributions.append(dist)
    except (TypeError, KeyError, AttributeError, json.JSONDecodeError):
        raise ToolError(
            f"{python} did not list its installed distributions",
            command=run.argv, stderr=run.stderr or run.stdout,
            fix="make sure `python` is a Python 3.8+ interpreter",
        ) from None
    env.distributions.sort(key=lambda d: d.key)
    return env
