"""workers = "auto": the count comes from this stage's earlier serial and parallel runs."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_tower.checks.pytest_suite.workers import PROBE_OVER, SERIAL_UNDER, choose


def entry(workers: Any, duration: Any, tests: Any = 100, test_time: Any = None
          ) -> dict[str, Any]:
    metrics = {"workers": workers, "duration": duration, "tests": tests}
    if test_time is not None:
        metrics["test_time"] = test_time
    return {"verdict": "passed", "duration_s": duration, "metrics": metrics}


def pick(entries: list[dict[str, Any]], cpus: int = 4, outer: int = 1) -> tuple[int, str]:
    choice = choose("auto", lambda: entries, cpus=cpus, outer_workers=outer)
    return choice.count, choice.why


def test_an_explicit_number_is_obeyed_whatever_the_history() -> None:
    slow_serial = [entry(1, 90.0)] * 3
    assert choose(1, lambda: slow_serial, cpus=8, outer_workers=1).count == 1
    assert choose(3, lambda: [], cpus=1, outer_workers=4).count == 3
    assert choose(3, lambda: [], cpus=1, outer_workers=4).why == ""


def test_no_history_runs_serially() -> None:
    count, why = pick([])
    assert count == 1
    assert "no earlier run" in why


def test_serial_runs_whose_tests_took_long_enough_try_parallel() -> None:
    # the realistic bench suite: 14.5 s a run, 9.2 s of it in the tests (33,000 items
    # collected): under SERIAL_UNDER, yet 2 workers took 12.4-13.2 s
    count, why = pick([entry(1, 14.5, test_time=9.2)] * 3)
    assert (count, "measuring a parallel run" in why) == (4, True)
    count, why = pick([entry(1, 14.5, test_time=PROBE_OVER - 0.5)] * 3)
    assert count == 1
    assert f"{PROBE_OVER - 0.5:.1f} s of it in the tests" in why


def test_test_time_decides_over_the_wall_time() -> None:
    # a long run spent collecting and starting, hardly testing: a second worker cannot help
    assert pick([entry(1, 60.0, test_time=1.0)] * 3)[0] == 1
    # the median of the recent runs that recorded it; older runs without it are still counted
    mixed = [entry(1, 14.0), entry(1, 14.0, test_time=8.0), entry(1, 14.0, test_time=9.0)]
    assert pick(mixed)[0] == 4


@pytest.mark.parametrize("junk", [True, "9", -1.0, float("nan"), float("inf"), [9]])
def test_a_test_time_that_is_no_duration_is_no_evidence(junk: Any) -> None:
    """Then the wall time decides, as for runs recorded before test_time existed."""
    assert pick([entry(1, SERIAL_UNDER - 1, test_time=junk)] * 3)[0] == 1
    assert pick([entry(1, SERIAL_UNDER + 1, test_time=junk)] * 3)[0] == 4


def test_short_serial_runs_stay_serial_long_ones_try_parallel() -> None:
    """Runs recorded before test_time existed: their wall time decides."""
    assert pick([entry(1, SERIAL_UNDER - 1)] * 3)[0] == 1
    count, why = pick([entry(1, 5.0), entry(1, 40.0), entry(1, 41.0)])
    assert (count, "measuring a parallel run" in why) == (4, True)


def test_short_parallel_runs_try_serial_once() -> None:
    count, why = pick([entry(2, 6.0)] * 2)
    assert count == 1
    assert "measuring a serial run" in why
    assert pick([entry(2, 60.0)] * 2)[0] == 4


@pytest.mark.parametrize(("serial", "parallel", "expected"), [
    (30.0, 19.0, 4),  # parallel faster
    (15.8, 19.2, 1),  # the suite: two workers re-collecting cost more than they saved
])
def test_both_kinds_the_faster_wins(serial: float, parallel: float, expected: int) -> None:
    count, why = pick([entry(1, serial), entry(2, parallel)])
    assert count == expected
    assert f"serial {serial:.1f} s" in why and f"parallel {parallel:.1f} s" in why


def test_compared_per_test_so_a_grown_suite_is_judged_fairly() -> None:
    # serial took 20 s for 100 tests (200 ms each); parallel 30 s for 300 tests (100 ms each)
    assert pick([entry(1, 20.0, tests=100), entry(2, 30.0, tests=300)])[0] == 4


def test_the_median_of_the_recent_runs_not_one_outlier() -> None:
    serial = [entry(1, 100.0), entry(1, 20.0), entry(1, 21.0), entry(1, 22.0)]  # 100 s is old
    parallel = [entry(2, 30.0), entry(2, 31.0), entry(2, 5.0)]  # one lucky run
    assert pick(serial + parallel)[0] == 1


def test_entries_without_evidence_are_ignored() -> None:
    junk = [entry(None, 50.0), entry(True, 50.0), entry(2, 0), entry(2, 50.0, tests=0),
            entry("2", 50.0), {"verdict": "passed", "duration_s": 50.0}]
    assert pick(junk) == pick([])


@pytest.mark.parametrize(("cpus", "outer", "expected"), [(2, 2, 1), (2, 1, 2), (8, 2, 4),
                                                          (1, 1, 1), (3, 2, 1)])
def test_the_cpus_are_shared_with_the_gates_running_at_once(cpus: int, outer: int,
                                                             expected: int) -> None:
    count, why = pick([entry(1, 60.0)] * 3, cpus=cpus, outer=outer)
    assert count == expected
    if expected == 1:
        assert "leave no second CPU" in why
