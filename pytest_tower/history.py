"""The run history: one JSON line per `pytest --tower` run, for trends and the page.

Runs of the same project may finish at the same time (two terminals, CI
jobs on one runner), so every change happens under an exclusive `flock` on
a lock file beside the history, each run is appended in one `write`, and a
trim rewrites the file to a temporary one renamed over it. A line that is
still broken (a disk that filled, a hand edit) is skipped and counted by the
reader, never fatal: history is for looking back, not a reason to fail.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pytest_tower.atomic import write_bytes_atomic

DEFAULT_HISTORY = Path(".tower") / "history.jsonl"
DURATION = "duration"  # the series of the whole gate's duration_s
_CHECK_KEYS = ("id", "stage", "check", "tool", "verdict", "metrics", "duration_s")


class History(list[dict[str, Any]]):
    """Runs oldest first; `skipped` counts lines that were not a run."""

    skipped: int = 0


def history_entry(report: Mapping[str, Any], branch: str | None) -> dict[str, Any]:
    """What one run leaves in history: no findings or messages, only what trends need."""
    return {
        "schema": report.get("schema", 1),
        "verdict": report.get("verdict"),
        "started": report.get("started"),
        "duration_s": report.get("duration_s"),
        "commit": (report.get("project") or {}).get("commit"),
        "branch": branch,
        "checks": [{k: c.get(k) for k in _CHECK_KEYS} for c in report.get("checks", [])],
    }


def append_history(path: Path, report: Mapping[str, Any], keep: int | None = None) -> None:
    """Append this run; with `keep`, only the newest `keep` runs stay."""
    if keep is not None and keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    root = (report.get("project") or {}).get("root")
    entry = history_entry(report, git_branch(Path(root) if root else path.parent))
    data = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path, fcntl.LOCK_EX):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            _heal_last_line(fd, path)
            written = os.write(fd, data)
            if written != len(data):  # a full disk: say so rather than leave half a run
                raise OSError(f"wrote {written} of {len(data)} bytes to {path}")
            os.fsync(fd)
        finally:
            os.close(fd)
        if keep is not None:
            _trim(path, keep)


def read_history(path: Path) -> History:
    """Every run recorded in `path`, oldest first; a missing file is an empty history."""
    runs = History()
    if not path.exists():
        return runs
    with _locked(path, fcntl.LOCK_SH):
        raw = path.read_bytes()
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            run = json.loads(line)
        except ValueError:
            runs.skipped += 1
            continue
        if isinstance(run, dict) and isinstance(run.get("checks", []), list):
            runs.append(run)
        else:
            runs.skipped += 1
    return runs


def git_branch(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=root,
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


# -- series: what trends are drawn from ---------------------------------------
def series_keys(runs: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every `stage::check:metric` seen in `runs`, in first-seen order, then `duration`."""
    keys: dict[str, None] = {}
    for run in runs:
        for c in run.get("checks") or []:
            for metric in c.get("metrics") or {}:
                keys[f"{c.get('stage')}::{c.get('check')}:{metric}"] = None
    return [*keys, DURATION]


def resolve_series(runs: Sequence[Mapping[str, Any]], name: str) -> list[str]:
    """The series a user means: `lint::ruff:violations` exactly, or every check's `violations`."""
    keys = series_keys(runs)
    if name in keys:
        return [name]
    return [k for k in keys if k != DURATION and k.rsplit(":", 1)[1] == name]


def series_values(runs: Sequence[Mapping[str, Any]], key: str) -> list[float | None]:
    """One value per run (None where that run has no such value), oldest first."""
    if key == DURATION:
        return [_number(run.get("duration_s")) for run in runs]
    check_id, metric = key.rsplit(":", 1)
    values: list[float | None] = []
    for run in runs:
        found = None
        for c in run.get("checks") or []:
            if f"{c.get('stage')}::{c.get('check')}" == check_id:
                found = _number((c.get("metrics") or {}).get(metric))
                break
        values.append(found)
    return values


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


# -- locking and trimming -------------------------------------------------------
@contextmanager
def _locked(path: Path, mode: int) -> Iterator[None]:
    lock = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        if mode == fcntl.LOCK_EX:
            raise
        yield  # a read-only copy (an artifact): nobody writes there, read it as it is
        return
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _heal_last_line(fd: int, path: Path) -> None:
    """A run that died mid-write left no newline: end that line so ours stays whole."""
    size = os.fstat(fd).st_size
    if size:
        with path.open("rb") as fh:
            fh.seek(size - 1)
            if fh.read(1) != b"\n":
                os.write(fd, b"\n")


def _trim(path: Path, keep: int) -> None:
    lines = [line for line in path.read_bytes().splitlines(keepends=True) if line.strip()]
    if len(lines) <= keep:
        return
    write_bytes_atomic(path, b"".join(lines[-keep:]))
