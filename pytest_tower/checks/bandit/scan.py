"""Run bandit over a file list in parallel shards and merge the JSON reports.

bandit is single-threaded (about 14 s for 500 files), so the gate finds the
files itself, as bandit would, splits them into one shard per core and runs
one bandit per shard. Each shard writes its report into a fresh temporary
file (`-o`): a report left over from an earlier run is never read.
"""

from __future__ import annotations

import configparser
import fnmatch
import json
import os
import re
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any, TypeGuard

import pytest_tower.checks.pins as _pins
from pytest_tower.core.model import CheckContext, ToolError

# bandit's own default `-x` (bandit/core/constants.py), matched bandit's way.
BANDIT_EXCLUDES = (".svn", "CVS", ".bzr", ".hg", ".git", "__pycache__", ".tox", ".eggs", "*.egg")
# Folders bandit would scan but nobody means to: matched as whole path parts.
EXTRA_EXCLUDES = (".venv", "venv", "build", "dist", "node_modules", ".nox", "site-packages")
SMALL_TREE = 40  # below this, one bandit process is faster than several
MAX_PER_SHARD = 2000  # keeps each command line far below the OS limit
INSTALL = _pins.install_hint("bandit") + " (pytest-tower installs it), or set executable"
TOTALS = "_totals"
_TEST_LINE = re.compile(r"^\s+(?P<id>B\d{3})\s+(?P<name>\w+)\s*$")


def find_ini(root: Path, paths: Sequence[str]) -> Path | None:
    """The project's `.bandit` file, in the root or at the top of a scanned folder."""
    found = sorted({f.resolve() for f in (root / q / ".bandit" for q in (".", *paths))
                    if f.is_file()})
    if len(found) > 1:
        raise ToolError("several .bandit files apply: " + ", ".join(map(str, found)),
                        fix="keep one .bandit file, as bandit itself requires")
    return found[0] if found else None


