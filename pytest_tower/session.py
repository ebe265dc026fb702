"""The per-run plugin object, registered only with --tower (see startup.py).

It owns the parsed pipeline, collects gates.toml, runs checks for its
items, gathers every outcome (from xdist workers too) on the controller,
and there sets the one verdict: the exit status and the report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pytest_tower.atomic import write_json_atomic
from pytest_tower.baseline import baseline_from_history, load_baseline
from pytest_tower.config import CheckSpec, Pipeline
from pytest_tower.execute import blocked_outcome, run_check
from pytest_tower.items import CheckItem, CheckProblem, GatesFile, ProblemRepr
from pytest_tower.verdict import (
    BLOCKED,
    ERROR,
    SKIPPED,
    GateVerdict,
    Outcome,
    blocked_by,
    gate_verdict,
)

TOWER_KEY = pytest.StashKey["TowerSession"]()
DEFAULT_REPORT_DIR = ".tower"
NEED_WAIT_MARGIN = 120.0  # seconds beyond a need's own timeout before giving up on it


def _uses_baseline(pipeline: Pipeline) -> bool:
    return any(c.relative is not None for s in pipeline.checks() for c in (*s.conditions,
                                                                          *s.warn))


def _under(base: Path, value: str | None) -> Path | None:
    return base / value if value else None


class TowerSession:
    def __init__(self, config: pytest.Config, pipeline: Pipeline, report: Path | None) -> None:
        self.config = config
        self.pipeline = pipeline
        self.report_path = report
        self.is_worker = hasattr(config, "workerinput")
        self.run_id = (config.workerinput["tower_run_id"] if self.is_worker  # type: ignore[attr-defined]
                       else datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ"))
        self.started = time.time()
        self.outcomes: dict[str, Outcome] = {}
        self.selected: list[str] | None = None
        self.verdict: GateVerdict | None = None
        self.baseline_path = pipeline.root / pipeline.baseline
        self.baseline = load_baseline(self.baseline_path)
        self.baseline_source = str(self.baseline_path) if self.baseline else ""
        if not self.baseline and _uses_baseline(pipeline):
            self.baseline, self.baseline_source = baseline_from_history(
                pipeline.root / pipeline.history, pipeline.base_branch)
        self.recording_baseline = bool(config.getoption("tower_update_baseline"))
        self.baseline_message = ""
        self.env_hooks: Any = None
        self.publish_lines: list[str] = []

    @property
    def run_dir(self) -> Path:
        """This run's folder: artifacts of each check, and outcomes shared by workers."""
        return self.pipeline.root / DEFAULT_REPORT_DIR / "runs" / self.run_id

    def measure(self, item: CheckItem) -> Outcome:
        reason = blocked_by(item.spec, self.pipeline, self.need_verdicts(item.spec))
        environment, problem = None, None
        if not reason and item.spec.environment and self.env_hooks is not None:
            environment, problem = self.env_hooks.view(item.spec)
        if reason:
            outcome = blocked_outcome(item.spec, item.nodeid, reason)
        elif problem:
            outcome = Outcome(item.nodeid, item.spec.stage, item.spec.name, problem[0],
                              message=problem[1])
        else:
            progress = self.progress_writer()
            try:
                outcome = run_check(item.spec, item.nodeid, self.pipeline.root,
                                    self.run_dir / "artifacts",
                                    baseline=self.baseline.get(item.spec.id),
                                    recording_baseline=self.recording_baseline,
                                    progress=progress, environment=environment)
            finally:
                if progress is not None:
                    progress.close()
        self.record(outcome)
        return outcome

    def record(self, outcome: Outcome) -> None:
        """Keep an outcome; under xdist also where workers waiting on it can read it."""
        self.outcomes[outcome.id] = outcome
        if self.is_worker or self.config.pluginmanager.has_plugin("tower-xdist"):
            write_json_atomic(self._outcome_file(outcome.stage, outcome.check),
                              outcome.to_dict())

    def need_verdicts(self, spec: CheckSpec) -> dict[str, str]:
        """Verdicts of what `spec` needs; on a worker, waits for needs run elsewhere."""
        verdicts = {f"{o.stage}::{o.check}": o.verdict for o in self.outcomes.values()}
        if not self.is_worker:
            return verdicts
        selected = set(self.selected or ())
        for need in (n for ref in spec.needs for n in self.pipeline.resolve(ref)):
            if need.id not in verdicts and self._nodeid(need) in selected:
                verdicts[need.id] = self._wait_for(need).verdict
        return verdicts

    def _wait_for(self, need: CheckSpec) -> Outcome:
        path = self._outcome_file(need.stage, need.name)
        deadline = time.monotonic() + need.timeout + NEED_WAIT_MARGIN
        while time.monotonic() < deadline:
            if path.exists():
                return Outcome.from_dict(json.loads(path.read_text(encoding="utf-8")))
            time.sleep(0.1)
        return Outcome(self._nodeid(need), need.stage, need.name, ERROR,
                       message=f"no outcome from {need.id} within its timeout")

    def _outcome_file(self, stage: str, check: str) -> Path:
        return self.run_dir / "outcomes" / f"{stage}.{check}.json"

    # -- collection -------------------------------------------------------
    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> Any:
        if file_path.resolve() == self.pipeline.path:
            return GatesFile.from_parent(parent, path=file_path)
        return None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if session.items or self.selected is None:
            self.selected = [i.nodeid for i in session.items if isinstance(i, CheckItem)]

    # -- outcomes travel on reports (xdist serialises extra report attributes)
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: Any) -> Any:
        report = yield
        if isinstance(item, CheckItem) and item.outcome is not None:
            report.tower_outcome = item.outcome.to_dict()
            if call.excinfo is not None and call.excinfo.errisinstance(CheckProblem):
                report.longrepr = ProblemRepr(item.outcome)
            elif report.skipped and item.outcome.verdict == BLOCKED:  # point at gates.toml
                report.longrepr = (item.nodeid.split("::")[0], item.spec.line or 0,
                                   item.outcome.message)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "tower_outcome", None)
        if data:
            self.outcomes[report.nodeid] = Outcome.from_dict(data)
        elif report.failed and report.nodeid not in self.outcomes and "::" in report.nodeid:
            # An xdist worker died while running this check: no evidence, so error.
            crashed = self._not_run(report.nodeid, "")
            crashed.verdict = ERROR
            crashed.message = f"could not measure: {str(report.longrepr).strip()}"
            self.record(crashed)

    # -- the verdict, on the controller -----------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Any:
        try:
            return (yield)
        finally:
            self._settle(session)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker or self.config.option.collectonly:
            return
        self._settle(session)
        if self.env_hooks is not None:
            self.env_hooks.finish()
        if self.recording_baseline:
            self._record_baseline()
        from pytest_tower.report.json_report import build_report, write_report
        from pytest_tower.report.publish import publish

        report = build_report(self)
        if self.report_path is not None:
            write_report(self.report_path, report)
        option, here = self.config.getoption, self.config.invocation_params.dir
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        self.publish_lines = publish(
            report, root=self.pipeline.root, history=self.pipeline.root / self.pipeline.history,
            keep=option("tower_history_keep"),
            markdown=_under(here, option("tower_markdown")),
            sarif=_under(here, option("tower_sarif")), html=_under(here, option("tower_html")),
            write_line=reporter.write_line if reporter is not None else print)

    def _record_baseline(self) -> None:
        if self.verdict is None or not self.verdict.passed:
            self.baseline_message = "baseline not updated: the gate did not pass"
            return
        from pytest_tower.baseline import record_baseline
        from pytest_tower.report.json_report import git_commit

        ids = record_baseline(self.baseline_path, self.baseline, self.selected_outcomes(),
                              git_commit(self.pipeline.root))
        self.baseline_message = f"baseline recorded in {self.baseline_path} for " + ", ".join(ids)

    def progress_writer(self) -> Any:
        """Live progress of a long check on the terminal (in-process runs only)."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None or self.is_worker:
            return None
        from pytest_tower.report.terminal import ProgressLine

        return ProgressLine(reporter)

    def _settle(self, session: pytest.Session) -> None:
        if self.is_worker or self.config.option.collectonly or self.verdict is not None:
            return
        self.verdict = gate_verdict(self.selected_outcomes())
        if not self.verdict.passed and session.testsfailed == 0 and self.verdict.total:
            session.testsfailed += 1  # e.g. only blocked checks: pytest saw skips

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker or self.config.option.collectonly or self.verdict is None:
            return
        from pytest_tower.report.terminal import write_summary

        write_summary(terminalreporter, self)

    # -- views --------------------------------------------------------------
    def selected_outcomes(self) -> list[Outcome]:
        """Every selected check's outcome; one that never ran is `skipped`."""
        selected = self.selected if self.selected is not None else list(self.outcomes)
        return [self.outcomes.get(nodeid) or self._not_run(nodeid, "not run: the session "
                                                           "stopped before it")
                for nodeid in selected]

    def all_outcomes(self) -> Iterator[Outcome]:
        """One outcome per check in gates.toml, in pipeline order (for the report)."""
        by_check = {(o.stage, o.check): o for o in self.selected_outcomes()}
        for spec in self.pipeline.checks():
            yield by_check.get((spec.stage, spec.name)) or Outcome(
                self._nodeid(spec), spec.stage, spec.name, SKIPPED,
                message="deselected (not selected in this session)")

    def _not_run(self, nodeid: str, message: str) -> Outcome:
        stage, check = nodeid.split("::")[-2:]
        return Outcome(nodeid, stage, check, SKIPPED, message=message)

    def _nodeid(self, spec: CheckSpec) -> str:
        try:
            base = self.pipeline.path.relative_to(self.config.rootpath).as_posix()
        except ValueError:
            base = str(self.pipeline.path)
        return f"{base}::{spec.stage}::{spec.name}"


class XdistControllerHooks:
    """xdist-only hooks, registered only when xdist is active (unknown hooks otherwise)."""

    def __init__(self, tower: TowerSession) -> None:
        self.tower = tower

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["tower_run_id"] = self.tower.run_id

    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        from pytest_tower.xdist_scheduler import TowerScheduling

        return TowerScheduling(config, log, self.tower.pipeline)

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.tower.selected = list(ids)
