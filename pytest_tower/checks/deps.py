"""Dependency hygiene: `pip check` in the environment, and deptry over the project's imports.

The release pipeline's "install dependencies" step passes when pip did not
fail, yet an environment can hold a package whose requirement is missing or
at a version it refuses (`pip install --no-deps`, a later upgrade); and a
project can import what it never declared (it works here by luck: a
transitive dependency) or declare what it no longer uses. `pip check` says
the first, deptry the second. Both run in the audited interpreter (the one
pytest runs in, unless `python` says otherwise), through `python -m`: deptry
maps imports to the distributions installed where it runs, so it must run
there; an environment without pip cannot be checked, which is an error, not
"no conflicts".

pip check has no machine-readable output: each of its three line forms is
matched whole, and a line that matches none (a new pip wording), a non-zero
exit with no conflict named, or a zero exit without pip's "No broken
requirements found." is an error rather than a guess. deptry's JSON report
is written to a file removed first (an old one never counts); its exit code
must agree with it; deptry scanning 0 files is an error.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from pytest_tower.checks.distributions import python_of
from pytest_tower.core.conditions import ConditionError, parse_condition
from pytest_tower.core.fs import relative
from pytest_tower.core.model import (
    CheckContext,
    CheckType,
    Finding,
    Measurement,
    MetricSpec,
    Option,
    ToolError,
)
from pytest_tower.core.names import table_label

# deptry's issue codes and the metric each is counted in (https://deptry.com/issue-codes/)
CODES = {"DEP001": "missing", "DEP002": "unused", "DEP003": "transitive",
         "DEP004": "misplaced_dev", "DEP005": "stdlib"}
_PIP_LINES = [
    ("missing-requirement", re.compile(
        r"^(?P<name>\S+) (?P<version>\S+) requires (?P<req>.+), which is not installed\.$")),
    ("conflict", re.compile(r"^(?P<name>\S+) (?P<version>\S+) has requirement (?P<req>.+), "
                            r"but you have (?P<dep>\S+) (?P<dep_version>\S+)\.$")),
    ("unsupported", re.compile(
        r"^(?P<name>\S+) (?P<version>\S+) is not supported on this platform$")),
]
PIP_OK = "No broken requirements found."
_SCANNED = re.compile(r"^Scanning (\d+) files?\.\.\.", re.MULTILINE)
DEPTRY_FIX = ("install deptry where the project's tests run (pytest-tower depends on it: "
              "pip install pytest-tower), or set `python`, or set deptry = false")


def run(ctx: CheckContext) -> Measurement:
    python = python_of(ctx)
    metrics: dict[str, float] = {}
    findings: list[Finding] = []
    tools: list[str] = []
    if ctx.options["pip_check"]:
        metrics["conflicts"], found = _pip_check(ctx, python)
        findings += found
        tools.append("pip check")
    if ctx.options["deptry"]:
        version, scanned, issues = _deptry(ctx, python)
        counts = Counter(str((i.get("error") or {}).get("code")) for i in issues)
        metrics["files"] = scanned
        metrics["issues"] = len(issues)
        metrics.update({f"issues[{code}]": n for code, n in counts.items()})
        for code, name in CODES.items():
            metrics[name] = counts.get(code, 0)
        findings += sorted((_deptry_finding(i, ctx) for i in issues),
                           key=lambda f: (f.code, f.path, f.line or 0))
        tools.append(version)
    measurement = Measurement(metrics, findings, tool=", ".join(tools) + f" ({python})")
    if ctx.options["deptry"]:
        measurement.known_keys["issues"] = sorted({*CODES, *(k[7:-1] for k in metrics
                                                              if k.startswith("issues["))})
    return measurement


def _pip_check(ctx: CheckContext, python: str) -> tuple[int, list[Finding]]:
    fix = (f"install pip into that environment ({python} -m ensurepip), or set `python` in "
           f"{table_label(ctx.check_id)}, or set pip_check = false")
    result = ctx.run([python, "-m", "pip", "check", "--disable-pip-version-check"],
                     ok_codes=range(256), tool="pip", fix=fix)
    if "No module named pip" in result.stderr:
        raise ToolError(f"pip is not installed in the environment of {python}, so its "
                        "dependencies cannot be checked", command=result.argv,
                        stderr=result.stderr, fix=fix)
    if result.returncode not in (0, 1):
        raise ToolError(f"pip check failed (exit {result.returncode})", command=result.argv,
                        stderr=result.stderr, fix=fix)
    findings: list[Finding] = []
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    for line in lines:
        if line == PIP_OK:
            continue
        kind, match = next(((k, m) for k, pattern in _PIP_LINES
                            if (m := pattern.match(line))), ("", None))
        if match is None:
            raise ToolError(f"pip check printed a line this check does not know: {line!r}",
                            command=result.argv, stderr=result.stderr,
                            fix="report it; meanwhile run pip check by hand")
        who = f"{match['name']} {match['version']}"
        findings.append(Finding(path=who, code=kind, message=line[len(who):].strip()))
    said_ok = PIP_OK in lines
    if result.returncode == 0 and (findings or not said_ok):
        raise ToolError(f"pip check exited 0 but did not say {PIP_OK!r}"
                        + (f" and named {len(findings)} problem(s)" if findings else ""),
                        command=result.argv, stderr=result.stderr, fix=fix)
    if result.returncode == 1 and not findings:
        raise ToolError("pip check exited 1 (broken requirements) but named none it could "
                        "say in a known form (metadata it could not parse?)",
                        command=result.argv, stderr=result.stderr,
                        fix="read pip's message below and repair the environment")
    return len(findings), findings


def _deptry(ctx: CheckContext, python: str) -> tuple[str, int, list[dict[str, Any]]]:
    missing = [p for p in ctx.options["paths"] if not (ctx.root / p).exists()]
    if missing:
        raise ToolError(f"nothing to scan at {', '.join(map(repr, missing))}: no such path "
                        f"under {ctx.root}", fix=f"fix `paths` in {table_label(ctx.check_id)}")
    probe = ctx.run([python, "-m", "deptry", "--version"], ok_codes=range(256),
                    tool="deptry", fix=DEPTRY_FIX)
    if probe.returncode != 0 or not probe.stdout.strip().startswith("deptry "):
        raise ToolError(f"deptry is not installed for {python}", command=probe.argv,
                        stderr=probe.stderr, fix=DEPTRY_FIX)
    report = ctx.artifacts_dir / "deptry.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)  # an old report never counts
    config = ["--config", ctx.options["config"]] if ctx.options["config"] else []
    result = ctx.run([python, "-m", "deptry", *ctx.options["paths"], "--no-ansi", *config,
                      "--json-output", str(report)], ok_codes=range(256), tool="deptry",
                     fix=DEPTRY_FIX)
    if result.returncode not in (0, 1) or not report.is_file():
        raise ToolError(f"deptry failed (exit {result.returncode}) and wrote no report",
                        command=result.argv, stderr=result.stderr or result.stdout,
                        fix="read deptry's message; it needs the project's dependencies "
                        "declared (pyproject.toml [project], or requirements.txt) — set "
                        "`config` to the pyproject.toml, or `paths`")
    try:
        issues = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ToolError(f"deptry's JSON report cannot be read: {exc}", command=result.argv,
                        stderr=result.stderr) from None
    if not isinstance(issues, list) or not all(
            isinstance(i, dict) and isinstance(i.get("error"), dict)
            and isinstance(i["error"].get("code"), str) for i in issues):
        raise ToolError("deptry's JSON report is not a list of issues with codes",
                        command=result.argv, fix="run deptry >= 0.25 (pytest-tower's range)")
    if (result.returncode == 1) != bool(issues):
        raise ToolError(f"deptry exited {result.returncode} but its report lists "
                        f"{len(issues)} issue(s): output not understood", command=result.argv,
                        stderr=result.stderr)
    scanned = _SCANNED.search(result.stdout + "\n" + result.stderr)
    if scanned is None:
        raise ToolError("deptry did not say how many files it scanned", command=result.argv,
                        stderr=result.stderr, fix="run deptry >= 0.25 (pytest-tower's range)")
    if int(scanned[1]) == 0:
        raise ToolError(f"deptry scanned no Python file under {', '.join(ctx.options['paths'])}"
                        ": no import was checked", command=result.argv,
                        fix="point `paths` at the project's sources, or check deptry's "
                        "exclude / extend_exclude settings (it skips tests/ and .venv/ by "
                        "default)")
    return probe.stdout.strip().splitlines()[0], int(scanned[1]), issues


def _deptry_finding(issue: dict[str, Any], ctx: CheckContext) -> Finding:
    where = issue.get("location") or {}
    line, col = where.get("line"), where.get("column")
    return Finding(path=relative(str(where.get("file") or "pyproject.toml"), ctx.root),
                   line=line if isinstance(line, int) else None,
                   col=col if isinstance(col, int) else None,
                   code=str(issue["error"]["code"]),
                   message=str(issue["error"].get("message") or issue.get("module") or ""))


_PART_METRICS = {"pip_check": {"conflicts"},
                 "deptry": {"issues", "files", *CODES.values()}}


def validate(options: Mapping[str, Any]) -> None:
    """At least one part; no condition on a part that is switched off."""
    if not options["pip_check"] and not options["deptry"]:
        raise ValueError("pip_check and deptry are both false: nothing would be checked")
    stated = [*(options.get("conditions") or ()), *(options.get("warn") or ())]
    for part, names in _PART_METRICS.items():
        if options[part]:
            continue
        if "conditions" not in options:
            raise ValueError(f"with {part} = false, state the conditions (the default ones, "
                             f"{', '.join(CHECK_TYPE.default_conditions)}, judge both parts)")
        for expr in stated:
            try:
                metric = parse_condition(expr, CHECK_TYPE.metrics).metric
            except ConditionError:
                continue  # the config reader reports it
            if metric in names:
                raise ValueError(f"condition {expr!r} needs {part}, which is false here")


CHECK_TYPE = CheckType(
    name="deps",
    run=run,
    help="Dependency hygiene: `pip check` in the environment (conflicts) and deptry over the "
         "project's imports (missing, unused, transitive, misplaced dev dependencies).",
    metrics=[
        MetricSpec("conflicts", help="broken requirements pip check names: one missing, at a "
                   "refused version, or a wheel not for this platform (pip_check)"),
        MetricSpec("issues", help="deptry issues; issues[DEP002] counts one code (deptry)",
                   keyed=True, key_default=0),
        MetricSpec("missing", help="imports of nothing declared (DEP001)"),
        MetricSpec("unused", help="declared dependencies never imported (DEP002)"),
        MetricSpec("transitive", help="imports of what only a dependency declares (DEP003)"),
        MetricSpec("misplaced_dev", help="dev dependencies imported by the code (DEP004)"),
        MetricSpec("stdlib", help="standard library modules declared as dependencies "
                   "(DEP005)"),
        MetricSpec("files", help="Python files deptry scanned; 0 is an error"),
    ],
    options={
        "pip_check": Option("bool", "run pip check in the environment", default=True),
        "deptry": Option("bool", "run deptry over `paths`", default=True),
        "paths": Option("str_list", "source folders deptry scans, relative to gates.toml",
                        default=["."]),
        "config": Option("str", "the pyproject.toml deptry reads (dependencies, "
                         "[tool.deptry]); default: the one in gates.toml's folder", default=""),
        "python": Option("str", "the interpreter of the environment to check (default: the "
                         "one pytest runs in)", default=""),
    },
    default_conditions=["conflicts == 0", "issues == 0"],
    default_timeout=300.0,
    validate=validate,
)
