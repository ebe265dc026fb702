"""The run history: one JSON line per `pytest --tower` run, for trends and the page.

Runs of the same project may finish at the same time (two terminals, CI
jobs on one runner), so every change happens under an exclusive `flock` on
a lock file beside the history, each run is appended in one `write`, and a
trim rewrites the file to a temporary one renamed over it. A line that is
still broken (a disk that filled, a hand edit) is skipped and counted by the
reader, never fatal: history is for looking back, not a reason to fail.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_tower.core.fs import LockTimeout, locked, output_target, write_bytes_atomic
from pytest_tower.core.names import check_key
from pytest_tower.core.runner import git_output

HISTORY_LOCK_TIMEOUT = 30.0  # seconds: a hung run elsewhere must not hang this one
DEFAULT_HISTORY = Path(".tower") / "history.jsonl"
DURATION = "duration"  # the series of the whole gate's duration_s
_CHECK_KEYS = ("id", "stage", "check", "tool", "verdict", "metrics", "duration_s")


class History(list[dict[str, Any]]):
    """Runs oldest first; `skipped` counts lines that were not a run, `problem` says why
    the file could not be read at all (then the history is empty)."""

    skipped: int = 0
    problem: str = ""
    events: list[dict[str, Any]]  # lines with an "event" (a rollback on demand), oldest first

    def __init__(self) -> None:
        super().__init__()
        self.events = []

    @property
    def note(self) -> str:
        """One line for whoever shows this history: what was not read, or ''."""
        if self.problem:
            return self.problem
        if self.skipped:
            return (f"{self.skipped} unreadable line{'s' if self.skipped != 1 else ''} "
                    "of history skipped")
        return ""


def history_entry(report: Mapping[str, Any], branch: str | None) -> dict[str, Any]:
    """What one run leaves in history: no findings or messages, only what trends need."""
    return {
        "schema": report.get("schema", 1),
        "verdict": report.get("verdict"),
        "started": report.get("started"),
        "duration_s": report.get("duration_s"),
        "commit": (report.get("project") or {}).get("commit"),
        "branch": branch,
        "checks": [_check_entry(c) for c in report.get("checks", [])],
    }


def _check_entry(check: Mapping[str, Any]) -> dict[str, Any]:
    """A check as history keeps it; a NaN or Infinity metric is left out, so the line
    stays one every reader takes (read_history skips lines that hold one)."""
    entry = {k: check.get(k) for k in _CHECK_KEYS}
    if isinstance(entry["metrics"], dict):
        entry["metrics"] = {k: v for k, v in entry["metrics"].items() if not _non_finite(v)}
    if _non_finite(entry["duration_s"]):
        entry["duration_s"] = None
    return entry


def append_history(path: Path, report: Mapping[str, Any], keep: int | None = None) -> None:
    """Append this run; with `keep`, only the newest `keep` runs stay."""
    if keep is not None and keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    root = (report.get("project") or {}).get("root")
    entry = history_entry(report, git_branch(Path(root) if root else path.parent))
    _append(path, entry, keep)


def append_event(path: Path, event: Mapping[str, Any]) -> None:
    """Append an event that is not a run (`{"event": "rollback", ...}`): readers keep
    events apart from runs, so trends and the last run are never one of them."""
    _append(path, event, None)


def _append(path: Path, entry: Mapping[str, Any], keep: int | None) -> None:
    data = (json.dumps(entry, separators=(",", ":")) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path = output_target(path)  # a symlink is followed; a FIFO or device is refused
    try:
        with locked(_lock_file(path), timeout=HISTORY_LOCK_TIMEOUT,
                    holder=f"pytest-tower run, pid {os.getpid()}"):
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
    except LockTimeout as exc:  # a hung run elsewhere: an error verdict, not a hang
        raise OSError(f"history locked by another run ({exc.holder or 'unknown holder'}) for "
                      f"{HISTORY_LOCK_TIMEOUT:.0f} s: {_lock_file(path)}; this run was not "
                      "recorded") from None


def read_history(path: Path) -> History:
    """Every run recorded in `path`, oldest first; a missing file is an empty history."""
    runs = History()
    if not path.exists():
        return runs
    try:
        with locked(_lock_file(path), shared=True, optional=True, timeout=HISTORY_LOCK_TIMEOUT):
            raw = path.read_bytes()
    except OSError as exc:
        runs.problem = f"the history {path} cannot be read ({exc.strerror or exc})"
        return runs
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            run = json.loads(line)
        except (ValueError, RecursionError):
            runs.skipped += 1
            continue
        if isinstance(run, dict) and isinstance(run.get("event"), str):
            runs.events.append(run)
        elif _is_run(run):
            runs.append(run)
        else:
            runs.skipped += 1
    return runs


def _is_run(run: Any) -> bool:
    """A line every reader can use as it is: a run whose numbers are finite numbers.

    JSON that is not an object, a check that is not one, metrics that are not
    a table, NaN or Infinity (Python's json reads them): not a run.
    """
    if not isinstance(run, dict) or not isinstance(run.get("checks", []), list):
        return False
    if not _number_or_none(run.get("duration_s")):
        return False
    for check in run.get("checks", []):
        if not isinstance(check, dict) or not isinstance(check.get("metrics") or {}, dict):
            return False
        if not (isinstance(check.get("stage"), str) and isinstance(check.get("check"), str)):
            return False
        if not _number_or_none(check.get("duration_s")):
            return False
        if any(_non_finite(v) for v in (check.get("metrics") or {}).values()):
            return False
    return True


def _non_finite(value: Any) -> bool:
    """NaN or Infinity: a line that says so was not written by a sane run."""
    return isinstance(value, float) and not math.isfinite(value)


def _number_or_none(value: Any) -> bool:
    """None, or a finite int/float (not a bool): the only values a trend may hold."""
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def git_branch(root: Path) -> str | None:
    return git_output(["rev-parse", "--abbrev-ref", "HEAD"], root)


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
            if check_key(c.get('stage'), c.get('check')) == check_id:
                found = _number((c.get("metrics") or {}).get(metric))
                break
        values.append(found)
    return values


def _number(value: Any) -> float | None:
    """A finite float, or None: a trend never draws NaN, Infinity or text."""
    if not _number_or_none(value) or value is None:
        return None
    return float(value)


# -- locking and trimming -------------------------------------------------------
def _lock_file(path: Path) -> Path:
    """Beside the history; a reader of a read-only copy (an artifact) goes unlocked."""
    return path.with_name(path.name + ".lock")


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
