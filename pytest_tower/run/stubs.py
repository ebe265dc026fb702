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
    value = table.get(key) if isinstance(table, dict) else None
    if isinstance(value, str) and "${" in value:  # ${NAME} as the config reader expands it
        from pytest_tower.core.errors import ConfigError
        from pytest_tower.core.interpolate import expand

        try:
            expanded = expand({"tower": {key: value}}, gates, lambda _t, _k: None, os.environ)
        except ConfigError:
            return None  # the config reader stops the run with the error (exit 4)
        value = expanded.data["tower"][key]
    return value


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
    problem = _foreign_target(named, gates)
    if problem is not None:
        bad_report = targets.report is not None and problem[0] == "--tower-report"
        if targets.report is not None and not bad_report:
            from pytest_tower.report.json_report import write_config_error

            with contextlib.suppress(OSError, pytest.UsageError):
                _check_writable(targets.report)
                write_config_error(targets.report, problem[1], summary="usage error")
        raise pytest.UsageError(f"pytest-tower: {problem[1]}")
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


KIND = {"--tower-report": "report", "--tower-markdown": "markdown", "--tower-html": "html",
        "--tower-sarif": "sarif"}


def _foreign_target(named: list[tuple[str, Path]], gates: Path) -> tuple[str, str] | None:
    """(option, message) for the first output that would destroy a file not ours.

    Refused: the gates file, the history or baseline file, and any existing file
    whose content pytest-tower did not write (a source file, pyproject.toml...).
    """
    def real(p: Path) -> Path:
        try:
            return Path(os.path.realpath(p))
        except (ValueError, OSError):  # a NUL in the path: the config check says so next
            return p

    protected = {real(gates): "the gates file"}
    for key in ("history", "baseline"):
        value = tower_setting(gates, key)
        if not isinstance(value, str) or not value:
            value = f"{STATE_DIR}/{'history.jsonl' if key == 'history' else 'baseline.json'}"
        protected.setdefault(real(gates.parent / value), f"the {key} file")
    for option, path in named:
        what = protected.get(real(path))
        if what is not None:
            return option, (f"refusing to overwrite {path}: it is {what}, not a place for "
                            f"{option}; choose another path")
        if not _written_by_us(real(path), KIND.get(option, "report")):
            return option, (f"refusing to overwrite {path}: pytest-tower did not write it; "
                            "choose another path or delete it")
    return None


def _written_by_us(path: Path, kind: str) -> bool:
    """True when `path` does not exist, is empty, or holds an output of this kind we wrote."""
    from pytest_tower.core.fs import OUTPUT_MARKER

    try:
        if not path.is_file():
            return True  # missing (a device or folder is refused by the writer itself)
        data = path.read_bytes()
    except OSError:
        return True  # the write reports what is wrong with it
    if not data.strip():
        return True
    text = data.decode("utf-8", "replace")
    if kind in ("report", "sarif"):
        try:
            doc = json.loads(text)
        except ValueError:
            return False
        if not isinstance(doc, dict):
            return False
        if "verdict" in doc:  # a report of ours (or one planted in its place)
            return True
        if kind == "report":
            return False
        if (doc.get("properties") or {}).get("generator") == "pytest-tower":
            return True
        runs = doc.get("runs")
        names = {str(((r.get("tool") or {}).get("driver") or {}).get("name"))
                 for r in runs if isinstance(r, dict)} if isinstance(runs, list) else {"?"}
        return doc.get("version") == "2.1.0" and names <= {"pytest-tower", "ruff", "bandit"}
    return OUTPUT_MARKER in text or "TOWER GATE" in text or "tower gate" in text


def _check_writable(path: Path) -> None:
    from pytest_tower.core.fs import output_target

    output_target(path)


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
            "finished (it may have been killed or crashed). It proves nothing.\n\n"
            "<!-- written by pytest-tower -->\n")


def _html(started: str) -> str:
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>tower gate: did not finish</title></head><body>"
            "<h1>✗ tower gate did not finish</h1>"
            f"<p>This run started {started} and has not finished (it may have been killed "
            "or crashed). It proves nothing.</p></body></html>\n<!-- written by pytest-tower -->")


def _sarif(started: str) -> str:
    from pytest_tower.report.sarif import SARIF_SCHEMA, SARIF_VERSION

    note = {"level": "error", "message": {"text": f"the pytest-tower run started {started} "
                                                  "did not finish; it proves nothing"}}
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [{
        "tool": {"driver": {"name": "pytest-tower", "rules": []}},
        "invocations": [{"executionSuccessful": False, "toolExecutionNotifications": [note]}],
        "results": []}], "properties": {"generator": "pytest-tower"}}
    return json.dumps(log, indent=2)


STUB_TEXT = {"markdown": _markdown, "html": _html, "sarif": _sarif}
