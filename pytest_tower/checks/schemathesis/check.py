"""API fuzzing gate: schemathesis against the running application, judged on its reports.

schemathesis is never imported where pytest runs, nor installed there (it
ships a pytest plugin, and ~90 MB of hypothesis & co.): it runs from its own
tool venv (toolenv.py), or the interpreter in `python`, through a two-line
launcher that takes the `headers` from an environment variable, so a token
never sits in argv (target.py). The schema is read from the target itself
(`schema = "/openapi.json"`) or a file, and `--url` pins every request to the
configured target whatever `servers` the schema names.

Traps defended (each an error, never a pass): a schema that does not load
(exit 2, yet a JUnit file with zero tests is written), no operation selected
(a filter matching nothing), no operation tested or no test case sent (the
target refused every connection), a run stopped early, a report missing or
not schemathesis's, and an exit code its own report contradicts. Operations
that answered only 401/403 (wrong or missing credentials) are counted as
`auth_rejected`, which must be 0: nothing behind the login was tested.
No project schemathesis.toml is picked up by accident (one is named with
`config`, else an empty one is given), so the gate's options are the run's.
"""

from __future__ import annotations

import re
import secrets as secrets_module
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest_tower.checks.toolenv as _toolenv
from pytest_tower.checks import target
from pytest_tower.checks.schemathesis.config import (
    CHECKS,
    CODES,
    METRICS,
    OPTIONS,
    REQUIREMENTS,
    validate,
)
from pytest_tower.checks.schemathesis.reports import Failure, ReportError, Reports, read
from pytest_tower.checks.waivers import Waivers
from pytest_tower.core.model import (
    CheckContext,
    CheckType,
    Finding,
    Measurement,
    ToolError,
)
from pytest_tower.core.names import table_label
from pytest_tower.core.runner import ToolRun
from pytest_tower.core.secrets import mask

INSTALL = target.install_hint(REQUIREMENTS[0])
# the end of each phase: " ✅  Coverage (in 5.57s)"
PROGRESS = re.compile(r"^\W*((?:Examples|Coverage|Fuzzing|Stateful) \(in [\d.]+s\))")
LAUNCHER = target.launcher("schemathesis.cli", "schemathesis", "st")


def run(ctx: CheckContext) -> Measurement:
    return target.run_against(ctx, _run)


def _run(ctx: CheckContext, url: str, lines: list[str], secrets: set[str]) -> Measurement:
    opts = ctx.options
    where = table_label(ctx.check_id)
    folder = ctx.artifacts_dir / "schemathesis"
    shutil.rmtree(folder, ignore_errors=True)  # a report is evidence only if this run wrote it
    folder.mkdir(parents=True)
    location, config = _location(ctx, url), _config_file(ctx, folder)
    python, version = _toolenv.interpreter(ctx, "schemathesis", REQUIREMENTS)
    paths = {kind: folder / f"report.{kind}" for kind in ("json", "ndjson", "xml")}
    # one the user can write back into gates.toml (schemathesis's own are 128-bit)
    seed = opts["seed"] if opts["seed"] is not None else secrets_module.randbelow(1_000_000)
    argv = [python, "-c", LAUNCHER, "--config-file", config, "--no-color",
            "run", location, "--url", url, *_options(opts), "--seed", str(seed),
            "--report", "json,ndjson,junit",
            "--report-json-path", str(paths["json"]),
            "--report-ndjson-path", str(paths["ndjson"]),
            "--report-junit-path", str(paths["xml"])]
    done = target.run_in(ctx, folder, argv, target.tool_env(lines), "schemathesis", INSTALL,
                         PROGRESS)
    (folder / "output.txt").write_text(done.stdout + done.stderr)
    target.mask_files(folder, secrets)
    try:
        reports = read(paths["json"], paths["ndjson"], paths["xml"])
    except ReportError as exc:
        raise ToolError(f"schemathesis exited {done.returncode} and {exc}: nothing was "
                        "measured", command=done.argv, stderr=_tail(done),
                        fix=f"read schemathesis's output above; check `python` runs "
                            f"{REQUIREMENTS[0]}") from None
    _require_evidence(reports, done, opts, where)
    measurement = _measure(reports, Waivers(opts["ignore"], date.today(), scope_key="operation"))
    measurement.tool = f"schemathesis {version}"
    measurement.findings = [Finding(f.path, f.line, f.col, f.code, mask(f.message, secrets),
                                    f.severity) for f in measurement.findings]
    if opts["seed"] is None:
        measurement.notes.append(f"seed {seed} (chosen at random): set seed = {seed} to run "
                                 "the same test cases again")
    measurement.artifacts.update({"report": str(paths["json"]), "events": str(paths["ndjson"]),
                                  "junit": str(paths["xml"]),
                                  "output": str(folder / "output.txt")})
    return measurement


