"""gates.toml as a pytest tree: GatesFile -> StageNode -> CheckItem.

Measuring happens in `setup` and judging in `runtest`, so pytest's own two
kinds of trouble match ours: a check that could not measure is an ERROR, a
check whose condition did not hold is a FAILURE, and a blocked check is a
skip. `-k`, `-x`, `--lf` and `--junitxml` then work as on any test.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tower.core.config import CheckSpec, Stage
from pytest_tower.core.outcome import BLOCKED, ERROR, FAILED, Outcome
from pytest_tower.report.text import condition_line, finding_line

if TYPE_CHECKING:
    from pytest_tower.run.session import TowerSession

MAX_FINDINGS_SHOWN = 20


class CheckProblem(Exception):
    """Raised by a CheckItem whose outcome is not a pass; carries the outcome."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


class GatesFile(pytest.File):
    def collect(self) -> Iterator[StageNode]:
        for stage in _tower(self).pipeline.stages:
            yield StageNode.from_parent(self, name=stage.name, stage=stage)


class StageNode(pytest.Collector):
    def __init__(self, *, stage: Stage, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stage = stage

    def collect(self) -> Iterator[CheckItem]:
        for spec in self.stage.checks:
            yield CheckItem.from_parent(self, name=spec.name, spec=spec)


class CheckItem(pytest.Item):
    def __init__(self, *, spec: CheckSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.outcome: Outcome | None = None

    def setup(self) -> None:
        self.outcome = _tower(self).measure(self)
        for name, value in self.outcome.metrics.items():
            self.user_properties.append((f"tower.{name}", value))
        self.user_properties.append(("tower.verdict", self.outcome.verdict))
        if self.outcome.verdict == BLOCKED:
            pytest.skip(self.outcome.message)
        if self.outcome.verdict == ERROR:
            raise CheckProblem(self.outcome)

    def runtest(self) -> None:
        if self.outcome is not None and self.outcome.verdict == FAILED:
            raise CheckProblem(self.outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
                     ) -> Any:
        if isinstance(excinfo.value, CheckProblem):
            return ProblemRepr(excinfo.value.outcome)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        line = self.spec.line - 1 if self.spec.line else None
        return self.path, line, f"{self.spec.id} ({self.spec.check_type.name})"


class ProblemRepr:
    """A check's failure as plain text: no traceback, since the tool is not our code.

    Used for setup errors too (pytest shows those without repr_failure), via
    the makereport hook. Under xdist it travels as its text.
    """

    def __init__(self, outcome: Outcome) -> None:
        self.text = explain(outcome)
        first = outcome.message.splitlines()[0] if outcome.message else outcome.verdict
        self.reprcrash = SimpleNamespace(message=first, path=outcome.id, lineno=0)

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line)

    def __str__(self) -> str:
        return self.text


def explain(outcome: Outcome) -> str:
    """A failed or errored check, in a few lines a person reads like pytest's."""
    head = "could not measure" if outcome.verdict == ERROR else "failed"
    lines = [f"{outcome.stage}::{outcome.check} {head}" + (f" [{outcome.tool}]"
                                                            if outcome.tool else "")]
    lines.append(outcome.message.removeprefix("could not measure: "))
    if outcome.conditions:
        lines.append("conditions:")
        lines.extend(condition_line(c) for c in outcome.conditions)
    if outcome.findings:
        lines.append(f"findings ({len(outcome.findings)}):")
        for finding in outcome.findings[:MAX_FINDINGS_SHOWN]:
            lines.append("  " + finding_line(finding))
        if len(outcome.findings) > MAX_FINDINGS_SHOWN:
            lines.append(f"  … and {len(outcome.findings) - MAX_FINDINGS_SHOWN} more")
    if outcome.notes:
        lines.append("notes:")
        lines.extend(f"  {note}" for note in outcome.notes)
    return "\n".join(lines)


def _tower(node: pytest.Item | pytest.Collector) -> TowerSession:
    from pytest_tower.run.session import TOWER_KEY

    return node.config.stash[TOWER_KEY]