def ini_excludes(ini: Path | None) -> list[str] | None:
    """The `exclude` of a .bandit file, which replaces bandit's default excludes."""
    if ini is None:
        return None
    parser = configparser.ConfigParser()
    try:
        parser.read(ini, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ToolError(f"cannot read {ini}: {exc}", fix="fix the .bandit file") from None
    value = parser.get("bandit", "exclude", fallback="")
    return [v.strip() for v in value.split(",") if v.strip()] or None


def discover(root: Path, paths: Sequence[str], own_excludes: Sequence[str],
             bandit_excludes: Sequence[str]) -> list[str]:
    """The files bandit -r would scan, relative to root, in a stable order.

    `own_excludes` match whole path parts ("build") or globs; `bandit_excludes`
    match the way bandit matches its `-x` (a glob, or a substring of the path),
    so that bandit does not drop a file we pass it explicitly.
    """
    rules = [(p.rstrip("/") + "/*") if (root / p).is_dir() else p for p in bandit_excludes]
    globs = [r for r in rules if _is_glob(r)]
    words = [r for r in rules if not _is_glob(r)]

    def own(rel: str, below: str) -> bool:
        # Folder names count only below the scanned path: paths = ["build/lib"] scans.
        parts = PurePosixPath(below).parts
        for pattern in (p.strip("/") for p in own_excludes):
            if _is_glob(pattern):
                if fnmatch.fnmatch(rel, pattern) or any(fnmatch.fnmatch(p, pattern)
                                                        for p in parts):
                    return True
            elif "/" in pattern:
                if rel.rstrip("/") == pattern or rel.startswith(pattern + "/"):
                    return True
            elif pattern in parts:
                return True
        return any(w in rel for w in words)  # bandit's substring match: safe to prune

    def excluded(rel: str, below: str) -> bool:
        return own(rel, below) or any(fnmatch.fnmatch(rel, g) for g in globs)

    files: set[str] = set()
    for path in paths:
        target = root / path
        if target.is_file():
            rel = _rel(target, root)
            if not excluded(rel, ""):
                files.add(rel)
            continue
        for folder, dirs, names in os.walk(target):
            here, below = _rel(Path(folder), root), _rel(Path(folder), target)
            dirs[:] = [d for d in dirs if not own(_join(here, d) + "/", _join(below, d))]
            files.update(rel for n in names if n.endswith(".py")
                         for rel in [_join(here, n)] if not excluded(rel, _join(below, n)))
    return sorted(files)


def shards(root: Path, files: Sequence[str], jobs: int) -> list[list[str]]:
    """Split files into balanced shards (largest first onto the lightest shard).

    A large tree gets two shards per process, so a process slowed by a busy
    machine hands work to the others instead of holding up the whole scan.
    """
    per_job = 2 if jobs > 1 and len(files) >= 4 * SMALL_TREE else 1
    count = 1 if len(files) < SMALL_TREE else jobs * per_job
    count = max(1, min(max(count, -(-len(files) // MAX_PER_SHARD)), len(files)))
    buckets: list[list[str]] = [[] for _ in range(count)]
    loads = [0] * count
    for size, name in sorted(((_size(root / f), f) for f in files), key=lambda t: (-t[0], t[1])):
        i = loads.index(min(loads))
        buckets[i].append(name)
        loads[i] += size + 2048  # a small file still costs bandit some work
    return [sorted(b) for b in buckets if b]


def scan(ctx: CheckContext, exe: str, parts: list[list[str]], extra: Sequence[str],
         jobs: int) -> tuple[dict[str, Any], str, dict[str, str]]:
    """Run the shards, `jobs` at a time; the merged report, bandit's version and its tests."""
    with tempfile.TemporaryDirectory(prefix="tower-bandit-") as tmp, \
            ThreadPoolExecutor(max_workers=1) as side, \
            ThreadPoolExecutor(max_workers=max(1, min(jobs, len(parts)))) as pool:
        version = side.submit(ctx.run, [exe, "--version"], tool="bandit", fix=INSTALL)
        listing = side.submit(ctx.run, [exe, "-h"], tool="bandit", fix=INSTALL)
        futures = [pool.submit(_one, ctx, exe, files, extra, Path(tmp) / f"shard{i}.json")
                   for i, files in enumerate(parts)]
        try:
            reports = [f.result() for f in futures]
        finally:
            for f in futures:
                f.cancel()
        said = version.result()
        tests = known_tests(listing.result().stdout)
    checked = _pins.check("bandit", "bandit", said.stdout, command=said.argv,
                          executable=said.argv[0])
    return merge(reports), checked, tests


def known_tests(help_text: str) -> dict[str, str]:
    """Test id -> name, from the list that ends `bandit -h`; empty if it has none."""
    found = (_TEST_LINE.match(line) for line in help_text.splitlines())
    return {m["id"]: m["name"] for m in found if m}


def _one(ctx: CheckContext, exe: str, files: list[str], extra: Sequence[str],
         out: Path) -> dict[str, Any]:
    # `-x ""`: the files are already chosen, bandit must not drop any of them.
    argv = [exe, "-f", "json", "-q", "-o", str(out), "-x", "", *extra, "--", *files]
    run = ctx.run(argv, ok_codes=(0, 1), tool="bandit", fix=INSTALL)
    report: dict[str, Any] | None = None
    problem = "bandit's report lacks results/errors/metrics"
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problem = "bandit wrote no report"
    except (OSError, ValueError) as exc:
        problem = f"bandit's report is not JSON ({exc})"
    else:
        if _is_report(data):
            report = data
    if report is None:
        raise ToolError(problem + (f"; stdout: {run.stdout[:200]!r}" if run.stdout else ""),
                        command=run.argv, stderr=run.stderr,
                        fix="make sure `executable` is bandit >= 1.9 and nothing wraps it")
    seen = {os.path.normpath(k) for k in report["metrics"] if k != TOTALS}
    seen |= {os.path.normpath(str(e.get("filename"))) for e in report["errors"]
             if isinstance(e, dict)}
    skipped = [f for f in files if os.path.normpath(f) not in seen]
    if skipped:
        raise ToolError(f"bandit silently skipped {len(skipped)} file(s): "
                        + ", ".join(skipped[:10]), command=[*run.argv[:8], "..."],
                        stderr=run.stderr, fix="check the project's bandit config excludes")
    return report


def _is_report(data: Any) -> TypeGuard[dict[str, Any]]:
    return (isinstance(data, dict) and isinstance(data.get("results"), list)
            and isinstance(data.get("errors"), list) and isinstance(data.get("metrics"), dict)
            and all(isinstance(r, dict) for r in data["results"]))


def merge(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One report as a single bandit run would write it (totals summed)."""
    metrics: dict[str, Any] = {}
    totals: dict[str, float] = {}
    results: list[dict[str, Any]] = []
    errors: list[Any] = []
    for report in reports:
        for name, values in report["metrics"].items():
            if name == TOTALS:
                for key, value in (values or {}).items():
                    if isinstance(value, (int, float)):
                        totals[key] = totals.get(key, 0) + value
            else:
                metrics[name] = values
        results.extend(report["results"])
        errors.extend(report["errors"])
    results.sort(key=lambda r: (str(r.get("filename")), r.get("line_number") or 0,
                                str(r.get("test_id")), r.get("col_offset") or 0))
    metrics[TOTALS] = totals
    return {"errors": errors, "metrics": metrics, "results": results}


def _is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def _rel(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _join(folder: str, name: str) -> str:
    return name if folder == "." else f"{folder}/{name}"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