def _config_file(ctx: CheckContext, folder: Path) -> str:
    if ctx.options["config"]:
        path = ctx.root / ctx.options["config"]
        if not path.is_file():
            raise ToolError(f"config = {ctx.options['config']!r}: no such file under {ctx.root}",
                            fix=f"fix `config` in {table_label(ctx.check_id)}")
        return str(path)
    empty = folder / "schemathesis.toml"
    empty.write_text("# pytest-tower: no project config; the gate's options apply\n")
    return str(empty)


def _location(ctx: CheckContext, url: str) -> str:
    schema = ctx.options["schema"]
    if schema.startswith("/"):
        return f"{url}{schema}"
    path = ctx.root / schema
    if not path.is_file():
        raise ToolError(f"schema = {schema!r}: no such file under {ctx.root}",
                        fix=f"fix `schema` in {table_label(ctx.check_id)}, or give the path "
                            "the application serves it at (\"/openapi.json\")")
    return str(path)


def _options(opts: Any) -> list[str]:
    argv = ["--checks", ",".join(opts["checks"]) or "all", "--workers", str(opts["workers"])]
    if opts["phases"]:
        argv += ["--phases", ",".join(opts["phases"])]
    if opts["max_examples"] is not None:
        argv += ["--max-examples", str(opts["max_examples"])]
    for name in opts["include"]:
        argv += ["--include-name", name]
    for name in opts["exclude"]:
        argv += ["--exclude-name", name]
    return argv


def _tail(done: ToolRun) -> str:
    return (done.stderr.strip() + "\n" + done.stdout.strip()).strip()


def _require_evidence(reports: Reports, done: ToolRun, opts: Any, where: str) -> None:
    """Everything that means "nothing (or not everything) was tested" is an error."""
    summary, ops = reports.summary, reports.operations
    rc = done.returncode

    def error(what: str, fix: str) -> ToolError:
        return ToolError(what, command=done.argv, stderr=_tail(done), fix=fix)

    if summary["exit_code"] != rc:
        raise error(f"schemathesis exited {rc} but its run report says {summary['exit_code']}: "
                    "the report is not this run's", fix="rerun; report it if it persists")
    if reports.fatal or not summary["complete"] or summary["stop_reason"] == "error":
        titles = ", ".join(str(e.get("title")) for e in summary["errors"] if isinstance(e, dict))
        raise error(f"schemathesis could not run (exit {rc}): "
                    f"{reports.fatal or titles or 'the engine did not complete'}",
                    fix="check that the schema loads: `schema` names the OpenAPI document "
                        "(a path the target serves, or a file), and the target serves it")
    if not ops.get("selected"):
        unmatched = reports.warned("unmatched_filter")
        raise error("no API operation was selected, so nothing was tested"
                    + (f" (no operation matches {', '.join(unmatched)})" if unmatched else ""),
                    fix=f"fix `include`/`exclude` in {where}: operation names are METHOD and "
                        "the path as the schema writes it, e.g. \"GET /tasks/{task_id}\"")
    if summary["stop_reason"] != "completed":
        raise error(f"schemathesis stopped early ({summary['stop_reason']}): not every "
                    "operation was tested", fix="rerun without interrupting it")
    if not ops.get("tested") or not summary["test_cases"].get("generated"):
        skipped = ", ".join(str(r) for r in ops.get("skip_reasons") or [])
        shown = "; ".join(reports.errors[:3]) or (f"skipped: {skipped}" if skipped else
                                                  "no error was reported")
        raise error(f"schemathesis tested none of the {ops.get('selected')} selected "
                    f"operations ({shown})",
                    fix="check that the target answers at the URL (`environment`/`base_url`) "
                        "and that `phases` include one that generates test cases")
    if rc not in (0, 1):
        raise error(f"schemathesis exited {rc}", fix="read its output above")
    if rc == 0 and summary["failures"]:
        raise error("schemathesis exited 0 but its run report lists failures: the run and "
                    "its report disagree", fix="rerun; report it if it persists")


