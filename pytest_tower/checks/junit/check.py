"""Any test runner as a gate, judged from the JUnit XML it writes.

`run` is the runner (`node --test --test-reporter=junit
--test-reporter-destination=reports/junit.xml`, `npx vitest --reporter=junit`,
`go test` through go-junit-report, pytest's own `--junitxml`); `report` globs
the XML it writes, several files summed. Fail-closed: a report missing, older
than this run (a crashed runner leaves yesterday's in place), unreadable, not
JUnit, or holding no test case is an error; so is a runner that exits non-zero
while its report shows nothing failed (the report is not of this run's tests).
Implied: at least one test ran and passed, none failed or errored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_tower.checks import invoke
from pytest_tower.checks.junit.read import Counts, read_report
from pytest_tower.core.model import (
    SECONDS,
    CheckContext,
    CheckType,
    Finding,
    Measurement,
    MetricSpec,
    Option,
    ToolError,
)
from pytest_tower.core.names import table_label


def run(ctx: CheckContext) -> Measurement:
    where = table_label(ctx.check_id)
    ran = invoke.run_command(ctx, ok_codes=ctx.options["ok_codes"], what="the test runner")
    patterns = _patterns(ctx.options["report"])
    files = invoke.fresh_files(ctx.root, patterns, ran, "report", where)
    total = Counts()
    notes = []
    for path in files:
        shown = invoke.show(path, ctx.root)
        counts = read_report(path, shown)
        if counts.tests == 0:
            raise ToolError(f"report {shown} holds no test case: no test ran (the runner "
                            "found no tests, or they were all filtered out)",
                            command=[ran.mask(a) for a in ran.run.argv],
                            stderr=ran.mask(ran.run.stderr or ran.run.stdout),
                            fix="point the runner at the tests (file pattern, working folder)")
        if counts.declared > counts.tests:
            notes.append(f"{shown} declares {counts.declared} tests on its suites but lists "
                         f"{counts.tests} test cases: the listed ones are counted")
        total.add(counts)
    if ran.run.returncode != 0 and total.failed + total.errors == 0:
        raise ToolError(f"the test runner exited with code {ran.run.returncode} but its "
                        f"report ({', '.join(patterns)}) shows no failed test: the report "
                        "is not the whole story (a crash after writing it, or another run's "
                        "file)", command=[ran.mask(a) for a in ran.run.argv],
                        stderr=ran.mask(ran.run.stderr or ran.run.stdout),
                        fix="read the runner's output above")
    metrics: dict[str, float] = {
        "tests": total.tests, "passed": total.passed, "failed": total.failed,
        "errors": total.errors, "skipped": total.skipped,
        "duration": round(total.duration, 3), "reports": len(files)}
    findings = [Finding(f.path, f.line, f.col, f.code, ran.mask(f.message), f.severity)
                for f in total.findings]
    measurement = Measurement(metrics, findings, tool=invoke.label(ctx.options["run"], ran),
                              notes=notes)
    measurement.artifacts.update({f"report{i or ''}": str(p) for i, p in enumerate(files)})
    return measurement


def _patterns(report: str | list[str]) -> list[str]:
    return [report] if isinstance(report, str) else list(report)


def validate(options: Mapping[str, Any]) -> None:
    invoke.validate(options, ("report",))
    if not _patterns(options["report"]):
        raise ValueError('report is empty: give the JUnit XML file(s), e.g. '
                         'report = "reports/junit.xml"')


CHECK_TYPE = CheckType(
    name="junit",
    run=run,
    help="Any test runner (node --test, vitest, go test, pytest --junitxml): its JUnit XML "
    "report, every <testcase> counted, several files summed.",
    metrics=[
        MetricSpec("tests", help="test cases in the report(s)"),
        MetricSpec("passed", help="test cases that passed"),
        MetricSpec("failed", help="test cases with a <failure>; each is listed"),
        MetricSpec("errors", help="test cases with an <error>; each is listed"),
        MetricSpec("skipped", help="test cases skipped (Node's todo included)"),
        MetricSpec("duration", SECONDS, help="the test cases' time, summed"),
        MetricSpec("reports", help="report files read"),
    ],
    options={
        **invoke.OPTIONS,
        "report": Option("str_or_list", "the JUnit XML file(s) the runner writes: a path or "
                         "glob (or a list), relative to gates.toml; each written by this run",
                         required=True),
        "ok_codes": invoke.ok_codes_option(
            [0, 1], "runners exit 1 when a test fails"),
    },
    default_conditions=["failed == 0", "errors == 0"],
    implied_conditions=["tests >= 1", "passed >= 1", "failed == 0", "errors == 0"],
    default_timeout=600.0,
    validate=validate,
)
