"""The per-run plugin object, registered only with --tower (see start.py).

It measures a check for each item, records every outcome (from xdist workers
too) on the controller, and there settles the one verdict. Its other jobs are
mixins of their own: collection (collect.py), views of the outcomes and the
verdict line (views.py); the xdist-only hooks are in xdist.py and the end of
the run (outputs, errors of our own) in finish.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tower.core.config import CheckSpec, Pipeline
from pytest_tower.core.execute import blocked_outcome, run_check
from pytest_tower.core.fs import write_json_atomic
from pytest_tower.core.names import check_key
from pytest_tower.core.outcome import (
    BLOCKED,
    ERROR,
    PASSED,
    SKIPPED,
    GateVerdict,
    Outcome,
    blocked_by,
    gate_verdict,
)
from pytest_tower.history.baseline import baseline_from_history, load_baseline
from pytest_tower.history.past import PastRuns
from pytest_tower.run.collect import CollectionHooks
from pytest_tower.run.items import CheckItem, CheckProblem, ProblemRepr
from pytest_tower.run.selection import Selection
from pytest_tower.run.views import OutcomeViews

if TYPE_CHECKING:
    from pytest_tower.environments.hooks import EnvironmentHooks
    from pytest_tower.run.shard import Shard

TOWER_KEY = pytest.StashKey["TowerSession"]()
DEFAULT_REPORT_DIR = ".tower"
NEED_WAIT_MARGIN = 120.0  # seconds beyond a need's own timeout before giving up on it


def _uses_baseline(pipeline: Pipeline) -> bool:
    return any(c.relative is not None for s in pipeline.checks() for c in (*s.conditions,
                                                                          *s.warn))


class TowerSession(OutcomeViews, CollectionHooks):
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
        self.past = PastRuns(pipeline.root / pipeline.history)  # read on first use
        self.baseline_message = ""
        self.env_hooks: EnvironmentHooks | None = None
        self.publish_lines: list[str] = []
        self.selection = Selection()
        self.cli_dropped: set[str] | None = None  # gates the command line's selection drops
        self.hook_deselected: set[str] = set()  # reported by pytest_deselected (--lf, --sw)
        self.require_complete = False
        self.interrupted_by = ""  # the signal's name, set by the handler in startup.py
        self.finishing = False  # writing the outputs: a late SIGTERM must not cut them
        self.stoppable = False  # ...except while publishing (history lock): see finish.py
        self.internal_errors: list[str] = []  # the gate's own code failed (one line each)
        self.session: pytest.Session | None = None
        self.shard: Shard | None = None  # --tower-shard: this run is one part (shard.py)
        self.durations: Path | None = None  # the committed durations a shard balances by

    @property
    def run_dir(self) -> Path:
        """This run's folder: artifacts of each check, and outcomes shared by workers."""
        return self.pipeline.root / DEFAULT_REPORT_DIR / "runs" / self.run_id

    def measure(self, item: CheckItem) -> Outcome:
        reason = blocked_by(item.spec, self.pipeline, self.need_verdicts(item.spec),
                            strict=self._promoted(item.spec))
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
            spec = item.spec if self.shard is None else self._shard_spec(item.spec)
            try:
                outcome = run_check(spec, item.nodeid, self.pipeline.root,
                                    self.run_dir / "artifacts",
                                    baseline=self.baseline.get(item.spec.id),
                                    recording_baseline=self.recording_baseline,
                                    progress=progress, environment=environment,
                                    past=lambda: self.past.of(item.nodeid))
            finally:
                if progress is not None:
                    progress.close()
            if self.shard is not None:
                from pytest_tower.run.shard import deferred_note

                note = deferred_note(item.spec, self.shard)
                outcome.notes[:0] = [note] if note else []
        self.record(outcome)
        return outcome

    def _shard_spec(self, spec: CheckSpec) -> CheckSpec:
        """In a shard run: this shard's share, with this check's recorded durations."""
        from pytest_tower.run.shard import check_durations, shard_spec

        assert self.shard is not None
        durations = check_durations(self.durations, spec, self.run_dir / "durations")
        return shard_spec(spec, self.shard, durations)

    def record(self, outcome: Outcome) -> None:
        """Keep an outcome; under xdist also where workers waiting on it can read it."""
        self.outcomes[outcome.id] = outcome
        if self.is_worker or self.config.pluginmanager.has_plugin("tower-xdist"):
            write_json_atomic(self._outcome_file(outcome.stage, outcome.check),
                              outcome.to_dict())

    def need_verdicts(self, spec: CheckSpec) -> dict[str, str]:
        """Verdicts of what `spec` needs; on a worker, waits for needs run elsewhere."""
        verdicts = {check_key(o.stage, o.check): o.verdict for o in self.outcomes.values()}
        if not self.is_worker:
            return verdicts
        selected = set(self.selected or ())
        for need in (n for ref in spec.needs for n in self.pipeline.resolve(ref)):
            if need.id not in verdicts and self.nodeid(need) in selected:
                verdicts[need.id] = self._wait_for(need).verdict
        return verdicts

    def _wait_for(self, need: CheckSpec) -> Outcome:
        path = self._outcome_file(need.stage, need.name)
        deadline = time.monotonic() + need.timeout + NEED_WAIT_MARGIN
        while time.monotonic() < deadline:
            if path.exists():
                return Outcome.from_dict(json.loads(path.read_text(encoding="utf-8")))
            time.sleep(0.1)
        return Outcome(self.nodeid(need), need.stage, need.name, ERROR,
                       message=f"no outcome from {need.id} within its timeout")

    def _promoted(self, spec: CheckSpec) -> bool:
        """A check of a promote-only environment: every need must have run and passed."""
        env = self.pipeline.environments.get(spec.environment or "")
        return bool(env is not None and env.promote)

    def expected(self) -> list[CheckSpec]:
        """The checks a complete run covers: all, less production without --tower-promote."""
        promote = bool(self.config.getoption("tower_promote"))
        return [s for s in self.pipeline.checks() if promote or not self._promoted(s)]

    def _outcome_file(self, stage: str, check: str) -> Path:
        return self.run_dir / "outcomes" / f"{stage}.{check}.json"

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
            outcome = Outcome.from_dict(data)
            if report.failed and outcome.verdict == PASSED:  # our own code failed after it
                outcome.verdict = ERROR
                outcome.message = ("could not record the outcome: "
                                   + str(report.longrepr).strip().splitlines()[-1])
            self.outcomes[report.nodeid] = outcome
        elif report.failed and report.nodeid not in self.outcomes and "::" in report.nodeid:
            # An xdist worker died while running this check: no evidence, so error.
            crashed = self._not_run(report.nodeid, "")
            crashed.verdict = ERROR
            crashed.message = f"could not measure: {str(report.longrepr).strip()}"
            self.record(crashed)

    # -- the verdict, on the controller -----------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        try:
            return (yield)
        finally:
            self.settle(session)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Settle the verdict and write every output (see finish.py)."""
        if self.is_worker:
            return
        from pytest_tower.run.finish import finish

        self.session = session
        self.finishing = True
        finish(self, session)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """Ctrl-C (SIGTERM and SIGHUP set their name first); not a collection error."""
        if isinstance(excinfo.value, KeyboardInterrupt) and not isinstance(
                excinfo.value, pytest.Session.Interrupted):
            self.interrupted_by = self.interrupted_by or "SIGINT"

    def settle(self, session: pytest.Session) -> None:
        if self.is_worker or self.config.option.collectonly or self.verdict is not None:
            return
        outcomes = self.selected_outcomes()
        self.learn_gates_nodeid(outcomes)
        ran = {o.id for o in outcomes if o.verdict != SKIPPED}
        not_run = [self.nodeid(s) for s in self.expected() if self.nodeid(s) not in ran]
        self.verdict = gate_verdict(outcomes, expected=len(self.expected()), not_run=not_run,
                                    problem=self._selection_problem(not_run)
                                    or self._promotion_problem())
        if not self.verdict.passed and session.testsfailed == 0 and self.verdict.total:
            session.testsfailed += 1  # e.g. only blocked checks: pytest saw skips

    def _selection_problem(self, not_run: list[str]) -> str:
        """Why a run whose selected checks all passed still fails, or ''."""
        if not not_run:
            return ""
        selected = set(self.selected or ())
        dropped = [n for n in not_run if n not in selected]
        excused = self._cli_dropped() | self.shard_dropped()
        if self.config.getoption("lf", False) or self.config.getoption("stepwise", False):
            excused |= self.hook_deselected
        unexplained = [n for n in dropped if n not in excused]
        if unexplained:
            why = ("the command line's selection keeps it" if self.selection.cli_selects
                   else "nothing on the command line deselected it")
            return (f"{_names(unexplained)} not run, and {why} (a plugin, conftest.py hook "
                    "or ini option dropped it); "
                    "a gate that is not run cannot pass")
        promoted = [n for n, e in self.pipeline.environments.items() if e.promote]
        if promoted and self.config.getoption("tower_promote"):
            return (f"--tower-promote asked to deploy {', '.join(promoted)}, and "
                    f"{_names(not_run)} not run: a promote-only environment is deployed only "
                    "when every gate of gates.toml runs in this session and passes, so "
                    "nothing was promoted; run every gate, or leave out --tower-promote")
        if self.require_complete and self.shard is None:  # the merge judges completeness
            return (f"partial run, and require_complete is set: {_names(not_run)} not run; "
                    "run without -k/-m/--lf/--deselect")
        return ""

    def _promotion_problem(self) -> str:
        """--tower-promote in a complete run, and a promote-only environment not deployed."""
        if self.env_hooks is None or not self.config.getoption("tower_promote"):
            return ""
        return self.env_hooks.promotion_problem()

    def _cli_dropped(self) -> set[str]:
        """What the command line dropped; read from the workers' file under xdist."""
        if self.cli_dropped is None:
            path = self.run_dir / "cli_dropped.json"
            try:
                self.cli_dropped = set(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                return set()  # unknown: nothing is excused
        return set(self.cli_dropped)


def _names(nodeids: list[str], limit: int = 5) -> str:
    shown = ", ".join("::".join(n.split("::")[-2:]) for n in nodeids[:limit])
    more = f" and {len(nodeids) - limit} more" if len(nodeids) > limit else ""
    return shown + more + (" was" if len(nodeids) == 1 else " were")
