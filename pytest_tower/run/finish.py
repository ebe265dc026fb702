"""The end of a run on the controller: verdict, environments, baseline, report, outputs.

Each step runs on its own (`guard`): an exception in one (a broken state
file, a full disk, a bug of ours) becomes the `error` verdict with a one-line
message — a traceback only with --tb=long — never an INTERNALERROR, and the
report is still written, saying so. Also here: what an interrupted run does
with its xdist workers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tower.core.outcome import PASSED

if TYPE_CHECKING:
    from pytest_tower.report.schema import ReportDict
    from pytest_tower.run.session import TowerSession

WORKER_STOP_WAIT = 10.0  # seconds an interrupted controller waits for workers to stop
NOT_RUN_LINE = "TOWER GATE NOT RUN: --collect-only lists the checks and runs none"


def finish(tower: TowerSession, session: pytest.Session) -> None:
    """Settle the verdict and write every output; the gate's own failures are heard."""
    if tower.config.option.collectonly:
        guard(tower, "report", lambda: write_collect_only(tower, session))
        return
    guard(tower, "verdict", lambda: tower.settle(session))
    if tower.interrupted_by:
        guard(tower, "workers", lambda: stop_workers(tower))
    if tower.env_hooks is not None:
        guard(tower, "environments", tower.env_hooks.finish)
    if tower.recording_baseline:
        guard(tower, "baseline", lambda: record_baseline(tower))
    guard(tower, "--lf cache", lambda: cache_not_passed(tower))
    tower.stoppable = True  # a SIGTERM while writing (a history lock held elsewhere) still stops
    try:
        report = build_or_none(tower)
        write_report_or_fallback(tower, report)
        guard(tower, "outputs", lambda: publish_outputs(tower, report))
    except KeyboardInterrupt:
        tower.stoppable = False
        tower.interrupted_by = tower.interrupted_by or "SIGINT"
        report = None  # the report already written may say passed: rewrite it below
    finally:
        tower.stoppable = False
    if report is None or (tower.internal_errors and report["verdict"] != "error") or (
            tower.interrupted_by and report["verdict"] != "interrupted"):
        # rewrite: no output may say passed when the run is an error or was interrupted
        again = build_or_none(tower)
        write_report_or_fallback(tower, again)
        guard(tower, "outputs", lambda: publish_outputs(tower, again, again=True))
    set_exit(tower, session)


def build_or_none(tower: TowerSession) -> ReportDict | None:
    """The report, or None when building it failed (that failure is an internal error).

    With what a merge needs (run/keep.py): the config hash, a shard's kept data.
    """
    from pytest_tower.report.json_report import build_report
    from pytest_tower.run.keep import annotate, store_durations

    built: list[ReportDict] = []
    guard(tower, "report", lambda: built.append(build_report(tower)))
    if not built:
        return None
    errors = len(tower.internal_errors)
    guard(tower, "shard data", lambda: annotate(tower, built[0]))
    if tower.config.getoption("tower_store_durations") and not tower.internal_errors:
        guard(tower, "durations", lambda: store_durations(tower, built[0]))
    if len(tower.internal_errors) > errors:  # the report must say so: build it again
        built[:] = []
        guard(tower, "report", lambda: built.append(build_report(tower)))
    return built[0] if built else None


def publish_outputs(tower: TowerSession, report: ReportDict | None,
                    again: bool = False) -> None:
    """History, Markdown, SARIF, HTML, annotations; `again` rewrites the files only."""
    from pytest_tower.report.publish import publish

    option, here = tower.config.getoption, tower.config.invocation_params.dir
    reporter = tower.config.pluginmanager.get_plugin("terminalreporter")
    pipeline = tower.pipeline
    lines = publish(
        report or fallback_report(tower), root=pipeline.root,
        history=None if again else pipeline.root / pipeline.history,
        keep=option("tower_history_keep"), markdown=_under(here, option("tower_markdown")),
        sarif=_under(here, option("tower_sarif")), html=_under(here, option("tower_html")),
        write_line=reporter.write_line if reporter is not None else print,
        environ={} if again else None, errors=None if again else tower.internal_errors,
        check_types={spec.check_type.name: spec.check_type for spec in pipeline.checks()})
    if not again:
        tower.publish_lines = lines