def _measure(reports: Reports, waivers: Waivers) -> Measurement:
    counts: dict[str, float] = {}
    findings: list[Finding] = []
    notes: list[str] = []
    failures = waived = server_errors = 0
    for failure in sorted(reports.failures, key=lambda f: (f.place, f.code, f.check)):
        active, lapsed = waivers.match([failure.check, failure.code], [failure.place])
        message = _message(failure)
        if active is not None:
            waived += 1
            message += f"; waived until {active.until}: {active.reason}"
        else:
            failures += 1
            server_errors += failure.check == "not_a_server_error"
            for key in {failure.check, failure.code}:
                counts[f"failures[{key}]"] = counts.get(f"failures[{key}]", 0) + 1
        for key in {failure.check, failure.code}:  # a waived one still shows its key (0)
            counts.setdefault(f"failures[{key}]", 0)
            if lapsed is not None:
                message += f"; waiver expired {lapsed.until}"
        findings.append(Finding(failure.place, code=failure.code or failure.check,
                                message=message, severity="waived" if active else ""))
    for waiver in waivers.expired:
        findings.append(Finding("ignore", code=waiver.id, severity="expired",
                                message=f"waiver expired on {waiver.until} and waives nothing "
                                f"(reason was: {waiver.reason}); fix the API or renew it"))
    for waiver in waivers.stale():
        notes.append(f"stale waiver: ignore {waiver.describe()} matched no failure; remove it")
    for error in reports.errors[:20]:
        findings.append(Finding(error.partition(":")[0], code="error", message=error))
    rejected = reports.warned("missing_auth")
    for operation in rejected:
        findings.append(Finding(operation, code="auth", message="answered only 401/403: the "
                                "credentials (`headers`) are missing or wrong, so nothing behind "
                                "them was tested"))
    ops = reports.operations
    metrics: dict[str, float] = {
        "operations": ops.get("selected") or 0, "tested": ops.get("tested") or 0,
        "untested": max(0, (ops.get("selected") or 0) - (ops.get("tested") or 0)),
        "failures": failures, "server_errors": server_errors, "waived": waived,
        "errors": sum(int(e.get("count", 1)) for e in reports.summary["errors"]
                      if isinstance(e, dict)),
        "auth_rejected": len(rejected), "expired": len(waivers.expired),
        "test_cases": reports.summary["test_cases"].get("generated") or 0, **counts,
    }
    seen = {f.check for f in reports.failures} | {f.code for f in reports.failures}
    return Measurement(metrics, findings, notes=notes,
                       known_keys={"failures": sorted(set(CHECKS) | set(CODES) | seen)})


def _message(failure: Failure) -> str:
    text = f"{failure.check}: {failure.title}"
    detail = " ".join(failure.message.split())
    if detail:
        text += f" — {detail[:300]}"
    if failure.curl:
        text += f"; reproduce: {failure.curl}"
    elif failure.case_id:
        text += f"; reproduce: st replay {failure.case_id}"
    return text


CHECK_TYPE = CheckType(
    name="schemathesis",
    run=run,
    charted=["failures"],
    install=INSTALL,
    help="Fuzz the running application's API from its OpenAPI schema with schemathesis "
         "(isolated venv): failures by check and code, each with its curl reproduction.",
    metrics=METRICS,
    options=OPTIONS,
    default_conditions=["failures == 0", "server_errors == 0"],
    implied_conditions=["untested == 0", "auth_rejected == 0", "errors == 0", "expired == 0"],
    default_timeout=1800.0,
    validate=validate,
    # findings=None: a failure's place is an API operation, not a file of the project, so
    # it goes to the JSON, Markdown and HTML reports, not to SARIF or file annotations
)
