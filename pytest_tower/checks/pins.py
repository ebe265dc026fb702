"""The tool versions the check types support, and a check of the one that runs.

Why: a check type reads a tool's output formats and exit codes as one version
range behaves (ruff's default rule set alone changes between minors). A ruff
0.1 found on PATH lints with a fraction of the rules and passes. The ranges are
not repeated here: they are pytest-tower's own requirements (pyproject.toml's
`dependencies`, the one table of pins), read from the installed metadata.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_tower.core.model import ToolError

if TYPE_CHECKING:  # packaging is imported when a version is checked, not at start-up
    from packaging.specifiers import SpecifierSet

_VERSION = re.compile(r"(?<![\w.])v?(\d+(?:\.\d+)+(?:[-.+]?\w+)*)")


@functools.cache
def _requirements() -> list[str]:
    """pytest-tower's own requirement strings: installed metadata, else the checkout's
    pyproject.toml (running from a source tree that was never installed)."""
    try:
        return list(requires("pytest-tower") or [])
    except PackageNotFoundError:
        pass
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    project = data.get("project") or {}
    if project.get("name") != "pytest-tower":
        return []
    return [str(r) for r in project.get("dependencies") or []]


def supported(dist: str) -> SpecifierSet | None:
    """The version range pytest-tower requires of distribution `dist`; None if unknown.
    A tool only one check type drives (mypy) is pinned in an extra, `pytest-tower[mypy]`."""
    from packaging.requirements import InvalidRequirement, Requirement

    in_extra: SpecifierSet | None = None  # a tool of one check type only: an extra's pin
    for text in _requirements():
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        if _canonical(req.name) != _canonical(dist):
            continue
        if req.marker is None:
            return req.specifier
        extra = _EXTRA_ONLY.fullmatch(str(req.marker))
        if extra and _canonical(extra[1]) == _canonical(dist):  # pytest-tower[mypy]
            return req.specifier
        if in_extra is None and extra:
            in_extra = req.specifier
    return in_extra


def check(tool: str, dist: str, version_text: str, *, command: Sequence[str] = (),
          executable: str = "") -> str:
    """`version_text` (the tool's --version line) if it is in the supported range.

    Raises ToolError when it names no version, or one outside the range: the
    output of that tool is not what the check type knows how to read.
    """
    from packaging.version import InvalidVersion, Version

    spec = supported(dist)
    where = f" ({executable})" if executable else ""
    first = next((line.strip() for line in version_text.splitlines() if line.strip()), "")
    match = _VERSION.search(first)
    try:
        found = Version(match[1]) if match else None
    except InvalidVersion:
        found = None
    wanted = _range(spec)
    install = install_hint(dist)
    fix = (f"{install} into the environment pytest-tower runs in (it is installed with "
           "pytest-tower), or set `executable` to a supported one")
    if found is None:
        raise ToolError(f"{tool}{where} did not say which version it is ({first[:80]!r}): "
                        "its output cannot be trusted to mean what this gate reads",
                        command=command, fix=fix)
    if spec is not None and not spec.contains(found, prereleases=True):
        raise ToolError(f"{tool} {found}{where} is not a supported version: pytest-tower "
                        f"reads {tool}{wanted}", command=command, fix=fix)
    return first


def install_hint(*dists: str) -> str:
    """`pip install 'ruff>=0.17,<0.18'`: the install command for the pinned range(s).

    Why here: a check type's fix message must not repeat a version that
    pyproject.toml already pins (it drifted when written twice).
    """
    parts = []
    for dist in dists:
        wanted = _pinned_text(dist)
        parts.append(f"'{dist}{wanted}'" if wanted else dist)
    return "pip install " + " ".join(parts)


def _pinned_text(dist: str) -> str:
    """The range as pinned, `>=0.17,<0.18`, read without packaging (it runs at import:
    every check type's install hint is made when its module loads)."""
    pinned = [(_rank(found[3], dist), found[2]) for text in _requirements()
              if (found := _PLAIN_REQUIREMENT.match(text))
              and _canonical(found[1]) == _canonical(dist)]
    for _, wanted in sorted(pinned, key=lambda p: p[0]):  # unmarked, its own extra, others
        specs = [s.strip() for s in wanted.split(",") if s.strip()]
        return ",".join(sorted(specs, key=lambda s: s[0] != ">"))
    return ""


def _range(spec: SpecifierSet | None) -> str:
    """The specifiers lower bound first: `>=0.17,<0.18`."""
    return ",".join(sorted((str(s) for s in spec or ()), key=lambda s: s[0] != ">"))


_EXTRA_ONLY = re.compile(r"""extra\s*==\s*["']([\w.-]+)["']""")
_PLAIN_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;@]*?)"
                                r"""\s*(?:;\s*extra\s*==\s*["']([\w.-]+)["']\s*)?$""")


def _rank(extra: str | None, dist: str) -> int:
    """Which pin of `dist` counts: the unmarked one, else its own extra's, else any."""
    if not extra:
        return 0
    return 1 if _canonical(extra) == _canonical(dist) else 2


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
