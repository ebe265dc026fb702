"""What a TowerSession shows of itself: outcomes per check, the verdict line, the status,
live progress and the terminal summary.

A mixin of TowerSession (run/session.py): read-only views the report, the
terminal summary and the exit status share, kept apart from the hooks that
measure and record.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

from pytest_tower.core.outcome import SKIPPED, GateVerdict, Outcome

if TYPE_CHECKING:
    from pytest_tower.core.config import CheckSpec, Pipeline
    from pytest_tower.report.terminal import ProgressLine
    from pytest_tower.run.session import TowerSession
    from pytest_tower.run.shard import Shard


def gates_file_id(rootpath: Path, gates: Path) -> str:
    """The node id pytest gives gates.toml when it lies under the rootdir (its path
    relative to it); outside, pytest words it from the command line's arguments, so the
    collected node's own id (`gates_nodeid`) is preferred wherever it was collected."""
    try:
        return gates.relative_to(rootpath).as_posix()
    except ValueError:
        return str(gates)


class OutcomeViews:
    gates_nodeid: str | None = None  # the collected gates.toml node's id, once collected
    config: pytest.Config
    pipeline: Pipeline
    outcomes: dict[str, Outcome]
    selected: list[str] | None
    verdict: GateVerdict | None
    interrupted_by: str
    internal_errors: list[str]
    shard: Shard | None
    is_worker: bool
    session: pytest.Session | None

    if TYPE_CHECKING:  # provided by TowerSession
        def expected(self) -> list[CheckSpec]: ...

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
        if self.shard is not None:  # never mistaken for the verdict of the whole gate
            words = self.verdict.line.split(" ", 3)  # TOWER GATE PASSED|FAILED ...
            return " ".join([*words[:3], f"[shard {self.shard.label}: one part; the verdict "
                             "is the merge's]", *words[3:]])
        return self.verdict.line

    def status(self) -> str:
        """The report's verdict: passed, failed, error or interrupted."""
        if self.interrupted_by:
            return "interrupted"
        if self.internal_errors:
            return "error"
        return "passed" if self.verdict is not None and self.verdict.passed else "failed"

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
                message=self._not_selected(spec))

    def _not_selected(self, spec: CheckSpec) -> str:
        if self.shard is not None:
            from pytest_tower.run.shard import not_here

            why = not_here(spec, self.shard)
            if why:
                return f"not in shard {self.shard.label}: {why}"
        return "deselected (not selected in this session)"

    def _not_run(self, nodeid: str, message: str) -> Outcome:
        stage, check = nodeid.split("::")[-2:]
        return Outcome(nodeid, stage, check, SKIPPED, message=message)

    def learn_gates_nodeid(self, outcomes: list[Outcome]) -> None:
        """The xdist controller collects nothing: it reads gates.toml's node id off the
        ids its workers reported (it differs from the rootdir-relative path when
        gates.toml lies outside the rootdir)."""
        if self.gates_nodeid is not None:
            return
        for outcome in outcomes:
            for spec in self.expected():
                suffix = f"::{spec.stage}::{spec.name}"
                if outcome.id.endswith(suffix):
                    self.gates_nodeid = outcome.id[: -len(suffix)]
                    return

    def nodeid(self, spec: CheckSpec) -> str:
        base = self.gates_nodeid
        if base is None:
            base = gates_file_id(self.config.rootpath, self.pipeline.path)
        return f"{base}::{spec.stage}::{spec.name}"

    def progress_writer(self) -> ProgressLine | None:
        """Live progress of a long check on the terminal (in-process runs only)."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None or self.is_worker:
            return None
        from pytest_tower.report.terminal import ProgressLine

        return ProgressLine(reporter)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.is_worker or self.config.option.collectonly:
            return
        from pytest_tower.report.terminal import write_summary

        try:
            write_summary(terminalreporter, cast("TowerSession", self))
        except Exception as exc:  # the summary must never raise
            self.internal_errors.append(f"terminal summary: {type(exc).__name__}: {exc}")
            terminalreporter.write_line(f"tower: {self.internal_errors[-1]}")
            terminalreporter.write_line("TOWER GATE ERROR: the gate's own code failed; "
                                        "nothing is proven")
            if self.session is not None:
                from pytest_tower.run.finish import set_exit

                set_exit(cast("TowerSession", self), self.session)
