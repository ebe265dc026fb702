"""Read what a child pytest run left behind: its event log and coverage JSON. No I/O
beyond reading those files, no subprocesses: the `tests` check type decides
what is fail-closed, this module only turns files into numbers and findings.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_tower.core.fs import relative
from pytest_tower.core.model import Finding

OUTCOMES = ("passed", "failed", "errors", "skipped", "xfailed", "xpassed")
LEAST_COVERED = 5


@dataclass
class CaseResult:
    nodeid: str
    outcome: str = ""
    duration: float = 0.0
    reason: str = ""
    finished: bool = False
    crashed: bool = False
    browser: dict[str, str] = field(default_factory=dict)  # {version, executable} it ran in
    artifacts: list[tuple[str, str]] = field(default_factory=list)  # (kind, path) kept


@dataclass
class Suite:
    """The child's run as its event log tells it (see child_plugin)."""

    tests: dict[str, CaseResult] = field(default_factory=dict)
    collect_errors: list[tuple[str, str]] = field(default_factory=list)
    collected: int = 0
    deselected: int = 0
    addopts: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    selection: list[str] = field(default_factory=list)
    workers_down: list[str] = field(default_factory=list)
    internal_error: str = ""
    interrupted: str = ""
    finished: bool = False
    exitstatus: int | None = None
    stop: str = ""
    last_started: str = ""

    @property
    def counts(self) -> Counter[str]:
        return Counter(t.outcome for t in self.tests.values() if t.outcome)

    @property
    def crashed(self) -> list[CaseResult]:
        return [t for t in self.tests.values() if t.crashed]

    @property
    def running(self) -> str:
        """The test that started but never finished: what a dead process was running."""
        test = self.tests.get(self.last_started)
        return self.last_started if test is not None and not test.finished else ""


def read_events(path: Path) -> Suite | None:
    """Parse the JSON-lines log; None when the child never wrote it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    suite = Suite()
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a dying process
        _apply(suite, event)
    return suite


def _apply(suite: Suite, event: dict[str, Any]) -> None:
    kind = event.get("event")
    if kind == "start":
        suite.last_started = event["nodeid"]
        suite.tests.setdefault(event["nodeid"], CaseResult(event["nodeid"]))
    elif kind == "report":
        test = suite.tests.setdefault(event["nodeid"], CaseResult(event["nodeid"]))
        _report(test, event)
    elif kind == "collect_error":
        suite.collect_errors.append((event["nodeid"], event["reason"]))
    elif kind == "options":
        suite.addopts = [str(a) for a in event.get("addopts", [])]
        suite.partial = [str(a) for a in event.get("partial", [])]
        suite.selection = [f"{flag} {event[key]!r}" for flag, key in (("-m", "markexpr"),
                                                                      ("-k", "keyword"))
                           if event.get(key)]
    elif kind == "deselected":
        suite.deselected += int(event["count"])
    elif kind == "collected":
        suite.collected = max(suite.collected, int(event["count"]))
    elif kind == "worker_down":
        suite.workers_down.append(f"worker {event['worker']!r} went down: {event['error']}")
    elif kind == "internal_error":
        suite.internal_error = event["reason"]
    elif kind == "interrupted":
        suite.interrupted = event["reason"]
    elif kind == "finish":
        suite.finished = True
        suite.exitstatus = int(event["exitstatus"])
        suite.stop = event.get("stop", "")


def _report(test: CaseResult, event: dict[str, Any]) -> None:
    """Fold one phase into the test's single outcome, as pytest's summary counts it."""
    when, outcome, xfail = event["when"], event["outcome"], event.get("xfail", False)
    test.duration += float(event.get("duration") or 0.0)
    if isinstance(event.get("browser"), dict):
        test.browser = {str(k): str(v) for k, v in event["browser"].items()}
    test.artifacts += [(str(kind), str(path)) for kind, path in event.get("artifacts") or []]
    if event.get("crashed"):
        test.crashed = test.finished = True
    if outcome == "failed":
        if when == "call" or test.crashed:
            test.outcome, test.reason = "failed", event.get("reason", "")
        elif test.outcome != "failed":
            test.outcome, test.reason = "errors", f"error in {when}: {event.get('reason', '')}"
    elif when == "call" or (when == "setup" and outcome == "skipped"):
        if outcome == "passed":
            test.outcome = "xpassed" if xfail else "passed"
        else:
            test.outcome = "xfailed" if xfail else "skipped"
        test.reason = event.get("reason", "")
    if when == "teardown":
        test.finished = True


def suite_metrics(suite: Suite) -> dict[str, float]:
    counts = suite.counts
    metrics: dict[str, float] = {"tests": sum(counts[o] for o in OUTCOMES)}
    metrics.update({o: counts[o] for o in OUTCOMES})
    metrics["slowest"] = round(max((t.duration for t in suite.tests.values()), default=0.0), 3)
    metrics["test_time"] = round(sum(t.duration for t in suite.tests.values()), 3)
    return metrics


def durations(suite: Suite) -> dict[str, float]:
    """Each finished test's time, setup and teardown included (what balances shards)."""
    return {t.nodeid: round(t.duration, 4) for t in suite.tests.values() if t.finished}


