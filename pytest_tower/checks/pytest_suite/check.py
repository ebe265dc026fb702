"""Test stage: the project's own tests in a child pytest, with coverage, under xdist.

The child is `python -m pytest` in the project root, with the project's own
pytest configuration plus `-p no:tower` (no recursion) and our child plugin,
whose event log gives exact outcomes. Coverage comes from pytest-cov, which
measures xdist workers itself (`coverage run -m pytest -n 2` measures 0 %).
pytest-cov stays: on the realistic bench suite `coverage run` (serial, or
with `patch = ["subprocess"]` under xdist) was no faster for the same figures
(bench/bench_tests_realistic.py, variants a/d and f/g/i). Nothing passes
on nothing: no tests, a collection error, an interrupted or crashed child or
worker, missing JUnit or coverage data are errors whatever the conditions
say (exit codes blur these).

Long because the child run, each "nothing passes on nothing" error and the
coverage reading are one flow; the event log is read by results.py.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest_tower.checks.newcode as newcode  # `from pytest_tower import` may bind a stale module
import pytest_tower.checks.pytest_suite.results as results
import pytest_tower.checks.pytest_suite.sharding as sharding
import pytest_tower.checks.pytest_suite.ui as ui
import pytest_tower.checks.pytest_suite.workers as workers
from pytest_tower.checks.pins import install_hint
from pytest_tower.checks.pytest_suite.child_plugin import BASE_URL_ENV, RESULTS_ENV
from pytest_tower.checks.pytest_suite.merged import merge_shards  # noqa: F401 - splits
from pytest_tower.core.fs import relative
from pytest_tower.core.model import (
    PERCENT,
    SECONDS,
    CheckContext,
    CheckType,
    Measurement,
    MetricSpec,
    Option,
    ToolError,
)
from pytest_tower.core.names import table_label
from pytest_tower.core.runner import ToolRun

CHILD_PLUGIN = "pytest_tower.checks.pytest_suite.child_plugin"  # loaded with -p in the child
INSTALL = install_hint("pytest-cov", "pytest-xdist") + " (pytest-tower installs them)"
TESTS_SHOWN_FIRST = 15  # then the least-covered files, then the remaining failures
# Set by an outer `pytest --tower -n` worker; they would mislead the child's code.
OUTER_RUN_VARIABLES = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT",
                       "PYTEST_XDIST_TESTRUNUID", "PYTEST_CURRENT_TEST")
OUTER_COMMAND_LINE = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")
DEPLOYMENT_ENV = "TOWER_DEPLOYMENT"
# "CoverageWarning: Module x was never imported. (module-not-imported); see ..." and
# pytest-cov's "WARNING: Failed to generate report: No data to report."
COVERAGE_SAID = re.compile(r"CoverageWarning: (.+?)(?: \(|$)|WARNING: (Failed to generate "
                           r"report: .+)$", re.MULTILINE)
NO_CODE_FIX = ("point coverage at the project's code: `source` in gates.toml, or `source` / "
               "`omit` in its coverage config ([tool.coverage.run], .coveragerc, setup.cfg)")


def run(ctx: CheckContext) -> Measurement:
    choice = workers.choose(ctx.options["workers"], ctx.past)
    ctx = dataclasses.replace(ctx, options={**ctx.options, "workers": choice.count})
    opts = ctx.options
    missing = [p for p in opts["paths"] if not (ctx.root / p).exists()]
    if missing:
        raise ToolError(f"no tests at {', '.join(map(repr, missing))}: no such path under "
                        f"{ctx.root}", fix=f"fix `paths` in {table_label(ctx.check_id)}")
    _require_plugins(opts)
    new = newcode.for_check(ctx) if opts["base"] else None  # before the tests write files
    out = ctx.artifacts_dir
    out.mkdir(parents=True, exist_ok=True)
    files = {name: out / name for name in
             ("junit.xml", "coverage.json", "events.jsonl", "pytest-output.txt",
              "durations.json")}
    # --cov-append would add old data
    stale = [*files.values(), *out.glob(".coverage*"), out / sharding.ITEMS_FILE]
    for path in stale:
        path.unlink(missing_ok=True)  # a failed run must not leave an older file to read
    env: dict[str, str | None] = {RESULTS_ENV: str(files["events.jsonl"]),
                                  "COVERAGE_FILE": str(out / ".coverage")}
    env.update(dict.fromkeys(OUTER_RUN_VARIABLES))  # the child is its own run
    env.update(sharding.child_env(opts, out))  # a shard run: this shard's share only
    # the outer command line (PYTEST_ADDOPTS included) selects gates, never the child's
    # tests: a CI-wide `-m`, `--deselect`, `--ignore`, `--cov-config` must not shrink them
    dropped = [name for name in OUTER_COMMAND_LINE if os.environ.get(name, "").strip()]
    env.update(dict.fromkeys(OUTER_COMMAND_LINE))
    base_url = opts["base_url"] or (ctx.environment.url if ctx.environment else "")
    if base_url:
        env[BASE_URL_ENV] = base_url
    if ctx.environment is not None:
        env[DEPLOYMENT_ENV] = json.dumps(ctx.environment.deployment)
    browser = ui.prepare(ctx, out, base_url)  # a UI stage: None for other test stages
    if browser is not None:
        env.update(browser.env)
    argv = command(ctx, files, browser.argv if browser is not None else [])
    try:
        child = ctx.run(argv, ok_codes=range(256), tool="pytest", env=env, fix=INSTALL)
    except ToolError as exc:  # killed or timed out: name the test it was running
        suite = results.read_events(files["events.jsonl"])
        if suite is not None and suite.running:
            exc.what += f" while running {suite.running}"
        raise
    files["pytest-output.txt"].write_text(child.stdout + child.stderr, encoding="utf-8")
    suite = results.read_events(files["events.jsonl"])
    shard_notes = sharding.verify(opts, out, suite)
    problem = trouble(child, suite)
    if problem or suite is None:
        # the child's own output helps only where the event log could not tell
        shown = suite is None or not suite.finished or suite.crashed or suite.workers_down
        raise ToolError(problem or "no event log", command=argv,
                        stderr=f"{child.stdout.rstrip()}\n{child.stderr}" if shown else "",
                        fix=_fix(child, relative(files["pytest-output.txt"], ctx.root)))
    if not files["junit.xml"].is_file():
        raise ToolError(f"pytest wrote no JUnit XML at {files['junit.xml']}", command=argv,
                        stderr=child.stdout, fix="check the project's junit options")
    metrics = results.suite_metrics(suite)
    metrics["duration"] = round(child.duration, 3)
    metrics["workers"] = choice.count  # the evidence a later `workers = "auto"` reads
    files["durations.json"].write_text(json.dumps(results.durations(suite)), encoding="utf-8")
    tests = results.suite_findings(suite, ctx.root)
    notes = _summary_line(child.stdout) + shard_notes
    notes += [choice.why] if choice.why else []
    notes += [f"${name} was not passed to the tests' pytest: it runs the project's own "
              "configuration only" for name in dropped]
    covered: list[Any] = []
    if opts["coverage"]:
        data = _coverage(ctx, files["coverage.json"], argv, child.stdout + child.stderr)
        metrics.update(results.coverage_metrics(data))
        covered = results.coverage_findings(data)
        if new is not None:  # uncovered new lines first, then the least-covered files
            fresh = newcode.coverage(data, new)
            metrics.update(fresh.metrics)
            covered, notes = fresh.findings + covered, notes + fresh.notes
    findings = tests[:TESTS_SHOWN_FIRST] + covered + tests[TESTS_SHOWN_FIRST:]
    kept = {name.split(".")[0].replace("pytest-", ""): relative(path, ctx.root)
            for name, path in files.items() if path.is_file()}
    if shard_notes:  # the merge combines the raw data and checks the items
        kept.update({name: relative(out / file, ctx.root) for name, file in
                     (("coverage_data", ".coverage"), ("shard_items", sharding.ITEMS_FILE))
                     if (out / file).is_file()})
    tool = _versions(opts)
    if browser is not None:
        tool += ui.judge(browser, suite, ctx, argv, metrics, kept, notes)
    return Measurement(metrics, findings, tool=tool, artifacts=kept, notes=notes)


def command(ctx: CheckContext, files: dict[str, Path], extra: list[str] | None = None
            ) -> list[str]:
    """The child's command line; `extra` (a UI stage's pytest-playwright options) comes
    before the check's own `args`, which may override it."""
    opts = ctx.options
    argv = [opts["python"] or sys.executable, "-m", "pytest", "-p", "no:tower",
            "-p", CHILD_PLUGIN, f"--junitxml={files['junit.xml']}"]
    if opts["coverage"]:
        argv += coverage_args(ctx.root, opts, files["coverage.json"])
    if opts["workers"] != 1:
        argv += ["-n", str(opts["workers"])]
    if opts["markers"]:
        argv += ["-m", opts["markers"]]
    return [*argv, *(extra or []), *opts["args"], *opts["paths"]]