def write_report_or_fallback(tower: TowerSession, report: ReportDict | None) -> None:
    """The report, or when it cannot be written, the short error report in its place."""
    from pytest_tower.report.json_report import write_report

    path = tower.report_path
    if path is None:
        return
    if report is not None:
        errors = len(tower.internal_errors)
        guard(tower, "report", lambda: write_report(path, report))
        if len(tower.internal_errors) == errors:
            return
    guard(tower, "report", lambda: write_report(path, fallback_report(tower)))


def guard(tower: TowerSession, what: str, step: Callable[[], Any]) -> None:
    """Run one finishing step; an exception in it becomes an error verdict, one line."""
    try:
        step()
    except Exception as exc:  # any failure of ours must not pass
        line = f"{what}: {type(exc).__name__}: {' '.join(str(exc).split())}"[:500]
        tower.internal_errors.append(line)
        if tower.config.getoption("tbstyle", "auto") == "long":
            import traceback

            tower.internal_errors.append(traceback.format_exc())


def set_exit(tower: TowerSession, session: pytest.Session) -> None:
    """Interrupted: 2. Our own error, or a verdict that is not a pass: never 0."""
    if tower.interrupted_by:
        session.exitstatus = pytest.ExitCode.INTERRUPTED
        return
    verdict = tower.verdict
    failing = tower.internal_errors or (verdict is not None and not verdict.passed
                                        and verdict.total)
    if failing and session.exitstatus in (pytest.ExitCode.OK,
                                          pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def fallback_report(tower: TowerSession) -> ReportDict:
    from pytest_tower.report.json_report import error_report

    return error_report(tower)


def write_collect_only(tower: TowerSession, session: pytest.Session) -> None:
    """--collect-only lists the checks and proves nothing: say so, exit 5."""
    from pytest_tower.report.json_report import SCHEMA, write_report

    if tower.report_path is not None:
        report: ReportDict = {
            "schema": SCHEMA, "verdict": "failed", "summary": NOT_RUN_LINE, "complete": False,
            "not_run": [tower.nodeid(s) for s in tower.expected()], "checks": [],
            "environments": []}
        write_report(tower.report_path, report)
    reporter = tower.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(NOT_RUN_LINE)
    session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED


def cache_not_passed(tower: TowerSession) -> None:
    """For --lf: a blocked, errored or not-run check counts as failed (pytest saw skips)."""
    lf = tower.config.pluginmanager.get_plugin("lfplugin")
    lastfailed = getattr(lf, "lastfailed", None)
    if not isinstance(lastfailed, dict):
        return
    for outcome in tower.selected_outcomes():
        if outcome.verdict != PASSED:
            lastfailed[outcome.id] = True


def record_baseline(tower: TowerSession) -> None:
    if tower.verdict is None or not tower.verdict.passed:
        tower.baseline_message = "baseline not updated: the gate did not pass"
        return
    from pytest_tower.history.baseline import record_baseline as record
    from pytest_tower.history.baseline import recorded_message
    from pytest_tower.report.json_report import git_commit

    ids = record(tower.baseline_path, tower.baseline, tower.selected_outcomes(),
                 git_commit(tower.pipeline.root))
    tower.baseline_message = recorded_message(tower.baseline_path, ids, tower.verdict.not_run)


# -- xdist workers of an interrupted run ---------------------------------------------
def announce_worker(tower: TowerSession) -> None:
    """A worker leaves its pid, so an interrupted controller can stop it properly."""
    folder = tower.run_dir / "workers"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{os.getpid()}.pid").write_text(str(os.getpid()), encoding="utf-8")


def stop_workers(tower: TowerSession) -> None:
    """SIGTERM every worker of this run still alive (their handler stops their tool).

    Then wait for them: xdist kills a slow worker with SIGKILL, which would
    orphan the tool it was running.
    """
    if tower.is_worker:
        return
    alive = [int(p.stem) for p in (tower.run_dir / "workers").glob("*.pid")
             if p.stem.isdigit() and _child_of_us(int(p.stem))]
    for pid in alive:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + WORKER_STOP_WAIT
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _child_of_us(pid)]
        time.sleep(0.05)


def _child_of_us(pid: int) -> bool:
    """Whether `pid` is a live child of this process (a worker, not a reused pid)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] not in ("Z", "X") and int(fields[1]) == os.getpid()


def _under(base: Path, value: str | None) -> Path | None:
    return base / value if value else None
