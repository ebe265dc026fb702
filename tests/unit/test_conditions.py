"""The condition language: every op and unit, bad expressions, per-key metrics."""

from __future__ import annotations

import pytest

from pytest_tower.conditions import WARN, ConditionError, parse_condition
from pytest_tower.model import BYTES, MILLISECONDS, PERCENT, SECONDS, MetricSpec

METRICS = [
    MetricSpec("violations", keyed=True, key_default=0),
    MetricSpec("coverage", PERCENT),
    MetricSpec("duration", SECONDS),
    MetricSpec("p95", MILLISECONDS, keyed=True),
    MetricSpec("size", BYTES),
    MetricSpec("files"),
]


@pytest.mark.parametrize(
    ("expr", "metrics", "passed"),
    [
        ("violations == 0", {"violations": 0}, True),
        ("violations == 0", {"violations": 2}, False),
        ("violations != 0", {"violations": 2}, True),
        ("violations < 3", {"violations": 3}, False),
        ("violations <= 3", {"violations": 3}, True),
        ("violations > 3", {"violations": 3}, False),
        ("violations >= 3", {"violations": 3}, True),
        ("coverage >= 85%", {"coverage": 85.0}, True),
        ("coverage >= 85.5%", {"coverage": 85.4}, False),
        ("duration < 2s", {"duration": 1.99}, True),
        ("duration < 1500ms", {"duration": 1.6}, False),
        ("duration <= 2m", {"duration": 120.0}, True),
        ("p95 < 200ms", {"p95": 199.0}, True),
        ("p95 < 0.2s", {"p95": 201.0}, False),
        ("size < 5MB", {"size": 4_999_999}, True),
        ("size < 5MiB", {"size": 5_000_000}, True),
        ("size < 1kB", {"size": 1000}, False),
        ("violations[F401] == 0", {"violations": 2, "violations[F401]": 2}, False),
        ("violations[E501] == 0", {"violations": 2, "violations[F401]": 2}, True),
        ("p95[POST /tasks] < 250ms", {"p95[POST /tasks]": 240.0}, True),
        ("  violations==0  ", {"violations": 0}, True),
        ("violations >= -1", {"violations": 0}, True),
    ],
)
def test_every_op_and_unit(expr: str, metrics: dict[str, float], passed: bool) -> None:
    condition = parse_condition(expr, METRICS)
    spec = next(m for m in METRICS if m.name == condition.metric)
    assert condition.evaluate(metrics, spec).passed is passed


def test_a_metric_with_no_value_is_not_a_pass() -> None:
    condition = parse_condition("coverage >= 90%", METRICS)
    result = condition.evaluate({}, METRICS[1])
    assert result.passed is None
    assert result.actual is None


def test_a_key_without_default_has_no_value() -> None:
    condition = parse_condition("p95[GET /gone] < 200ms", METRICS)
    result = condition.evaluate({"p95": 10.0}, METRICS[3])
    assert result.passed is None


def test_unit_conversion_is_to_the_metric_unit() -> None:
    assert parse_condition("p95 < 1.5s", METRICS).threshold == pytest.approx(1500.0)
    assert parse_condition("duration < 250ms", METRICS).threshold == pytest.approx(0.25)
    assert parse_condition("size < 2GiB", METRICS).threshold == 2 * 1024**3


def test_warn_level_is_kept() -> None:
    assert parse_condition("violations == 0", METRICS, WARN).level == WARN


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("violations", "cannot read condition"),
        ("violations = 0", "cannot read condition"),
        ("violations =< 0", "cannot read condition"),
        ("== 0", "cannot read condition"),
        ("violations == ", "cannot read condition"),
        ("violations == zero", "is not a number"),
        ("violations == 0 or 1", "is not a number"),
        ("coverage >= 85", "write 85%"),
        ("duration < 2", "write 2s or 2ms"),
        ("violations == 3%", "is a count"),
        ("size < 5", "is a size"),
        ("p95 < 200MB", "is a duration"),
        ("violatons == 0", "unknown metric 'violatons'"),
        ("files[x] == 0", "has no per-key values"),
        ("p95[] < 1ms", "cannot read condition"),
    ],
)
def test_bad_expressions_say_why(expr: str, words: str) -> None:
    with pytest.raises(ConditionError) as excinfo:
        parse_condition(expr, METRICS)
    assert words in str(excinfo.value)


def test_unknown_metric_lists_what_exists_and_suggests() -> None:
    with pytest.raises(ConditionError) as excinfo:
        parse_condition("violatons == 0", METRICS)
    assert "violations[<key>]" in str(excinfo.value)
    assert "coverage" in str(excinfo.value)
    assert excinfo.value.suggestion == "violations"


def test_not_a_string() -> None:
    with pytest.raises(ConditionError, match="is a string"):
        parse_condition(3, METRICS)


@pytest.mark.parametrize(
    ("expr", "base", "actual", "threshold", "passed"),
    [
        ("p95 <= baseline * 1.10", 100.0, 110.0, 110.0, True),
        ("p95 <= baseline * 1.10", 100.0, 110.5, 110.0, False),
        ("coverage >= baseline - 0.5%", 90.0, 89.5, 89.5, True),
        ("coverage >= baseline - 0.5%", 90.0, 89.4, 89.5, False),
        ("violations <= baseline", 3, 3, 3, True),
        ("violations <= baseline", 3, 4, 3, False),
        ("duration < baseline + 500ms", 2.0, 2.4, 2.5, True),
    ],
)
def test_baseline_conditions(expr, base, actual, threshold, passed) -> None:
    condition = parse_condition(expr, METRICS)
    spec = next(m for m in METRICS if m.name == condition.metric)
    result = condition.evaluate({condition.metric_id: actual}, spec, {condition.metric_id: base})
    assert result.threshold == pytest.approx(threshold)
    assert result.passed is passed
    assert result.to_dict()["baseline"] == base


def test_no_baseline_cannot_be_judged() -> None:
    condition = parse_condition("p95 <= baseline * 1.1", METRICS)
    result = condition.evaluate({"p95": 5.0}, METRICS[3], {})
    assert result.passed is None
    assert "no accepted baseline for p95" in result.why_unjudged


@pytest.mark.parametrize(
    ("expr", "words"),
    [("p95 <= baseline * 1.1ms", "a factor is a plain number"),
     ("coverage >= baseline - 0.5", "write 0.5%"),
     ("p95 <= baseline / 2", "compare with the baseline as")],
)
def test_bad_baseline_expressions(expr: str, words: str) -> None:
    with pytest.raises(ConditionError, match=words):
        parse_condition(expr, METRICS)