def coverage_args(root: Path, opts: Any, report: Path) -> list[str]:
    """What pytest-cov measures: gates.toml's `source`, else the project's, else `.`.

    `.` (not pytest-cov's measure-everything) keeps installed code, pytest-tower
    included, out of the figure: it equals `coverage run --source=. -m pytest`.
    """
    if opts["source"]:
        argv = [f"--cov={s}" for s in opts["source"]]
    else:
        argv = ["--cov" if _configured_source(root) else "--cov=."]
    if opts["branch"]:
        argv.append("--cov-branch")
    # with `omit` the report is made afterwards by `coverage json --omit`
    argv.append("--cov-report=" if opts["omit"] else f"--cov-report=json:{report}")
    return argv  # the project's own fail_under still applies: see trouble()


def trouble(child: ToolRun, suite: results.Suite | None) -> str:
    """Why this run proves nothing, or '' when its results can be judged."""
    rc = child.returncode
    if suite is None:
        what = "rejected its command line or configuration" if rc == 4 else "failed to start"
        return f"pytest {what} (exit code {rc}) before running any test"
    metrics = results.suite_metrics(suite)
    return (_broken(suite, rc) or _unproven(suite, metrics, rc)
            or _exit_disagrees(child, suite, metrics))


def _broken(suite: results.Suite, rc: int) -> str:
    """The run itself did not complete: died, crashed, could not collect, interrupted."""
    if not suite.finished:
        where = f" while running {suite.running}" if suite.running else ""
        return (f"the test process died{where} (exit code {rc}) before pytest finished: "
                "a test or plugin ended it (os._exit, a segfault, out of memory?)")
    crashed = [t.reason for t in suite.crashed] or suite.workers_down
    if crashed:
        return "a pytest-xdist worker crashed, so its tests did not all run: " + "; ".join(crashed)
    if suite.collect_errors:
        shown = "\n".join(f"  ERROR collecting {n}: {r}" for n, r in suite.collect_errors[:10])
        return (f"pytest could not collect {len(suite.collect_errors)} test file(s), so their "
                f"tests never ran:\n{shown}")
    if suite.exitstatus == 3 or suite.internal_error:
        return f"pytest hit an internal error: {suite.internal_error or 'see output'}"
    if suite.exitstatus == 2 or suite.interrupted:
        return f"pytest was interrupted: {suite.interrupted or suite.stop or 'see output'}"
    return ""


