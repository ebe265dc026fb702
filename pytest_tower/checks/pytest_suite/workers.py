"""How many xdist workers a test stage runs with: the number asked, or for "auto", evidence.

xdist's own `-n auto` starts one worker per CPU whatever the suite: on a suite
that collects many items and runs few seconds of tests, each worker's
collection costs more than the parallel run saves (the issue that asked for
this measured 2 workers 1.19x slower than serial on such a suite). So "auto"
decides from this stage's own history, per run:

- no evidence: serial (a suite the gate has not timed yet is run the safe way);
- only serial runs: try the parallel run once to measure it when the tests
  themselves took PROBE_OVER seconds or more (`test_time`, the sum of their
  durations: on 2 cores a second worker can save at most half of it, and its
  start-up, its own collection and the reports it relays cost about 2.7 s on
  the realistic bench suite: 14.7 s serial with 9.2 s of tests, 12.8 s on 2
  workers instead of 10.1), else stay serial; runs recorded before
  `test_time` existed fall back to their wall time against SERIAL_UNDER;
- only parallel runs: try serial once if they took under SERIAL_UNDER seconds
  (a short suite may be faster without xdist), else stay parallel;
- both: the one with the lower median seconds per test over its last runs
  (per test, so a suite that grew between the runs is compared fairly).

The parallel count is the CPUs this process may use, shared with the outer
run's xdist workers when `pytest --tower -n N` runs several gates at once
(N gates x `-n auto` workers on N cores would oversubscribe them); a share
under 2 is serial. An explicit `workers = N` is always obeyed.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SERIAL_UNDER = 20.0  # seconds of wall time: below it a suite rarely gains from xdist
PROBE_OVER = 5.0  # seconds of test time: from here a second worker may win back its cost
RECENT = 3  # runs of each kind whose median is compared


@dataclass(frozen=True)
class Choice:
    count: int
    why: str  # a note for the report: what decided, with the figures ("" when asked)


def choose(requested: int | str, past: Callable[[], Sequence[Mapping[str, Any]]],
           cpus: int | None = None, outer_workers: int | None = None) -> Choice:
    """The worker count for this run: `requested` if a number, else from `past` entries."""
    if requested != "auto":
        return Choice(int(requested), "")
    share = max(1, (cpus or available_cpus()) // max(1, outer_workers or outer_count()))
    if share < 2:
        return Choice(1, f'workers "auto": 1 ({_cpu_text(cpus, outer_workers)} leave no '
                         "second CPU for this stage)")
    serial, parallel = _evidence(past())
    if serial is None and parallel is None:
        return Choice(1, 'workers "auto": 1 (no earlier run of this stage to compare; '
                         "the next runs measure)")
    if parallel is None:
        assert serial is not None
        if serial.test_time is not None and serial.test_time < PROBE_OVER:
            return Choice(1, f'workers "auto": 1 (serial runs took {serial.text}, '
                             f"{serial.test_time:.1f} s of it in the tests: under "
                             f"{PROBE_OVER:.0f} s, too little for a second worker to win "
                             "back its start-up)")
        if serial.test_time is None and serial.seconds < SERIAL_UNDER:
            return Choice(1, f'workers "auto": 1 (serial runs took {serial.text}, under '
                             f"{SERIAL_UNDER:.0f} s)")
        return Choice(share, f'workers "auto": {share} (serial runs took {serial.text}; '
                             "measuring a parallel run)")
    if serial is None:
        if parallel.seconds < SERIAL_UNDER:
            return Choice(1, f'workers "auto": 1 (parallel runs took {parallel.text}, under '
                             f"{SERIAL_UNDER:.0f} s; measuring a serial run)")
        return Choice(share, f'workers "auto": {share} (parallel runs took {parallel.text})')
    faster = share if parallel.per_test < serial.per_test else 1
    return Choice(faster, f'workers "auto": {faster} (serial {serial.text}, parallel '
                          f"{parallel.text}: {serial.per_test * 1000:.1f} vs "
                          f"{parallel.per_test * 1000:.1f} ms a test)")


@dataclass(frozen=True)
class _Timing:
    seconds: float  # median duration of the recent runs
    per_test: float  # median seconds per test
    runs: int
    test_time: float | None  # median of the recent runs' test_time; None: none recorded it

    @property
    def text(self) -> str:
        return f"{self.seconds:.1f} s (median of {self.runs})"


def _evidence(entries: Sequence[Mapping[str, Any]]) -> tuple[_Timing | None, _Timing | None]:
    """(serial, parallel) timings from entries that say how many workers they ran."""
    kinds: dict[bool, list[tuple[float, float, float | None]]] = {False: [], True: []}
    for entry in entries:
        metrics = entry.get("metrics") or {}
        workers, tests, duration = (_positive(metrics.get("workers")),
                                    _positive(metrics.get("tests")),
                                    _positive(metrics.get("duration", entry.get("duration_s"))))
        test_time = _seconds(metrics.get("test_time"))
        if workers and tests and duration:  # else from before workers were recorded: no evidence
            kinds[workers > 1].append((duration, duration / tests, test_time))
    timings = []
    for parallel in (False, True):
        recent = kinds[parallel][-RECENT:]
        spent_times = [t for _, _, t in recent if t is not None]
        timings.append(_Timing(statistics.median(d for d, _, _ in recent),
                               statistics.median(p for _, p, _ in recent), len(recent),
                               statistics.median(spent_times) if spent_times else None)
                       if recent else None)
    return timings[0], timings[1]


def _positive(value: Any) -> float:
    """A positive number, else 0 (absent, a bool, text, zero or below)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return 0.0


def _seconds(value: Any) -> float | None:
    """A finite duration of 0 or more, else None (absent, a bool, text, NaN, negative)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e9:
        return float(value)
    return None


def available_cpus() -> int:
    """CPUs this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def outer_count() -> int:
    """How many gates run at once: the outer `pytest --tower -n N`'s worker count."""
    try:
        return max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    except ValueError:
        return 1


def _cpu_text(cpus: int | None, outer: int | None) -> str:
    outer = outer or outer_count()
    cpus = cpus or available_cpus()
    cpu_word = "CPU" if cpus == 1 else "CPUs"
    return f"{cpus} {cpu_word}" + (f" shared by {outer} gates running at once" if outer > 1
                                   else "")