def suite_findings(suite: Suite, root: Path | None = None) -> list[Finding]:
    """Failing tests as pytest's short summary lists them: id, FAILED/ERROR, one line,
    with the files kept for each (a UI test's screenshot and trace), relative to `root`."""
    return [Finding(path=t.nodeid, code="FAILED" if t.outcome == "failed" else "ERROR",
                    message=t.reason, artifacts=artifact_names(t, root))
            for t in suite.tests.values() if t.outcome in ("failed", "errors")]


def artifact_names(test: CaseResult, root: Path | None = None) -> tuple[tuple[str, str], ...]:
    """(name, path) per kept file: `screenshot`, `trace`, a second one `screenshot 2`.

    A relative path is the child's (its working directory is `root`); the ones
    given are relative to `root` when they lie under it, else absolute.
    """
    seen: Counter[str] = Counter()
    named = []
    for kind, path in test.artifacts:
        seen[kind] += 1
        shown = relative(path, root) if root is not None else path
        named.append((kind if seen[kind] == 1 else f"{kind} {seen[kind]}", shown))
    return tuple(named)


def coverage_metrics(data: dict[str, Any]) -> dict[str, float]:
    """coverage.py's own figures, unrounded, from `coverage json`'s totals.

    `coverage` is `percent_covered`: with branch measurement on (the
    project's coverage config or the check's `branch`) that is lines and
    branches together, the TOTAL of `coverage report` and what
    `--cov-fail-under` compares (before rounding). `line_coverage` is the
    statements alone; `branch_coverage` exists only when branches were
    measured (`meta.branch_coverage`), so a condition on it otherwise has no
    value and is an error. A total of nothing is 100%, as coverage.py has it.
    """
    totals = data["totals"]
    metrics = {"coverage": _percent(totals, "percent_covered", "covered_lines", "num_statements",
                                    "covered_branches", "num_branches"),
               "line_coverage": _percent(totals, "percent_statements_covered", "covered_lines",
                                         "num_statements")}
    if data.get("meta", {}).get("branch_coverage"):
        metrics["branch_coverage"] = _percent(totals, "percent_branches_covered",
                                              "covered_branches", "num_branches")
    return metrics


def _percent(totals: dict[str, Any], key: str, *counts: str) -> float:
    """coverage.py's figure, or the same ratio from the counts (older coverage.py)."""
    if key in totals:
        return float(totals[key])
    done = sum(int(totals.get(name, 0)) for name in counts[0::2])
    whole = sum(int(totals.get(name, 0)) for name in counts[1::2])
    return 100.0 * done / whole if whole else 100.0


def coverage_findings(data: dict[str, Any]) -> list[Finding]:
    """The least-covered files, with coverage report's figure and missing line ranges."""
    rows = []
    for name, info in data.get("files", {}).items():
        summary = info["summary"]
        statements = summary["num_statements"]
        if not statements or not info.get("missing_lines"):
            continue
        percent = float(summary.get("percent_covered",
                                    100.0 * summary["covered_lines"] / statements))
        branches = int(summary.get("num_branches", 0))
        what = f"{statements} lines" + (f" and {branches} branches" if branches else "")
        rows.append((percent, name, what, info["missing_lines"]))
    rows.sort(key=lambda row: (row[0], row[1]))
    return [Finding(path=name, code="COVERAGE",
                    message=f"{percent:.1f}% of {what}; missing {ranges(missing)}")
            for percent, name, what, missing in rows[:LEAST_COVERED]]


def ranges(lines: list[int]) -> str:
    """[1, 2, 3, 7, 9, 10] -> '1-3, 7, 9-10', as `coverage report -m` writes them."""
    spans: list[list[int]] = []
    for line in sorted(lines):
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