def _unproven(suite: results.Suite, metrics: dict[str, float], rc: int) -> str:
    """The run completed but proved nothing: partial, empty, nothing passed, tests left out."""
    if suite.partial:
        return (f"the child pytest ran with {' '.join(suite.partial)} (the project's addopts "
                "or the check's args): it runs only part of the suite on the strength of an "
                "earlier run, so its pass proves nothing about the rest")
    if metrics["tests"] == 0:
        return _nothing_ran(suite, rc)
    failures = metrics["failed"] + metrics["errors"]
    if not metrics["passed"] and not failures:
        return _nothing_passed(suite, metrics)
    if metrics["tests"] < suite.collected and not suite.stop and not failures:
        return (f"pytest selected {suite.collected} tests but only {int(metrics['tests'])} "
                "ran, and nothing stopped the run (no -x, no failure): a plugin or conftest "
                "left them unrun (pytest_runtestloop?), so the rest proved nothing")
    return ""


def _exit_disagrees(child: ToolRun, suite: results.Suite, metrics: dict[str, float]) -> str:
    """The exit code says something failed that no test result shows."""
    rc, failures = child.returncode, metrics["failed"] + metrics["errors"]
    if suite.exitstatus != rc:
        return (f"pytest finished with status {suite.exitstatus} but the process exited "
                f"{rc}: something failed after the run")
    threshold = _coverage_failure(child.stdout)
    if rc == 1 and threshold and not failures:
        return (f"the project's own coverage threshold was not met: {threshold} (pytest-cov's "
                "--cov-fail-under in its addopts, or fail_under in its coverage config; "
                "pytest-cov compares the figure rounded to the report's precision)")
    if rc not in (0, 1) or (rc == 1 and not failures):
        return f"pytest exited {rc} although no test failed: a plugin failed the run"
    return ""


