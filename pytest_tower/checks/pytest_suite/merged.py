"""The `tests` check over every shard: one Measurement, as if one machine had run it all.

Test counts are summed from each shard's own event log (and each log must show
exactly the items the shard said it kept); `slowest` and `duration` are the
maximum (the shards ran side by side). Coverage is combined from the shards'
raw data by coverage.py itself (`Coverage.combine`), with each shard's project
root mapped onto this checkout's (`[paths]`, added to the project's own), then
reported with the project's coverage configuration from its root — so the
figure equals a single run's. coverage.py only *warns* about a data file it
cannot read and leaves it out of the total, so every file is read in full
first, and any such warning fails the merge naming its shard.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest_tower.checks.newcode as newcode
import pytest_tower.checks.pytest_suite.results as results
from pytest_tower.core.model import CheckContext, Measurement, ToolError

if TYPE_CHECKING:
    from pytest_tower.run.shard import ShardPart

SHOWN_FIRST = 15


def merge_shards(parts: Sequence[ShardPart], ctx: CheckContext) -> Measurement:
    """Sum the shards' tests; combine their coverage data; new-code metrics with `base`."""
    opts = ctx.options
    new = newcode.for_check(ctx) if opts["base"] else None
    suites = [_suite(part) for part in parts]
    metrics: dict[str, float] = dict.fromkeys(("tests", *results.OUTCOMES), 0)
    findings = []
    for part, suite in zip(parts, suites, strict=True):
        for name, value in results.suite_metrics(suite).items():
            metrics[name] = max(metrics.get(name, 0.0), value) if name == "slowest" else (
                metrics.get(name, 0.0) + value)
        findings += results.suite_findings(suite)
        metrics["duration"] = max(metrics.get("duration", 0.0),
                                  float(part.outcome.get("metrics", {}).get("duration", 0.0)))
    notes = [f"merged from {len(parts)} shards: " + ", ".join(
        f"{p.label} {int(results.suite_metrics(s)['tests'])} tests"
        for p, s in zip(parts, suites, strict=True))]
    covered: list[Any] = []
    if opts["coverage"]:
        data = combine_coverage(parts, ctx)
        metrics.update(results.coverage_metrics(data))
        covered = results.coverage_findings(data)
        if new is not None:
            fresh = newcode.coverage(data, new)
            metrics.update(fresh.metrics)
            covered, notes = fresh.findings + covered, notes + fresh.notes
    shown = findings[:SHOWN_FIRST] + covered + findings[SHOWN_FIRST:]
    return Measurement(metrics, shown, tool=str(parts[0].outcome.get("tool", "")),
                       artifacts={"coverage": str(ctx.artifacts_dir / "coverage.json")}
                       if opts["coverage"] else {}, notes=notes)


def _suite(part: ShardPart) -> results.Suite:
    """The shard's event log; it must show exactly the items the shard kept, all finished."""
    events = part.files.get("events")
    suite = results.read_events(events) if events is not None else None
    if suite is None or not suite.finished:
        raise ToolError(f"shard {part.label} ({part.report}): its test results "
                        f"({events or 'events.jsonl'}) are missing or cut short")
    ran = {t.nodeid for t in suite.tests.values() if t.finished and t.outcome}
    kept = set(part.selected)
    if ran != kept:
        odd = sorted(ran ^ kept)
        raise ToolError(f"shard {part.label} ({part.report}): its results show "
                        f"{len(ran)} tests but it kept {len(kept)}; e.g. {odd[0]} "
                        f"{'ran without being its share' if odd[0] in ran else 'never ran'}")
    return suite


def combine_coverage(parts: Sequence[ShardPart], ctx: CheckContext) -> dict[str, Any]:
    """coverage.py's combine of every shard's data; the JSON report's dict."""
    from coverage import Coverage

    out = ctx.artifacts_dir
    out.mkdir(parents=True, exist_ok=True)
    target, report = out / ".coverage", out / "coverage.json"
    for stale in (target, report):
        stale.unlink(missing_ok=True)
    files = [_readable(part) for part in parts]
    with contextlib.chdir(ctx.root), warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        cov = Coverage(data_file=str(target), config_file=True)
        paths = dict(cov.get_option("paths") or {})  # type: ignore[arg-type]
        roots = [p.root for p in parts if Path(p.root).resolve() != ctx.root.resolve()]
        if roots:
            paths["tower-shards"] = [str(ctx.root), *dict.fromkeys(roots)]
        cov.set_option("paths", paths)
        try:
            cov.combine([str(f) for f in files], strict=True, keep=True)
            cov.save()
            cov.json_report(outfile=str(report), omit=ctx.options["omit"] or None)
        except Exception as exc:  # coverage's own errors: no source, mixed branch data...
            raise ToolError(f"coverage could not combine the shards' data: {exc}",
                            fix="the shards must measure the same way (source, branch); map "
                            "other source locations with [paths] in the coverage config"
                            ) from None
    unread = [str(w.message) for w in said if "Couldn't" in str(w.message)]
    if unread:
        raise ToolError(f"coverage left data out of the total: {unread[0]}")
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return data


def _readable(part: ShardPart) -> Path:
    """The shard's data file, read in full: a truncated one fails here, naming the shard."""
    from coverage import CoverageData

    path = part.files.get("coverage_data")
    if path is None or not path.is_file():
        raise ToolError(f"shard {part.label} ({part.report}): no coverage data was kept "
                        "beside its report (upload the report's .data folder too)")
    try:
        data = CoverageData(str(path))
        data.read()
        measured = data.measured_files()
        for name in measured:
            data.lines(name)
            data.arcs(name)
    except Exception as exc:  # sqlite3 and coverage.py errors alike: unreadable is unreadable
        raise ToolError(f"shard {part.label} ({part.report}): its coverage data "
                        f"{path} cannot be read: {exc}") from None
    if not measured:
        raise ToolError(f"shard {part.label} ({part.report}): its coverage data {path} "
                        "holds no measured file")
    return path
