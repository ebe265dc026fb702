"""Outputs replaced the moment a run starts, so no older pass can outlive this run.

Written on the controller before conftest.py files load and before anything
is collected: the JSON report says `"verdict": "running"`, the Markdown,
HTML and SARIF targets say the run did not finish. A run that completes
overwrites them; one that is killed, crashes or cannot even import the
project's conftest.py leaves a file that says so instead of a stale pass.
A target that cannot be written (a folder, a read-only place) is a usage
error (exit 4) before any gate runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pytest_tower.core.fs import write_text_atomic

RUNNING = "running"
STATE_DIR = ".tower"


@dataclass
class Targets:
    """Where this run writes its outputs (absolute paths), decided before collection."""

    report: Path | None = None
    others: dict[str, Path] = field(default_factory=dict)  # "markdown" | "html" | "sarif"


def early_targets(config: pytest.Config, ns: Any, gates: Path) -> Targets:
    """The outputs named by the command line, or by `[tower] report` in gates.toml."""
    here = config.invocation_params.dir
    targets = Targets()
    if getattr(ns, "tower_report", None):
        targets.report = here / ns.tower_report
    else:
        report = tower_setting(gates, "report")
        if isinstance(report, str) and report:
            targets.report = gates.parent / report
    for name in ("markdown", "html", "sarif"):
        value = getattr(ns, f"tower_{name}", None)
        if value:
            targets.others[name] = here / value
    return targets


def tower_setting(gates: Path, key: str) -> Any:
    """One `[tower]` value read leniently (the config reader validates it later)."""
    try:
        data = tomllib.loads(gates.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    table = data.get("tower")
    return table.get(key) if isinstance(table, dict) else None


def write_stubs(targets: Targets, gates: Path) -> None:
    """Replace every output by a 'did not finish' stub; exit 4 when one cannot be written.

    The report first: even when `.tower` turns out unusable, no stale pass stays.
    """
    named = ([("--tower-report", targets.report)] if targets.report is not None else []) + [
        (f"--tower-{name}", path) for name, path in targets.others.items()]
    seen: dict[Path, str] = {}
    for option, path in named:
        if path.resolve() in seen:
            message = (f"pytest-tower: {seen[path.resolve()]} and {option} both write {path}; "
                       "give each output its own file")
            if targets.report is not None and not targets.report.is_dir():
                from pytest_tower.report.json_report import write_config_error

                with contextlib.suppress(OSError):
                    write_config_error(targets.report, message, summary="usage error")
            raise pytest.UsageError(message)
        seen[path.resolve()] = option
    started = datetime.now(UTC).isoformat()
    if targets.report is not None:
        _write(targets.report, "--tower-report", json.dumps(running_report(started), indent=2))
    for name, path in targets.others.items():
        _write(path, f"--tower-{name}", STUB_TEXT[name](started))
    if not gates.is_file():
        return  # the config error comes next; create no folder beside a typo
    try:
        check_state_dir(gates.parent)
    except pytest.UsageError as exc:
        if targets.report is not None:
            from pytest_tower.report.json_report import write_config_error

            with contextlib.suppress(OSError):
                write_config_error(targets.report, str(exc),
                                   summary="state folder not writable")
        raise


def running_report(started: str) -> dict[str, Any]:
    return {"schema": 1, "verdict": RUNNING,
            "summary": "TOWER GATE RUNNING: this run has not finished (or was killed); "
                       "it proves nothing", "started": started, "complete": False,
            "not_run": [], "checks": [], "environments": []}


def check_state_dir(root: Path) -> None:
    """`.tower` holds this run's artifacts and the history: it must be writable."""
    state = root / STATE_DIR
    try:
        (state / "runs").mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".probe.", dir=state)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise pytest.UsageError(
            f"pytest-tower: cannot write the state folder {state} ({_why(exc)}); "
            "it holds each run's artifacts and the history: make it a writable folder"
        ) from None


def _write(path: Path, option: str, text: str) -> None:
    if path.is_dir():
        raise pytest.UsageError(f"pytest-tower: {option} {path} is a folder; give a file path "
                                "such as tower-report.json")
    try:
        write_text_atomic(path, text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise pytest.UsageError(f"pytest-tower: cannot write {option} {path} ({_why(exc)}); "
                                "give a writable file path") from None


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _markdown(started: str) -> str:
    return (f"## ✗ tower gate did not finish\n\nThis run started {started} and has not "
            "finished (it may have been killed or crashed). It proves nothing.\n")


def _html(started: str) -> str:
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>tower gate: did not finish</title></head><body>"
            "<h1>✗ tower gate did not finish</h1>"
            f"<p>This run started {started} and has not finished (it may have been killed "
            "or crashed). It proves nothing.</p></body></html>")


def _sarif(started: str) -> str:
    from pytest_tower.report.sarif import SARIF_SCHEMA, SARIF_VERSION

    note = {"level": "error", "message": {"text": f"the pytest-tower run started {started} "
                                                  "did not finish; it proves nothing"}}
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [{
        "tool": {"driver": {"name": "pytest-tower", "rules": []}},
        "invocations": [{"executionSuccessful": False, "toolExecutionNotifications": [note]}],
        "results": []}]}
    return json.dumps(log, indent=2)


STUB_TEXT = {"markdown": _markdown, "html": _html, "sarif": _sarif}