def _coverage_failure(stdout: str) -> str:
    """pytest-cov's line when the total is under the project's fail_under, else ''."""
    return next((line.strip() for line in stdout.splitlines()
                 if line.strip().startswith(("Coverage failure:", "FAIL Required test coverage"))),
                "")


def _nothing_ran(suite: results.Suite, rc: int) -> str:
    """No test ran: say whether none was collected or the selection dropped them all."""
    if suite.deselected or suite.selection:
        what = (f"all {suite.deselected} collected tests were deselected" if suite.deselected
                else "the selection left no test to run")
        by = " ".join(suite.selection) or "-k/-m/--deselect"
        source = (f"; the project's addopts (and $PYTEST_ADDOPTS): {' '.join(suite.addopts)}"
                  if suite.addopts else "")
        return f"no tests ran: {what} by {by}{source}: nothing was proven"
    return (f"no tests ran (pytest collected {suite.collected}, exit code {rc}): "
            "nothing was proven")


# What a run of only this outcome was: (one test, several tests).
NOTHING_PROVEN = {
    "skipped": ("the only test was skipped", "all {n} tests were skipped"),
    "xfailed": ("the only test was xfail (expected to fail, and failed)",
                "all {n} tests were xfail (expected to fail, and failed)"),
    "xpassed": ("the only test was a non-strict xfail that passed (an xpass proves nothing)",
                "all {n} tests were non-strict xfails that passed (an xpass proves nothing)"),
}


def _nothing_passed(suite: results.Suite, metrics: dict[str, float]) -> str:
    """Tests ran but none passed and none failed: skipped/xfail only proves nothing."""
    total = int(metrics["tests"])
    present = [o for o in NOTHING_PROVEN if metrics[o]]
    if len(present) == 1:
        head = NOTHING_PROVEN[present[0]][total > 1].format(n=total)
    else:
        head = "no test passed (" + ", ".join(f"{int(metrics[o])} {o}" for o in present) + ")"
    reasons = sorted({t.reason for t in suite.tests.values() if t.reason})
    shown = "; ".join(reasons[:3]) + (" …" if len(reasons) > 3 else "")
    why = f" Reasons: {shown}." if reasons else ""
    return (f"{head}: nothing was proven; a test stage needs at least one passing test "
            f"(passed >= 1).{why}")


def _fix(child: ToolRun, output: str) -> str:
    text = child.stderr + child.stdout
    if ui.fix_hint(text):
        return ui.fix_hint(text)
    unknown = " ".join(line for line in text.splitlines() if "unrecognized arguments" in line)
    absent = [(name, short) for name, flag, short in (("pytest-cov", "--cov", "cov"),
                                                      ("pytest-xdist", " -n", "xdist"))
              if flag in unknown]
    if absent:
        names = " and ".join(name for name, _ in absent)
        shorts = " or ".join(f"-p no:{short}" for _, short in absent)
        return (f"{names} is not active in the child pytest: the project's addopts may "
                f"disable it ({shorts}), or {INSTALL} into the Python that runs the tests")
    if CHILD_PLUGIN in text:
        return "install pytest-tower into the Python that runs the tests (`python` option)"
    if _coverage_failure(child.stdout):
        return ("cover more code, or change the project's fail_under; the gate's own bar is "
                "a `coverage >= N%` condition")
    return f"read pytest's output (all of it is in {output})"


