"""Any SARIF 2.1.0 producer as a gate: semgrep, eslint's SARIF formatter, CodeQL,
`ruff --output-format sarif`, `bandit -f sarif`.

`run` is the producer, `report` the log(s) it writes (a glob; several summed).
Each log is validated against the SARIF schema and read by read.py. A log
missing, older than this run, invalid, with no run, or from a run that says it
did not succeed is an error; so is a producer that exits non-zero while its
log holds no result (the log is not of this run). A condition on a rule the
producer neither declares (tool.driver.rules) nor reported is an error, not a
0: nothing shows that rule was checked. Results become findings, so they reach
--tower-sarif and GitHub annotations; `base = "origin/main"` counts the ones
on changed lines (new_results), as ruff and bandit do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest_tower.checks.newcode as newcode
from pytest_tower.checks import invoke
from pytest_tower.checks.sarif.read import LEVELS, NO_LOCATION, Log, Result, read_log
from pytest_tower.core.model import (
    CheckContext,
    CheckType,
    Finding,
    FindingsStyle,
    Measurement,
    MetricSpec,
    Option,
    ToolError,
)
from pytest_tower.core.names import table_label


def run(ctx: CheckContext) -> Measurement:
    where = table_label(ctx.check_id)
    new = newcode.for_check(ctx) if ctx.options["base"] else None
    ran = invoke.run_command(ctx, ok_codes=ctx.options["ok_codes"], what="the SARIF producer")
    patterns = [ctx.options["report"]] if isinstance(ctx.options["report"], str) \
        else list(ctx.options["report"])
    files = invoke.fresh_files(ctx.root, patterns, ran, "report", where)
    cwd = (ctx.root / ctx.options["cwd"]).resolve()
    total = Log()
    for path in files:
        log = read_log(path, invoke.show(path, ctx.root), ctx.root, cwd)
        total.tools += log.tools
        total.results += log.results
        total.rules |= log.rules
        total.suppressed += log.suppressed
        total.gone += log.gone
        total.under_review += log.under_review
        total.artifacts += log.artifacts
    if ran.run.returncode != 0 and not total.results and not total.suppressed:
        raise ToolError(f"the producer exited with code {ran.run.returncode} but its log "
                        f"({', '.join(patterns)}) holds no result: the log is not of this "
                        "run, or the producer failed after writing it",
                        command=[ran.mask(a) for a in ran.run.argv],
                        stderr=ran.mask(ran.run.stderr or ran.run.stdout),
                        fix="read the producer's output above")
    measurement = _measure(total, new, ran)
    measurement.artifacts.update({f"report{i or ''}": str(p) for i, p in enumerate(files)})
    return measurement


def _measure(log: Log, new: newcode.NewCode | None, ran: invoke.Ran) -> Measurement:
    levels = Counter(r.level for r in log.results)
    rules = Counter(r.rule for r in log.results)
    metrics: dict[str, float] = {"results": len(log.results),
                                 "files": len({r.path for r in log.results
                                               if r.path != NO_LOCATION}),
                                 "suppressed": log.suppressed, "artifacts": log.artifacts}
    metrics.update({f"results[{level}]": levels.get(level, 0) for level in LEVELS})
    metrics.update({f"results[{rule}]": n for rule, n in rules.items() if rule not in LEVELS})
    fresh = [new is not None and new.touches(r.path, r.line, r.end_line) for r in log.results]
    rows = sorted(zip(fresh, log.results, strict=True),
                  key=lambda t: (not t[0], t[1].path, t[1].line or 0, t[1].rule))
    findings = [newcode.mark(_finding(r, ran)) if is_new else _finding(r, ran)
                for is_new, r in rows]
    tools = sorted(set(log.tools))
    measurement = Measurement(metrics, findings, tool=ran.mask(", ".join(tools))[:80])
    known = sorted(set(LEVELS) | log.rules | set(rules))
    measurement.known_keys = {"results": known, "new_results": known}
    if new is not None:
        metrics.update(newcode.count("new_results", (
            r.rule for r, is_new in zip(log.results, fresh, strict=True) if is_new)))
        measurement.notes.append(new.note(f"{sum(fresh)} of {len(log.results)} results on "
                                          "changed lines"))
    if not log.results and not log.suppressed and not log.artifacts:
        measurement.notes.append("the log lists no result and no analysed file (run.artifacts): "
                                 "nothing in it shows the producer analysed anything; check "
                                 "its output, or bound `artifacts` if it lists them")
    if log.suppressed:
        measurement.notes.append(f"{log.suppressed} result(s) suppressed in the log (an "
                                 "accepted `suppressions` entry): not counted (`suppressed`)")
    if log.under_review:
        measurement.notes.append(f"{log.under_review} result(s) have a suppression still "
                                 "under review: counted")
    if log.gone:
        measurement.notes.append(f"{log.gone} result(s) marked baselineState \"absent\" (fixed "
                                 "since the producer's baseline): not counted")
    return measurement


def _finding(result: Result, ran: invoke.Ran) -> Finding:
    return Finding(path=result.path, line=result.line, col=result.col, code=result.rule,
                   message=ran.mask(result.message), severity=result.level)


def validate(options: Mapping[str, Any]) -> None:
    invoke.validate(options, ("report",))
    if not options["report"]:
        raise ValueError('report is empty: give the SARIF file(s), e.g. report = "out.sarif"')
    newcode.validate(options, ["new_results"])


CHECK_TYPE = CheckType(
    name="sarif",
    run=run,
    findings=FindingsStyle(
        tool="sarif", information_uri="https://docs.oasis-open.org/sarif/sarif/v2.1.0/",
        default_level="warning",
        levels={"ERROR": "error", "WARNING": "warning", "NOTE": "note", "NONE": "note"},
        tool_from_check=True),
    charted=["results"],
    help="Any SARIF 2.1.0 producer (semgrep, eslint, CodeQL, ruff, bandit): its log "
    "validated against the SARIF schema, results counted by level and rule.",
    metrics=[
        MetricSpec("results", help="results that count (not suppressed, not fixed, kind "
                   "fail/open/review); results[error], results[warning], results[note] by "
                   "level; results[<ruleId>] by rule (a rule the producer neither declares "
                   "nor reported is an error, not 0)", keyed=True, key_default=0),
        MetricSpec("files", help="files with at least one result"),
        MetricSpec("suppressed", help="results with an accepted suppression (counted apart)"),
        MetricSpec("artifacts", help="files the log lists as analysed (run.artifacts; not "
                   "every producer lists them): `artifacts >= 1` proves work was done"),
        MetricSpec("new_results", help="results on lines changed since `base` (needs base); "
                   "new_results[<ruleId>] by rule", keyed=True, key_default=0),
    ],
    options={
        **invoke.OPTIONS,
        "report": Option("str_or_list", "the SARIF file(s) the producer writes: a path or "
                         "glob (or a list), relative to gates.toml; each written by this run",
                         required=True),
        "ok_codes": invoke.ok_codes_option(
            [0, 1], "producers exit 1 when they report results"),
        "base": Option("str", newcode.BASE_HELP, default=""),
    },
    default_conditions=["results[error] == 0"],
    default_timeout=600.0,
    validate=validate,
)
