"""Outcomes of checks and the one verdict of the run. Pure, no pytest.

Three verdicts never blur: `passed` (evidence every condition held),
`failed` (evidence one did not), `error` (could not measure). `blocked` and
`skipped` are checks that did not run. Only `passed` counts as passing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pytest_tower.core.conditions import FAIL, ConditionResult
from pytest_tower.core.config import CheckSpec, Pipeline
from pytest_tower.core.model import Measurement, MetricSpec

if TYPE_CHECKING:  # plain types of the report, no import at run time (core stays pure)
    from pytest_tower.report.schema import ConditionDict, FindingDict



class Status(StrEnum):
    """A check's verdict. The values are the strings reports and history carry."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    BLOCKED = "blocked"
    SKIPPED = "skipped"


# The values as plain str, for `from ...outcome import PASSED`: they travel to and from
# xdist workers, and execnet serializes str but not a str subclass such as an enum member.
PASSED, FAILED, ERROR, BLOCKED, SKIPPED = (s.value for s in Status)
VERDICTS: tuple[str, ...] = (PASSED, FAILED, ERROR, BLOCKED, SKIPPED)


@dataclass
class Outcome:
    """What became of one check; travels from xdist workers as a plain dict."""

    id: str
    stage: str
    check: str
    verdict: str
    tool: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    conditions: list[ConditionDict] = field(default_factory=list)
    message: str = ""
    findings: list[FindingDict] = field(default_factory=list)
    duration_s: float = 0.0
    artifacts: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.verdict = str(self.verdict)  # a plain str even if given a Status (see above)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Outcome:
        return cls(**data)


def judge(spec: CheckSpec, measurement: Measurement, baseline: Mapping[str, float] | None = None,
          recording_baseline: bool = False) -> tuple[str, list[ConditionResult], str]:
    """Evaluate every condition of `spec` on a measurement: verdict, results, why.

    A condition against a baseline that does not exist yet cannot be judged
    (error), except in the run that records the baseline.
    """
    results = [
        c.evaluate(measurement.metrics, _metric(spec, c.metric), baseline,
                   measurement.known_keys)
        for c in (*spec.conditions, *spec.warn)
    ]
    gating = [r for r in results if r.condition.level == FAIL]
    unmeasured = [r for r in gating if r.passed is None
                  and not (recording_baseline and r.actual is not None)]
    if unmeasured:
        return ERROR, results, "could not judge: " + "; ".join(
            f"{r.condition.expr}: {r.why_unjudged}" for r in unmeasured)
    broken = [r for r in gating if r.passed is False]
    if broken:
        return FAILED, results, "condition not met: " + "; ".join(r.describe() for r in broken)
    return PASSED, results, ""


def _metric(spec: CheckSpec, name: str) -> MetricSpec:
    metric = spec.check_type.metric(name)
    if metric is None:  # parse_condition accepts only metrics the check type declares
        raise ValueError(f"{spec.id}: check type {spec.check_type.name!r} has no metric {name!r}")
    return metric


def blocked_by(spec: CheckSpec, pipeline: Pipeline, verdicts: Mapping[str, str], *,
               strict: bool = False) -> str | None:
    """Why `spec` must not run: a check it needs ran and did not pass. None if free.

    A need that was not run in this session (deselected with -k, say) does
    not block: the user chose to run this check on its own, and the run is
    partial (it says so, and never promotes). With `strict` (a check of a
    promote-only environment) a need must have run in this session and passed.
    """
    for ref in spec.needs:
        for need in pipeline.resolve(ref):
            verdict = verdicts.get(need.id)
            if verdict is None and strict:
                return (f"blocked: needs {ref!r}, and {need.id} did not run in this session "
                        "(deselected or not reached); production is only touched after "
                        "every other gate ran and passed")
            if verdict is not None and verdict != PASSED:
                return f"blocked: needs {ref!r}, and {need.id} {verdict}"
    return None


@dataclass(frozen=True)
class GateVerdict:
    """The run's verdict. `expected` checks make a complete run; `not_run` of them did not
    run; `problem` says why a run whose selected checks all passed still fails."""

    passed: bool
    counts: Counter[str]
    total: int
    expected: int = 0
    not_run: tuple[str, ...] = ()
    problem: str = ""

    @property
    def complete(self) -> bool:
        return not self.not_run

    @property
    def partial(self) -> str:
        """` (partial: 2 of 12 checks selected)`, or '' for a complete run."""
        if self.complete:
            return ""
        if self.total < self.expected:
            return f" (partial: {self.total} of {self.expected} checks selected)"
        ran = max(self.expected - len(self.not_run), 0)
        return f" (partial: {ran} of {self.expected} checks ran)"

    @property
    def line(self) -> str:
        if self.passed:
            return (f"TOWER GATE PASSED{self.partial}: {self.total} of {self.total} "
                    "checks passed")
        if self.problem:
            return f"TOWER GATE FAILED{self.partial}: {self.problem}"
        if self.total == 0:
            return "TOWER GATE FAILED: no checks ran, so nothing was proven"
        bad = self.total - self.counts[PASSED]
        detail = ", ".join(f"{self.counts[v]} {v}" for v in VERDICTS[1:] if self.counts[v])
        return f"TOWER GATE FAILED{self.partial}: {bad} of {self.total} checks failed ({detail})"


def gate_verdict(outcomes: Iterable[Outcome], *, expected: int | None = None,
                 not_run: Iterable[str] = (), problem: str = "") -> GateVerdict:
    """Passed only if at least one check ran, every selected check passed, and no problem
    (a gate dropped by something other than the command line, an incomplete run that
    had to be complete) stands."""
    counts = Counter(o.verdict for o in outcomes)
    total = sum(counts.values())
    passed = total > 0 and counts[PASSED] == total and not problem
    return GateVerdict(passed, counts, total, total if expected is None else expected,
                       tuple(not_run), problem)

