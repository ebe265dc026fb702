"""Security gate: bandit over the project's Python files, read from its JSON report.

Traps defended: bandit exits 0 on a syntax error or a missing path
(only `errors[]` says so) and 1 on any finding, even LOW, so its exit code is
ignored and the report read; `metrics._totals` ignores severity/confidence
filters, so counts come from `results[]`; bandit's own `-b` baseline hides
repeats of an issue type, so the baseline is compared here, finding by finding.
bandit is single-threaded: the files are sharded over the cores (_bandit_scan).

Long because each trap above needs its own reading of bandit's report (errors,
suppressed, the baseline per finding, test-id typos); the sharded scan is scan.py.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest_tower.checks.bandit.config as bconfig
import pytest_tower.checks.bandit.scan as scan
import pytest_tower.checks.newcode as newcode  # `from pytest_tower import` may bind a stale module
from pytest_tower.core.fs import relative
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

LEVELS = ("low", "medium", "high")
RANK = {"LOW": 1, "MEDIUM": 2, "HIGH": 3}
REPORT = "bandit.json"
_CODE_LINE = re.compile(r"^(\d+) (.*)$")


def run(ctx: CheckContext) -> Measurement:
    opts = ctx.options
    where = f"{table_label(ctx.check_id)}"
    missing = [p for p in opts["paths"] if not (ctx.root / p).exists()]
    if missing:
        raise ToolError(
            f"nothing to scan at {', '.join(map(repr, missing))}: no such path under {ctx.root}",
            fix=f"fix `paths` in {where}",
        )
    baseline = _load_baseline(ctx.root, opts["baseline"], where) if opts["baseline"] else None
    new = newcode.for_check(ctx) if opts["base"] else None
    extra: list[str] = []
    ini = scan.find_ini(ctx.root, opts["paths"])
    if ini is not None:
        extra += ["--ini", str(ini)]
    bandit_excludes = scan.ini_excludes(ini) or list(scan.BANDIT_EXCLUDES)
    config: Path | None = None
    if opts["config"]:
        config = ctx.root / opts["config"]
        extra += ["-c", str(config)]
    else:
        config = bconfig.ini_value(ini, "configfile", ctx.root)  # bandit reads it as if -c
    if config is not None:
        bandit_excludes += bconfig.config_excludes(config, where)
    files = scan.discover(ctx.root, opts["paths"], [*scan.EXTRA_EXCLUDES, *opts["exclude"]],
                          bandit_excludes)
    if not files:
        raise ToolError(
            f"no Python files to scan under {', '.join(opts['paths'])}: nothing was checked",
            fix=f"point `paths` in {where} at your sources, or loosen `exclude`",
        )
    jobs = opts["jobs"] or os.cpu_count() or 1
    parts = scan.shards(ctx.root, files, jobs)
    report, version, known = scan.scan(ctx, opts["executable"], parts, extra, jobs)
    if not [k for k in report["metrics"] if k != scan.TOTALS]:
        raise ToolError("bandit scanned no files although it was given "
                        f"{len(files)}", fix="run bandit by hand on one of them")
    selected, skipped = bconfig.selection(ini, config, where)
    ran = bconfig.tests_run(known, selected, skipped, where)
    weakened = bconfig.weakened_tests(config, ran, where) if config is not None else {}
    measurement = measure(report, ctx.root, opts["min_confidence"], baseline, new)
    measurement.tool = version
    measurement.metrics["tests_run"] = len(ran)
    # A condition on a test id bandit does not have (findings[B999]) is a typo, not a 0.
    measurement.known_keys = {"findings": sorted(known), "new_findings": sorted(known)}
    unknown = sorted((selected | skipped) - set(known) - {bconfig.BLACKLIST})
    if unknown:
        measurement.notes.append("the project's bandit config names what is not a bandit test "
                                 "id, which bandit ignores: " + ", ".join(unknown))
    if len(ran) < len(known):
        left_out = sorted(set(known) - set(ran))
        measurement.notes.append(
            f"bandit ran {len(ran)} of its {len(known)} tests: the project's bandit config "
            + ("selects only " + ", ".join(sorted(selected)) + "; " if selected else
               "skips some (B001 stands for every blacklist test, B3xx/B4xx); ")
            + f"{len(left_out)} not run: " + ", ".join(left_out[:20])
            + (" ..." if len(left_out) > 20 else ""))
    measurement.metrics["weakened"] = len({t for ids in weakened.values() for t in ids})
    if weakened:
        measurement.notes.append(
            "the project's bandit config changes the settings of "
            f"{int(measurement.metrics['weakened'])} test(s) from bandit's defaults, which "
            "can narrow what they look for (`weakened` metric): " + "; ".join(
                f"{key}: {', '.join(ids)}" for key, ids in sorted(weakened.items())))
    measurement.notes.append(f"bandit scanned {len(files)} files in {len(parts)} "
                             f"process{'es' if len(parts) > 1 else ''}, "
                             f"{min(jobs, len(parts))} at a time")
    ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
    merged = ctx.artifacts_dir / REPORT
    merged.write_text(json.dumps(report, indent=1), encoding="utf-8")
    measurement.artifacts["report"] = str(merged)
    return measurement


def measure(report: Mapping[str, Any], root: Path, min_confidence: str,
            baseline: list[dict[str, Any]] | None,
            new: newcode.NewCode | None = None) -> Measurement:
    """Metrics and findings from a (merged) bandit JSON report.

    With `new`, a counted finding is new when any line of its `line_range` changed
    since `base`: new findings are listed first, marked "new:".
    """
    results = [_checked(r) for r in report["results"]]
    known = 0
    if baseline is not None:
        results, known = _new_findings(results, baseline, root)
    floor = RANK[min_confidence.upper()]
    counted = [r for r in results if RANK.get(r["issue_confidence"], 0) >= floor]
    severities = Counter(r["issue_severity"] for r in counted)
    totals = report["metrics"].get(scan.TOTALS) or {}
    metrics: dict[str, float] = {
        "high": severities["HIGH"],
        "medium": severities["MEDIUM"],
        "low": severities["LOW"],
        "findings": len(counted),
        "errors": len(report["errors"]),
        "nosec": int(totals.get("nosec", 0)) + int(totals.get("skipped_tests", 0)),
        "suppressed": int(totals.get("nosec", 0)) + int(totals.get("skipped_tests", 0)),
        "files": len([k for k in report["metrics"] if k != scan.TOTALS]),
        "baselined": known,
    }
    metrics.update({f"findings[{k}]": n for k, n in
                    Counter(r["test_id"] for r in counted).items()})
    errors = [Finding(relative(str(e.get("filename", "?")), root), code="ERROR",
                      message=f"bandit could not scan this file: {e.get('reason', '?')}")
              for e in report["errors"] if isinstance(e, dict)]
    fresh = [new is not None and new.touches(r["filename"], *_lines(r)) for r in counted]
    rows = sorted(
        ((not is_new, Finding(relative(r["filename"], root), r["line_number"],
                              code=r["test_id"], message=r["issue_text"],
                              severity=f"{r['issue_severity']}/{r['issue_confidence']}"))
         for r, is_new in zip(counted, fresh, strict=True)),
        key=lambda t: (t[0], -RANK.get(t[1].severity.split("/")[0], 0), t[1].path,
                       t[1].line or 0, t[1].code),
    )
    findings = [f if old else newcode.mark(f) for old, f in rows]
    measurement = Measurement(metrics, sorted(errors, key=lambda f: f.path) + findings)
    if metrics["suppressed"]:
        measurement.notes.append(
            f"{int(metrics['suppressed'])} finding(s) suppressed by `# nosec` comments and not "
            "counted (`suppressed` metric; `bandit --ignore-nosec` shows them)")
    if new is not None:
        metrics.update(newcode.count("new_findings", (
            r["test_id"] for r, is_new in zip(counted, fresh, strict=True) if is_new)))
        measurement.notes.append(new.note(f"{sum(fresh)} of {len(counted)} findings on "
                                          "changed lines"))
    return measurement


def _lines(result: Mapping[str, Any]) -> tuple[int, int]:
    """The lines a finding spans (bandit's line_range), at least its line_number."""
    span = [n for n in result.get("line_range") or () if isinstance(n, int)]
    line = result["line_number"]
    return min([line, *span]), max([line, *span])


def _checked(result: dict[str, Any]) -> dict[str, Any]:
    need = ("filename", "test_id", "issue_severity", "issue_confidence", "issue_text")
    if any(not isinstance(result.get(k), str) for k in need) or not isinstance(
            result.get("line_number"), int):
        raise ToolError(f"bandit reported a finding this gate cannot read: {result!r:.300}",
                        fix="use bandit >= 1.9, whose JSON report this gate reads")
    return result


def _new_findings(results: list[dict[str, Any]], baseline: list[dict[str, Any]],
                  root: Path) -> tuple[list[dict[str, Any]], int]:
    """Drop one current finding per matching baseline finding: same file, test and
    text, preferring one on the same source line so a moved line still matches."""
    def key(r: Mapping[str, Any], exact: bool) -> tuple[str, ...]:
        return (relative(str(r.get("filename")), root), str(r.get("test_id")),
                str(r.get("issue_text")), _source(r) if exact else "")

    left, remaining, known = list(results), list(baseline), 0
    for exact in (True, False):
        pool: dict[tuple[str, ...], list[int]] = {}
        for i, b in enumerate(remaining):
            pool.setdefault(key(b, exact), []).append(i)
        used: set[int] = set()
        keep = []
        for r in left:
            matches = pool.get(key(r, exact))
            if matches:
                used.add(matches.pop())
                known += 1
            else:
                keep.append(r)
        left = keep
        remaining = [b for i, b in enumerate(remaining) if i not in used]
    return left, known


def _source(result: Mapping[str, Any]) -> str:
    """The reported line of code itself, without bandit's line-number prefix."""
    for line in str(result.get("code", "")).splitlines():
        match = _CODE_LINE.match(line)
        if match and int(match.group(1)) == result.get("line_number"):
            return match.group(2).strip()
    return ""


def _load_baseline(root: Path, name: str, where: str) -> list[dict[str, Any]]:
    path = root / name
    fix = (f"create it with `bandit -r <paths> -f json -o {name}` (or copy the gate's "
           f"artifact {REPORT}), or fix `baseline` in {where}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ToolError(f"baseline {name!r} does not exist under {root}", fix=fix) from None
    except (OSError, ValueError) as exc:
        raise ToolError(f"baseline {name!r} is not a readable JSON file: {exc}",
                        fix=fix) from None
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise ToolError(f"baseline {name!r} is not a bandit JSON report (no results list)",
                        fix=fix)
    return results


_KEYED = re.compile(r"^\s*(?P<metric>(?:new_)?findings)\[(?P<key>[^\]]*)\]")
_TEST_ID = re.compile(r"^B\d{3}$")


def _check_keys(options: Mapping[str, Any]) -> None:
    """A `findings[...]` key that only looks like a test id (b602, B6O2) is a typo that
    would read 0 forever: refused here. Other unknown keys fail at run time, against
    the list of tests the bandit that runs reports (plugins add their own)."""
    for option in ("conditions", "warn"):
        for expr in options.get(option) or []:
            match = _KEYED.match(str(expr))
            if not match:
                continue
            key = match["key"].strip()
            guess = key.upper().replace("O", "0").replace("I", "1").replace("L", "1")
            if key != guess and _TEST_ID.match(guess):
                raise ValueError(
                    f"{option}: {match['metric']}[{key}]: bandit has no test {key!r}, so the "
                    f"condition could only ever measure 0; did you mean {guess!r}? (keys are "
                    "test ids as `bandit -h` lists them: B and three digits)")


def validate(options: Mapping[str, Any]) -> None:
    _check_keys(options)
    if not options["paths"]:
        raise ValueError("`paths` is empty: name the folders or files bandit should scan")
    if options["jobs"] < 0:
        raise ValueError("`jobs` must be 0 (one per core) or more")
    newcode.validate(options, ["new_findings"])


CHECK_TYPE = CheckType(
    name="bandit",
    run=run,
    findings=FindingsStyle(
        tool="bandit", information_uri="https://bandit.readthedocs.io/", default_level="warning",
        levels={"HIGH": "error", "MEDIUM": "warning", "LOW": "note"},
        security_severity={"HIGH": "8.0", "MEDIUM": "5.0", "LOW": "2.0"},  # GitHub's 0-10
        tags=["security"],
        notification_codes=["ERROR"],  # a file bandit could not scan: not a result
    ),
    install=scan.INSTALL,
    help="Security lint with bandit, its files split over the cores; counts from the report.",
    metrics=[
        MetricSpec("high", help="HIGH severity findings at or above min_confidence"),
        MetricSpec("medium", help="MEDIUM severity findings at or above min_confidence"),
        MetricSpec("low", help="LOW severity findings at or above min_confidence"),
        MetricSpec("findings", help="findings counted; findings[B602] counts one test",
                   keyed=True, key_default=0),
        MetricSpec("errors", help="files bandit could not scan (syntax errors...)"),
        MetricSpec("nosec", help="findings suppressed by # nosec comments (the same as "
                   "suppressed)"),
        MetricSpec("suppressed", help="findings suppressed by `# nosec` / `# nosec B602` "
                   "comments (bandit's nosec and skipped_tests totals); noted when not 0"),
        MetricSpec("files", help="Python files bandit scanned"),
        MetricSpec("baselined", help="findings hidden because the baseline has them"),
        MetricSpec("tests_run", help="bandit tests that ran: all of bandit's, less what the "
                   "project's bandit config skips (`skips`) or leaves out (`tests`)"),
        MetricSpec("weakened", help="tests that ran with settings the project's bandit "
                   "config changes from bandit's defaults (shell_injection, "
                   "hardcoded_tmp_directory...): they may look for less; noted when not 0"),
        MetricSpec("new_findings", help="counted findings on lines changed since `base` "
                   "(needs base); new_findings[B602] counts one test", keyed=True,
                   key_default=0),
    ],
    options={
        "paths": Option("str_list", "files and folders to scan, relative to gates.toml",
                        default=["."]),
        "min_confidence": Option("str", "count findings of this confidence or higher",
                                 default="low", choices=LEVELS),
        "baseline": Option("str", "a bandit JSON report: only findings not in it count"),
        "exclude": Option("str_list", "folders (path parts) or globs not to scan, besides "
                          ".venv, venv, build, dist, node_modules...", default=[]),
        "config": Option("str", "bandit config file passed as -c (YAML or pyproject.toml)"),
        "jobs": Option("int", "bandit processes in parallel; 0 = one per core", default=0),
        "executable": Option("str", "the bandit binary to run", default="bandit"),
        "base": Option("str", newcode.BASE_HELP, default=""),
    },
    default_conditions=["high == 0", "medium == 0"],
    implied_conditions=["errors == 0"],
    default_timeout=300.0,
    validate=validate,
)
