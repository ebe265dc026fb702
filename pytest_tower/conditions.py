"""The condition language: `"<metric> <op> <value>[unit]"`. Pure, no I/O.

One parser and one evaluator serve every check type. A condition is parsed
once, when gates.toml is read, against the metrics its check type declares,
so a typo is a config error before anything runs, not a surprise at the end.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_tower.model import MetricSpec
from pytest_tower.units import UNIT_NAMES, UnitError, format_value, to_unit

OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
_CONDITION = re.compile(
    r"^\s*(?P<metric>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<key>[^\]]+)\])?"
    r"\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>\S.*?)\s*$"
)
FAIL = "fail"
WARN = "warn"


class ConditionError(ValueError):
    """A condition that cannot be parsed or names a metric that does not exist."""

    def __init__(self, message: str, *, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.suggestion = suggestion


@dataclass(frozen=True)
class Condition:
    """A parsed condition: `metric[key] op threshold` in the metric's unit."""

    expr: str
    metric: str
    key: str | None
    op: str
    threshold: float
    unit: str
    level: str = FAIL

    @property
    def metric_id(self) -> str:
        return f"{self.metric}[{self.key}]" if self.key is not None else self.metric

    def evaluate(self, metrics: Mapping[str, float], spec: MetricSpec) -> ConditionResult:
        """Compare the measured value with the threshold; no value -> passed None."""
        actual = metrics.get(self.metric_id)
        if actual is None and self.key is not None and spec.key_default is not None:
            actual = spec.key_default
        passed = None if actual is None else OPS[self.op](actual, self.threshold)
        return ConditionResult(self, actual, passed)


@dataclass(frozen=True)
class ConditionResult:
    """One condition after a run. `passed` is None when the metric had no value."""

    condition: Condition
    actual: float | None
    passed: bool | None

    def describe(self) -> str:
        c = self.condition
        measured = format_value(self.actual, c.unit)
        return f"{c.expr}  (measured {measured})"

    def to_dict(self) -> dict[str, Any]:
        c = self.condition
        return {
            "expr": c.expr,
            "metric": c.metric_id,
            "op": c.op,
            "threshold": c.threshold,
            "unit": c.unit,
            "actual": self.actual,
            "passed": self.passed,
            "level": c.level,
        }


def parse_condition(expr: object, metrics: Sequence[MetricSpec], level: str = FAIL) -> Condition:
    """Parse `expr` against the metrics a check type declares."""
    if not isinstance(expr, str):
        raise ConditionError(f"a condition is a string like \"violations == 0\", not {expr!r}")
    match = _CONDITION.match(expr)
    if not match:
        raise ConditionError(
            f"cannot read condition {expr!r}: expected \"<metric> <op> <value>[unit]\" "
            f"with op one of {' '.join(OPS)}, e.g. \"violations == 0\" or \"coverage >= 90%\""
        )
    name, key, op, value = match.group("metric", "key", "op", "value")
    spec = next((m for m in metrics if m.name == name), None)
    if spec is None:
        from pytest_tower.suggest import did_you_mean

        names = [m.name for m in metrics]
        raise ConditionError(
            f"condition {expr!r}: unknown metric {name!r}; this check produces: "
            + ", ".join(_metric_label(m) for m in metrics),
            suggestion=did_you_mean(name, names),
        )
    if key is not None and not spec.keyed:
        raise ConditionError(f"condition {expr!r}: metric {name!r} has no per-key values")
    try:
        threshold = to_unit(value, spec.unit)
    except UnitError as exc:
        raise ConditionError(
            f"condition {expr!r}: {exc} ({name} is {UNIT_NAMES[spec.unit]})"
        ) from None
    return Condition(expr.strip(), name, key, op, threshold, spec.unit, level)


def bounded_metrics(conditions: Sequence[Condition]) -> set[str]:
    """Metric ids that the given conditions already constrain."""
    return {c.metric_id for c in conditions}


def _metric_label(spec: MetricSpec) -> str:
    return f"{spec.name}[<key>]" if spec.keyed else spec.name