def _coverage(ctx: CheckContext, report: Path, argv: list[str], output: str) -> dict[str, Any]:
    omit = ctx.options["omit"]
    if omit:
        ctx.run([ctx.options["python"] or sys.executable, "-m", "coverage", "json", "-q",
                 f"--data-file={report.parent / '.coverage'}", "-o", str(report),
                 "--fail-under=0", "--omit=" + ",".join(omit)], tool="coverage", fix=INSTALL)
    said = _coverage_warnings(output)
    try:
        data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
        statements = data["totals"]["num_statements"]
        figures = results.coverage_metrics(data).values()
        if not all(0.0 <= value <= 100.0 for value in figures):  # NaN fails too
            raise ValueError(f"totals out of range: {data['totals']}")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        if said:  # coverage ran and measured nothing, so it wrote no report
            raise ToolError(f"coverage measured no code: {said}", command=argv,
                            fix=NO_CODE_FIX) from None
        raise ToolError(f"coverage data is missing: no readable coverage report at {report} "
                        f"({exc})", command=argv,
                        fix="keep pytest-cov enabled (no --no-cov in the project's addopts), "
                        "or set coverage = false") from None
    if not statements:
        raise ToolError("coverage measured no code: the coverage source holds no statement "
                        "that ran or could run" + (f" ({said})" if said else ""),
                        command=argv, fix=NO_CODE_FIX)
    return data


def _coverage_warnings(output: str) -> str:
    """coverage.py's own words for what it measured nothing of, as the child printed them."""
    found = COVERAGE_SAID.finditer(output)
    said = [m.group(1).strip() for m in found if m.group(1)]  # coverage's reason first
    said += [m.group(2).strip() for m in COVERAGE_SAID.finditer(output) if m.group(2)]
    return "; ".join(dict.fromkeys(said))[:600]


def _configured_source(root: Path) -> bool:
    """Does the project's coverage config (found as coverage finds it) name a source?"""
    from coverage.config import CoverageConfig, config_files_to_try
    from coverage.exceptions import ConfigError

    for name, ours, specified in config_files_to_try(True):
        config = CoverageConfig()
        try:
            if config.from_file(str(root / name), warn=lambda _: None, our_file=ours):
                return bool(config.source or config.source_pkgs)
        except ConfigError as exc:
            raise ToolError(f"the project's coverage configuration is broken: {exc}",
                            fix=f"fix {name}") from None
        if specified and not (root / name).exists():
            raise ToolError(f"COVERAGE_RCFILE names {name}, which does not exist")
    return False


def _require_plugins(opts: Any) -> None:
    if opts["python"]:
        return  # another interpreter: its own pytest reports what it lacks
    needed = (["pytest_cov"] if opts["coverage"] else []) + (["xdist"] if opts["workers"] != 1
                                                              else [])
    absent = [name for name in needed if importlib.util.find_spec(name) is None]
    if absent:
        raise ToolError(f"{', '.join(absent)} is not installed beside {sys.executable}",
                        fix=INSTALL)


def _versions(opts: Any) -> str:
    names = ["pytest"] + (["coverage"] if opts["coverage"] else []) + (
        ["pytest-xdist"] if opts["workers"] != 1 else [])
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(name)
    return ", ".join(found) + (f" (python {opts['python']})" if opts["python"] else "")


def _summary_line(stdout: str) -> list[str]:
    lines = [line.strip("= ") for line in stdout.splitlines()
             if line.startswith("=") and " in " in line]
    return lines[-1:]


