"""The condition language: `"<metric> <op> <value>[unit]"`. Pure, no I/O.

One parser and one evaluator serve every check type. A condition is parsed
once, when gates.toml is read, against the metrics its check type declares,
so a typo is a config error before anything runs, not a surprise at the end.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_tower.core.model import MetricSpec
from pytest_tower.core.suggest import did_you_mean
from pytest_tower.core.units import UNIT_NAMES, UnitError, format_value, split_number, to_unit

if TYPE_CHECKING:  # plain types of the report, no import at run time (core stays pure)
    from pytest_tower.report.schema import ConditionDict

OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}
_CONDITION = re.compile(
    r"^\s*(?P<metric>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<key>(?:[^\[\]]|\[[^\[\]]*\])+)\])?"
    r"\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>\S.*?)\s*$"
)
_BASELINE = re.compile(r"^baseline(?:\s*([*+-])\s*(\S+))?$")
FAIL = "fail"
WARN = "warn"
MAX_KEYS_SHOWN = 12


class ConditionError(ValueError):
    """A condition that cannot be parsed or names a metric that does not exist."""

    def __init__(self, message: str, *, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.suggestion = suggestion


@dataclass(frozen=True)
class Condition:
    """A parsed condition: `metric[key] op threshold` in the metric's unit.

    With `relative` set, the threshold is computed from the accepted baseline
    value of the same metric: ("*", 1.1) means baseline * 1.1, ("+", 0.5)
    baseline + 0.5, ("+", 0) the baseline itself.
    """

    expr: str
    metric: str
    key: str | None
    op: str
    threshold: float | None
    unit: str
    level: str = FAIL
    relative: tuple[str, float] | None = None

    @property
    def metric_id(self) -> str:
        return f"{self.metric}[{self.key}]" if self.key is not None else self.metric

    def evaluate(self, metrics: Mapping[str, float], spec: MetricSpec,
                 baseline: Mapping[str, float] | None = None,
                 known_keys: Mapping[str, Sequence[str]] | None = None) -> ConditionResult:
        """Compare the measured value with the threshold; no value -> passed None.

        Nothing unusable is compared: a non-finite measurement (`inf >= 10`
        holds) or baseline, or a key the run did not produce, leaves the
        condition unjudged with a note that says why, so the check errors.
        """
        actual = metrics.get(self.metric_id)
        if actual is None and self.key is not None and spec.key_default is not None:
            known = (known_keys or {}).get(self.metric)
            if known is not None and self.key not in known:  # a typo, not "none found"
                return ConditionResult(self, None, None, self.threshold,
                                       note=self._unknown_key(known))
            actual = spec.key_default
        if actual is None:
            return ConditionResult(self, None, None, self.threshold, note=self._no_value(metrics))
        if not _finite(actual):
            return ConditionResult(self, None, None, self.threshold, note=(
                f"the run measured {actual!r} for {self.metric_id}, not a finite number"))
        threshold, base, note = self.threshold, None, ""
        if self.relative is not None:
            base = (baseline or {}).get(self.metric_id)
            if base is None and self.key is not None and spec.key_default is not None \
                    and baseline is not None and not _baseline_problem(baseline, self.metric_id):
                base = spec.key_default  # the check was recorded without the key: it read 0
            threshold = None if base is None else _apply(base, *self.relative)
            if base is None:
                note = _baseline_problem(baseline, self.metric_id)
            elif not _finite(base) or not _finite(threshold):
                note = (f"the accepted baseline of {self.metric_id} ({base!r}) gives the "
                        f"threshold {threshold!r}, not a finite number; record a new "
                        "baseline with --tower-update-baseline")
                base, threshold = None, None
        if threshold is None:
            return ConditionResult(self, actual, None, threshold, base, note)
        return ConditionResult(self, actual, OPS[self.op](actual, threshold), threshold, base)

    def _unknown_key(self, known: Sequence[str]) -> str:
        guess = _closest_key(str(self.key), known)
        return (f"{self.key!r} is not a key the tool knows for {self.metric} "
                f"({len(known)} known)" + (f". Did you mean {self.metric}[{guess}]?"
                                           if guess else ""))

    def _no_value(self, metrics: Mapping[str, float]) -> str:
        """Why there is no value: for a keyed metric, the keys the run did produce."""
        text = f"the run produced no value for {self.metric_id}"
        if self.key is None:
            return text
        prefix = f"{self.metric}["
        keys = [k[len(prefix):-1] for k in metrics if k.startswith(prefix) and k.endswith("]")]
        if not keys:
            return f"{text}; it produced no {self.metric}[...] values at all"
        shown = ", ".join(f"{self.metric}[{k}]" for k in keys[:MAX_KEYS_SHOWN])
        more = f" and {len(keys) - MAX_KEYS_SHOWN} more" if len(keys) > MAX_KEYS_SHOWN else ""
        text += f"; it produced {shown}{more}"
        guess = _closest_key(self.key, keys)
        return text + (f". Did you mean {self.metric}[{guess}]?" if guess else "")


def _finite(value: float | None) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _closest_key(key: str, keys: Sequence[str]) -> str | None:
    """A typo, or a part of the key (`/json` for `GET /json`) when only one key holds it."""
    guess = did_you_mean(key, keys)
    if guess is not None:
        return guess
    holding = [k for k in keys if key.lower() in k.lower()]
    return holding[0] if len(holding) == 1 else None


def _baseline_problem(baseline: Mapping[str, float] | None, metric_id: str) -> str:
    """Why a baseline has no usable value, when the baseline says (see baseline.py)."""
    unusable: Mapping[str, str] = getattr(baseline, "unusable", {})
    return unusable.get(metric_id) or str(getattr(baseline, "problem", "") or "")


@dataclass(frozen=True)
class ConditionResult:
    """One condition after a run. `passed` is None when it could not be judged."""

    condition: Condition
    actual: float | None
    passed: bool | None
    threshold: float | None = None
    baseline: float | None = None
    note: str = ""

    @property
    def why_unjudged(self) -> str:
        if self.note:
            return self.note
        if self.actual is None:
            return f"the run produced no value for {self.condition.metric_id}"
        return (f"there is no accepted baseline for {self.condition.metric_id} "
                "(record one from a passing run with --tower-update-baseline)")

    def describe(self) -> str:
        return f"{self.condition.expr}  ({measured_text(self.to_dict())})"

    def to_dict(self) -> ConditionDict:
        c = self.condition
        data: ConditionDict = {
            "expr": c.expr,
            "metric": c.metric_id,
            "op": c.op,
            "threshold": self.threshold,
            "unit": c.unit,
            "actual": self.actual,
            "passed": self.passed,
            "level": c.level,
        }
        if c.relative is not None:
            data["baseline"] = self.baseline
        if self.note:
            data["note"] = self.note
        return data


def measured_text(result: Mapping[str, Any]) -> str:
    """What a condition measured, against what: `measured 2`, `measured 120ms, baseline
    100ms -> threshold 110ms`, `measured 120ms, no baseline yet`.

    Takes a report condition entry (ConditionResult.to_dict): every renderer
    (report/text.py, and a failed check's message here) words it this one way.
    """
    unit = result.get("unit") or ""
    text = f"measured {format_value(result.get('actual'), unit)}"
    if "baseline" not in result:
        return text
    if result["baseline"] is None:
        return text + (", no usable baseline" if result.get("note") else ", no baseline yet")
    return text + (f", baseline {format_value(result['baseline'], unit)}"
                   f" -> threshold {format_value(result.get('threshold'), unit)}")


def _apply(base: float, op: str, operand: float) -> float:
    return base * operand if op == "*" else base + operand if op == "+" else base - operand


def parse_condition(expr: object, metrics: Sequence[MetricSpec], level: str = FAIL) -> Condition:
    """Parse `expr` against the metrics a check type declares."""
    if not isinstance(expr, str):
        raise ConditionError(f"a condition is a string like \"violations == 0\", not {expr!r}")
    match = _CONDITION.match(expr)
    if not match:
        raise ConditionError(
            f"cannot read condition {expr!r}: expected \"<metric> <op> <value>[unit]\" "
            f"with op one of {' '.join(OPS)}, e.g. \"violations == 0\", \"coverage >= 90%\" "
            "or \"p95 <= baseline * 1.10\""
        )
    name, key, op, value = match.group("metric", "key", "op", "value")
    if key is not None:  # `violations[ F401 ]` means F401: a stray space must not miss it
        key = key.strip()
        if not key:
            raise ConditionError(f"condition {expr!r}: an empty key in {name}[...]")
    spec = next((m for m in metrics if m.name == name), None)
    if spec is None:
        names = [m.name for m in metrics]
        raise ConditionError(
            f"condition {expr!r}: unknown metric {name!r}; this check produces: "
            + ", ".join(_metric_label(m) for m in metrics),
            suggestion=did_you_mean(name, names),
        )
    if key is not None and not spec.keyed:
        raise ConditionError(f"condition {expr!r}: metric {name!r} has no per-key values")
    relative = _BASELINE.match(value)
    if not relative and value.startswith("baseline"):
        raise ConditionError(f"condition {expr!r}: compare with the baseline as `baseline`, "
                             "`baseline * 1.1`, `baseline + 5ms` or `baseline - 0.5%`")
    try:
        if relative:
            operator_, operand = relative.group(1, 2)
            if operator_ is None:
                return Condition(expr.strip(), name, key, op, None, spec.unit, level, ("+", 0.0))
            number = float(split_number(operand)[0]) if operator_ == "*" else to_unit(
                operand, spec.unit)
            if operator_ == "*" and split_number(operand)[1]:
                raise UnitError(f"a factor is a plain number, not {operand!r}")
            if operator_ == "*" and number <= 0:
                raise UnitError(f"a factor is a number greater than 0, not {operand!r}")
            return Condition(expr.strip(), name, key, op, None, spec.unit, level,
                             (operator_, number))
        threshold = to_unit(value, spec.unit)
    except UnitError as exc:
        raise ConditionError(
            f"condition {expr!r}: {exc} ({name} is {UNIT_NAMES[spec.unit]})"
        ) from None
    return Condition(expr.strip(), name, key, op, threshold, spec.unit, level)


def _metric_label(spec: MetricSpec) -> str:
    return f"{spec.name}[<key>]" if spec.keyed else spec.name
