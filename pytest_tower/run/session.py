"""The per-run plugin object, registered only with --tower (see startup.py).

It owns the parsed pipeline, collects gates.toml, runs checks for its
items, gathers every outcome (from xdist workers too) on the controller,
and there sets the one verdict: the exit status and the report. It is long
because it is the one object that sees every pytest hook of a run; the end of
the run (outputs, errors of our own) lives in finish.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Generator, Iterator
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
from pytest_tower.run.items import CheckItem, CheckProblem, GatesFile, ProblemRepr
from pytest_tower.run.selection import Selection

if TYPE_CHECKING:
    from pytest_tower.environments.hooks import EnvironmentHooks
    from pytest_tower.report.terminal import ProgressLine
    from pytest_tower.run.xdist import TowerScheduling

TOWER_KEY = pytest.StashKey["TowerSession"]()
DEFAULT_REPORT_DIR = ".tower"
NEED_WAIT_MARGIN = 120.0  # seconds beyond a need's own timeout before giving up on it


def _uses_baseline(pipeline: Pipeline) -> bool:
    return any(c.relative is not None for s in pipeline.checks() for c in (*s.conditions,
                                                                          *s.warn))


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

    # -- collection -------------------------------------------------------
    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> GatesFile | None:
        if file_path.resolve() == self.pipeline.path.resolve():
            return GatesFile.from_parent(parent, path=file_path)
        return None

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> Generator[None, None, None]:
        """After every other plugin: --lf brings back what its checks need; file order."""
        collected = list(items)
        self._selection_of_command_line(config, collected)
        result = yield
        if config.getoption("lf", False) and items:
            from pytest_tower.run.selection import with_needs

            items[:] = with_needs(items, collected, self.pipeline)
        from pytest_tower.environments.config import run_order  # file order, needs first

        order = {spec.id: n for n, spec in enumerate(run_order(self.pipeline))}
        items.sort(key=lambda i: order.get(i.spec.id, -1) if isinstance(i, CheckItem) else -1)
        return result

    def _selection_of_command_line(self, config: pytest.Config, collected: list[Any]) -> None:
        """Which gates -k/-m/--deselect/node ids alone drop (workers tell the controller)."""
        from pytest_tower.run.selection import cli_dropped

        args = (list(config.workerinput.get("tower_selection_args", ()))  # type: ignore[attr-defined]
                if self.is_worker else self.selection.args)
        self.cli_dropped = cli_dropped(config, [self.nodeid(s) for s in self.pipeline.checks()],
                                       collected, args)
        if self.is_worker:
            write_json_atomic(self.run_dir / "cli_dropped.json", sorted(self.cli_dropped))

    def pytest_deselected(self, items: list[Any]) -> None:
        self.hook_deselected.update(i.nodeid for i in items)

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

    def progress_writer(self) -> ProgressLine | None:
        """Live progress of a long check on the terminal (in-process runs only)."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None or self.is_worker:
            return None
        from pytest_tower.report.terminal import ProgressLine

        return ProgressLine(reporter)

    def settle(self, session: pytest.Session) -> None:
        if self.is_worker or self.config.option.collectonly or self.verdict is not None:
            return
        outcomes = self.selected_outcomes()
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
        excused = self._cli_dropped()
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
        if self.require_complete:
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

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.is_worker or self.config.option.collectonly:
            return
        from pytest_tower.report.terminal import write_summary

        try:
            write_summary(terminalreporter, self)
        except Exception as exc:  # the summary must never raise
            self.internal_errors.append(f"terminal summary: {type(exc).__name__}: {exc}")
            terminalreporter.write_line(f"tower: {self.internal_errors[-1]}")
            terminalreporter.write_line("TOWER GATE ERROR: the gate's own code failed; "
                                        "nothing is proven")
            if self.session is not None:
                from pytest_tower.run.finish import set_exit

                set_exit(self, self.session)

    def line(self) -> str:
        """The one verdict line: interrupted and internal errors override the checks."""
        if self.interrupted_by:
            return (f"TOWER GATE INTERRUPTED: the run was stopped ({self.interrupted_by}) "
                    "before it finished; nothing is proven")
        if self.internal_errors:
            return ("TOWER GATE ERROR: the gate's own code failed ("
                    + self.internal_errors[0].splitlines()[0] + "); nothing is proven")
        if self.verdict is None:
            return "TOWER GATE FAILED: no verdict (the session ended before the gates ran)"
        return self.verdict.line

    def status(self) -> str:
        """The report's verdict: passed, failed, error or interrupted."""
        if self.interrupted_by:
            return "interrupted"
        if self.internal_errors:
            return "error"
        return "passed" if self.verdict is not None and self.verdict.passed else "failed"

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
                self.nodeid(spec), spec.stage, spec.name, SKIPPED,
                message="deselected (not selected in this session)")

    def _not_run(self, nodeid: str, message: str) -> Outcome:
        stage, check = nodeid.split("::")[-2:]
        return Outcome(nodeid, stage, check, SKIPPED, message=message)

    def nodeid(self, spec: CheckSpec) -> str:
        try:
            base = self.pipeline.path.relative_to(self.config.rootpath).as_posix()
        except ValueError:
            base = str(self.pipeline.path)
        return f"{base}::{spec.stage}::{spec.name}"


def _names(nodeids: list[str], limit: int = 5) -> str:
    shown = ", ".join("::".join(n.split("::")[-2:]) for n in nodeids[:limit])
    more = f" and {len(nodeids) - limit} more" if len(nodeids) > limit else ""
    return shown + more + (" was" if len(nodeids) == 1 else " were")


class XdistControllerHooks:
    """xdist-only hooks, registered only when xdist is active (unknown hooks otherwise)."""

    def __init__(self, tower: TowerSession) -> None:
        self.tower = tower

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["tower_run_id"] = self.tower.run_id
        # node ids on the command line select gates on the workers too
        node.workerinput["tower_selection_args"] = list(self.tower.selection.args)

    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> TowerScheduling:
        from pytest_tower.run.xdist import TowerScheduling

        return TowerScheduling(config, log, self.tower.pipeline)

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.tower.selected = list(ids)