def validate(options: Any) -> None:
    url = options["base_url"]
    if url and not url.startswith(("http://", "https://")):
        raise ValueError(f"base_url must start with http:// or https://, got {url!r}")
    if options["base"] and not options["coverage"]:
        raise ValueError("base measures the coverage of new code: it needs coverage = true")
    newcode.validate(options, ["new_coverage", "new_lines", "new_missing"])
    ui.validate(options)


CHECK_TYPE = CheckType(
    name="tests",
    run=run,
    charted=["coverage"],
    install=INSTALL,
    help="Run the project's tests in a child pytest (pytest-xdist inside), with coverage.",
    metrics=[
        MetricSpec("tests", help="tests that ran (each test counted once)"),
        MetricSpec("passed", help="passed tests; at least one must pass"),
        MetricSpec("failed", help="failed tests, strict xpasses included"),
        MetricSpec("errors", help="tests with an error in setup or teardown"),
        MetricSpec("skipped"), MetricSpec("xfailed"),
        MetricSpec("xpassed", help="non-strict xfail tests that passed"),
        MetricSpec("duration", SECONDS, help="wall time of the child pytest"),
        MetricSpec("workers", help="xdist workers the tests ran with (1: serial); what "
                   '`workers = "auto"` chose'),
        MetricSpec("slowest", SECONDS, help="the slowest test, setup and teardown included"),
        MetricSpec("test_time", SECONDS, help="the tests' own time summed (setup, call, "
                   'teardown), without start-up and collection; what `workers = "auto"` '
                   "weighs before it tries a second worker"),
        MetricSpec("coverage", PERCENT, help="coverage.py's total, unrounded: lines and "
                   "branches together when branches are measured (coverage report's TOTAL, "
                   "what --cov-fail-under compares)"),
        MetricSpec("line_coverage", PERCENT, help="statements only (percent_statements_covered)"),
        MetricSpec("branch_coverage", PERCENT, help="branches only; no value unless branches "
                   "are measured (the project's coverage config or `branch`)"),
        MetricSpec("new_coverage", PERCENT, help="coverage of the executable lines changed since "
                   "`base` (needs base); 100% when none changed"),
        MetricSpec("new_lines", help="executable lines changed since `base`"),
        MetricSpec("new_missing", help="executable lines changed since `base` not run"),
        *ui.METRICS,
    ],
    options={
        "paths": Option("str_list", "test files and folders (default: the project's testpaths)",
                        default=[]),
        "markers": Option("str", "a -m marker expression, e.g. \"not integration\"", default=""),
        "workers": Option("int_or_auto", 'pytest-xdist workers: a number (1 = no xdist), or '
                          '"auto": serial or parallel, whichever this stage\'s history shows '
                          "faster (serial until it has evidence)", default=1),
        "args": Option("str_list", "extra pytest arguments", default=[]),
        "coverage": Option("bool", "measure coverage with pytest-cov", default=True),
        "source": Option("str_list", "what coverage measures (default: the project's coverage "
                         "config, else the project root)", default=[]),
        "omit": Option("str_list", "file patterns left out of the coverage figure (as "
                       "coverage json --omit)", default=[]),
        "branch": Option("bool", "measure branches too (--cov-branch); the project's coverage "
                         "config may already say `branch = true`", default=False),
        "base_url": Option("str", "the target of integration tests: $TOWER_BASE_URL and the "
                           "tower_base_url fixture in the child", default=""),
        "python": Option("str", "the Python that runs the tests (default: pytest's own)",
                         default=""),
        "base": Option("str", newcode.BASE_HELP + "; with no changed executable line, "
                       "new_coverage is 100% and new_lines 0", default=""),
        # declared here (not only the common key): the tests of this type can be split
        "shard": Option("int_or_auto", 'with --tower-shard: "auto" splits the tests over '
                        "every shard (merged by --tower-merge); a number runs them all in "
                        "that shard", default="auto"),
        **ui.OPTIONS,
    },
    default_conditions=["failed == 0"],
    implied_conditions=["tests >= 1", "passed >= 1", "failed == 0", "errors == 0"],
    default_timeout=1800.0,
    validate=validate,
)
