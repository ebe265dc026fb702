"""The condition language: every op and unit, bad expressions, per-key metrics."""

from __future__ import annotations

import re

import pytest

from pytest_tower.core.conditions import WARN, ConditionError, parse_condition
from pytest_tower.core.model import BYTES, MILLISECONDS, PERCENT, SECONDS, MetricSpec

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


@pytest.mark.parametrize(("expr", "words"), [
    ("violations <= 1e999", "'1e999' is not a finite number"),
    ("coverage >= nan%", "'nan%' is not a number"),
    ("duration < 1e306h", "'1e306h' is not a finite number"),  # finite, but not in seconds
    ("p95 <= baseline * 1e999", "'1e999' is not a finite number"),
    ("p95 <= baseline * 0", "a factor is a number greater than 0"),
    ("p95 <= baseline * -2", "a factor is a number greater than 0"),
    ("p95 <= baseline + 1e999ms", "'1e999ms' is not a finite number"),
])
def test_non_finite_or_absurd_numbers_are_refused(expr: str, words: str) -> None:
    with pytest.raises(ConditionError, match=re.escape(words)):
        parse_condition(expr, METRICS)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_non_finite_measurement_is_never_compared(value: float) -> None:
    """`inf >= 10` and `nan != 5` hold: a value like that is no evidence."""
    for expr in ("files >= 10", "files != 5", "files <= 3"):
        result = parse_condition(expr, METRICS).evaluate({"files": value}, METRICS[5])
        assert result.passed is None
        assert "not a finite number" in result.why_unjudged


@pytest.mark.parametrize(("base", "why"), [
    (float("inf"), "gives the threshold inf"),
    (float("nan"), "gives the threshold nan"),
    (1e308, "gives the threshold inf"),  # finite, but times 10 it is not
])
def test_an_unusable_baseline_is_never_compared(base: float, why: str) -> None:
    condition = parse_condition("p95 <= baseline * 10", METRICS)
    result = condition.evaluate({"p95": 5.0}, METRICS[3], {"p95": base})
    assert result.passed is None and result.threshold is None
    assert why in result.why_unjudged and "--tower-update-baseline" in result.why_unjudged


def test_a_baseline_that_says_why_it_has_no_value() -> None:
    from pytest_tower.history.baseline import Baselines, CheckBaseline

    condition = parse_condition("p95 <= baseline", METRICS)
    own = CheckBaseline({"rps": 3.0}, unusable={"p95": "p95 is NaN in baseline.json"})
    assert condition.evaluate({"p95": 5.0}, METRICS[3], own).why_unjudged == (
        "p95 is NaN in baseline.json")
    broken = Baselines(problem="the baseline file cannot be used (garbled)").get("lint::x")
    result = condition.evaluate({"p95": 5.0}, METRICS[3], broken)
    assert result.passed is None
    assert result.why_unjudged == "the baseline file cannot be used (garbled)"


def test_a_missing_key_lists_the_keys_produced_and_suggests_one() -> None:
    metrics = {"p95": 12.0, "p95[GET /json]": 10.0, "p95[POST /items]": 14.0,
               "violations[F401]": 1.0}
    result = parse_condition("p95[/json] <= 100ms", METRICS).evaluate(metrics, METRICS[3])
    assert result.passed is None
    assert result.why_unjudged == (
        "the run produced no value for p95[/json]; it produced p95[GET /json], "
        "p95[POST /items]. Did you mean p95[GET /json]?")
    typo = parse_condition("p95[GET /jsno] <= 100ms", METRICS).evaluate(metrics, METRICS[3])
    assert typo.why_unjudged.endswith("Did you mean p95[GET /json]?")
    none = parse_condition("p95[x] <= 1ms", METRICS).evaluate({"p95": 1.0}, METRICS[3])
    assert none.why_unjudged.endswith("it produced no p95[...] values at all")


def test_a_counted_key_with_no_findings_is_a_real_zero() -> None:
    """violations[E501] for a code with no violation is 0 measured, not a missing value."""
    result = parse_condition("violations[E501] == 0", METRICS).evaluate(
        {"violations": 1, "violations[F401]": 1}, METRICS[0])
    assert result.passed is True and result.actual == 0


@pytest.mark.parametrize(("user", "implied", "replaces"), [
    ("failed <= 3", "failed == 0", True),     # an upper bound may relax an implied one
    ("failed == 0", "failed == 0", True),
    ("failed >= 0", "failed == 0", False),    # the other side bounds nothing
    ("tests >= 5", "tests >= 1", True),       # stricter lower bound
    ("tests >= 0", "tests >= 1", False),      # a lower bound that admits nothing measured
    ("tests <= 100", "tests >= 1", False),    # holds for zero tests
    ("tests != 3", "tests >= 1", False),
    ("tests >= baseline", "tests >= 1", False),  # the baseline may be zero
    ("tests > 0", "tests >= 1", False),   # kept beside it: harmless, and 0.5 > 0
    ("tests == 2", "tests >= 1", True),
    ("coverage >= 90%", "tests >= 1", False),  # another metric
])
def test_which_own_condition_takes_the_place_of_an_implied_one(user, implied, replaces) -> None:
    from pytest_tower.core.config import _takes_place_of

    metrics = [MetricSpec("failed"), MetricSpec("tests"), MetricSpec("coverage", PERCENT)]
    assert _takes_place_of(parse_condition(user, metrics),
                           parse_condition(implied, metrics)) is replaces


def test_a_key_the_tool_does_not_know_is_a_typo_not_a_zero() -> None:
    """A check type that lists its keys (rule codes, test ids) turns a typo into an error."""
    condition = parse_condition("violations[F4O1] == 0", METRICS)
    known = {"violations": ["F401", "F811", "E501"]}
    result = condition.evaluate({"violations": 0}, METRICS[0], None, known)
    assert result.passed is None
    assert result.why_unjudged == ("'F4O1' is not a key the tool knows for violations "
                                   "(3 known). Did you mean violations[F401]?")
    known_zero = parse_condition("violations[E501] == 0", METRICS).evaluate(
        {"violations": 0}, METRICS[0], None, known)
    assert known_zero.passed is True and known_zero.actual == 0


def test_a_key_is_read_without_stray_spaces() -> None:
    condition = parse_condition("violations[ F401 ] == 0", METRICS)
    assert condition.metric_id == "violations[F401]"
    with pytest.raises(ConditionError, match="an empty key"):
        parse_condition("violations[ ] == 0", METRICS)
