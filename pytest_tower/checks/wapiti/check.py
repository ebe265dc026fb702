"""DAST gate: a wapiti scan of the running application, judged on its JSON report only.

wapiti runs from its own tool venv (~200 MB: mitmproxy, playwright's client,
sqlalchemy...), or the interpreter in `python`, through a small launcher that
takes the `headers` from an environment variable (target.py: a token never
sits in argv). Each run gets a fresh session and config folder of its own
(`--store-session`, `--store-config`, `--flush-session`, and HOME pointed
there), so nothing from an earlier scan or from ~/.wapiti is reused, and
`--no-bugreport` keeps a crash's traceback from being uploaded. Only the
configured target is scanned: a scope that stays under its URL, excludes
under it, and the report's own `target` must be that URL.

wapiti exits 0 whatever it finds or reaches, so the exit code says nothing:
no report, an unreadable one, zero URLs crawled, a module asked for that
never ran, or one cut short (max_attack_time, or a crawl cut by
max_scan_time before any module finished) is an error, never a pass.
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from typing import Any

import pytest_tower.checks.toolenv as _toolenv
from pytest_tower.checks import target
from pytest_tower.checks.waivers import Waivers
from pytest_tower.checks.wapiti.config import METRICS, OPTIONS, REQUIREMENTS, validate
from pytest_tower.checks.wapiti.report import Item, ModuleLog, Report, ReportError, modules, read
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
PROGRESS = re.compile(r"\[\*\] (Launching module \w+|Wapiti found \d+ URLs)")
LAUNCHER = target.launcher("wapitiCore.main.wapiti", "wapiti_asyncio_wrapper", "wapiti")


def run(ctx: CheckContext) -> Measurement:
    return target.run_against(ctx, _run)


def _run(ctx: CheckContext, url: str, lines: list[str], secrets: set[str]) -> Measurement:
    opts = ctx.options
    where = table_label(ctx.check_id)
    python, version = _toolenv.interpreter(ctx, "wapiti", REQUIREMENTS)
    folder = ctx.artifacts_dir / "wapiti"
    shutil.rmtree(folder, ignore_errors=True)  # a report is evidence only if this run wrote it
    for sub in ("session", "config", "home"):
        (folder / sub).mkdir(parents=True)
    report_path = folder / "report.json"
    argv = [python, "-c", LAUNCHER, "-u", url + "/", "--scope", opts["scope"],
            "-m", ",".join(opts["modules"]), "-f", "json", "-o", str(report_path),
            "--flush-session", "--store-session", str(folder / "session"),
            "--store-config", str(folder / "config"), "--no-bugreport", "-v", "1",
            "--max-scan-time", f"{opts['max_scan_time']:g}",
            # log4shell's resolver runs whenever the modules load: never a public domain
            "--dns-endpoint", opts["dns_endpoint"] or "localhost"]
    if opts["max_attack_time"]:
        argv += ["--max-attack-time", f"{opts['max_attack_time']:g}"]
    if opts["endpoint"]:
        argv += ["--endpoint", opts["endpoint"]]
    for value in opts["exclude"]:
        argv += ["-x", _under(url, value, where)]
    env = {**target.tool_env(lines), "HOME": str(folder / "home")}
    done = target.run_in(ctx, folder, argv, env, "wapiti", INSTALL, PROGRESS)
    for sub in ("session", "config", "home"):  # its working state (with the headers sent)
        shutil.rmtree(folder / sub, ignore_errors=True)
    output = done.stdout + done.stderr
    (folder / "output.txt").write_text(output)
    target.mask_files(folder, secrets)
    try:
        report = read(report_path)
    except ReportError as exc:
        raise ToolError(f"wapiti exited {done.returncode} and {exc}: nothing was measured",
                        command=done.argv, stderr=_tail(done), fix="read wapiti's output "
                        f"above; check that `python` runs {REQUIREMENTS[0]}") from None
    _require_evidence(report, modules(output), done, url, opts["modules"])
    measurement = _measure(report, url, Waivers(opts["ignore"], date.today(), scope_key="url"))
    measurement.metrics["scan_time"] = round(done.duration, 3)
    measurement.tool = f"wapiti {version}"
    measurement.findings = [Finding(f.path, f.line, f.col, f.code, mask(f.message, secrets),
                                    f.severity) for f in measurement.findings]
    measurement.artifacts.update({"report": str(report_path), "output": str(folder / "output.txt")})
    return measurement


def _under(url: str, value: str, where: str) -> str:
    """An `exclude` entry as the URL wapiti wants; one outside the target is refused."""
    full = url + value if value.startswith("/") else value
    if not (full == url or full.startswith(url + "/")):
        raise ToolError(f"exclude {value!r} is not under the target {url}",
                        fix=f"give paths on the target in `exclude` of {where}")
    return full


def _tail(done: ToolRun) -> str:
    return (done.stderr.strip() + "\n" + done.stdout.strip()[-3000:]).strip()


def _require_evidence(report: Report, log: ModuleLog, done: ToolRun, url: str,
                      wanted: list[str]) -> None:
    def error(what: str, fix: str) -> ToolError:
        return ToolError(what, command=done.argv, stderr=_tail(done), fix=fix)

    if report.target.rstrip("/") != url:
        raise error(f"wapiti's report is about {report.target!r}, not the target {url}",
                    fix="rerun; report it if it persists")
    if report.crawled == 0:
        raise error(f"wapiti crawled nothing at {url}/ (0 URLs): nothing was scanned",
                    fix="check that the application answers there (a 200 with links), "
                        "and that `scope`/`exclude` leave it something to scan")
    finished = [m for m in log.launched if m not in log.cut]
    if not finished:
        why = ("the crawl was cut by max_scan_time and no attack module finished"
               if log.scan_cut else "no attack module ran to its end")
        raise error(f"wapiti scanned nothing: {why} (asked for {', '.join(wanted)})",
                    fix="raise `max_scan_time`/`max_attack_time` or `timeout`, and read "
                        "wapiti's output above")
    missing = [m for m in wanted if m not in log.launched]
    if missing:
        raise error(f"wapiti never ran module(s) {', '.join(missing)}: part of the scan "
                    "was not done", fix="read wapiti's output above (a missing dependency "
                    "of the module?)")
    if log.cut:
        raise error(f"wapiti cut module(s) {', '.join(log.cut)} short at max_attack_time: "
                    "part of the scan was not done",
                    fix="raise `max_attack_time`, or narrow `scope`/`exclude`")


def _measure(report: Report, url: str, waivers: Waivers) -> Measurement:
    counts: dict[str, float] = {"findings": 0, "anomalies": 0, "additionals": 0, "waived": 0}
    findings: list[Finding] = []
    for item in sorted(report.items, key=lambda i: (i.section, i.category, i.path, i.info)):
        metric = {"vulnerabilities": "findings"}.get(item.section, item.section)
        active = lapsed = None
        if metric != "additionals":
            active, lapsed = waivers.match([item.category, item.module],
                                           [item.path, url + item.path])
        message = _message(item)
        counts.setdefault(f"{metric}[{item.category}]", 0)  # a waived one shows its key (0)
        if active is not None:
            counts["waived"] += 1
            message += f"; waived until {active.until}: {active.reason}"
        else:
            counts[metric] += 1
            key = f"{metric}[{item.category}]"
            counts[key] = counts.get(key, 0) + 1
            if lapsed is not None:
                message += f"; waiver expired {lapsed.until}"
        severity = "waived" if active else (
            "info" if metric == "additionals" else item.level.lower() or metric)
        findings.append(Finding(f"{item.method} {item.path}", code=item.category,
                                message=message, severity=severity))
    for waiver in waivers.expired:
        findings.append(Finding("ignore", code=waiver.id, severity="expired",
                                message=f"waiver expired on {waiver.until} and waives nothing "
                                f"(reason was: {waiver.reason}); fix the finding or renew it"))
    notes = [f"stale waiver: ignore {w.describe()} matched no finding; remove it"
             for w in waivers.stale()]
    metrics: dict[str, float] = {**counts, "crawled": report.crawled,
                                 "expired": len(waivers.expired)}
    known: dict[str, Any] = {
        "findings": report.categories["vulnerabilities"],
        "anomalies": report.categories["anomalies"],
        "additionals": report.categories["additionals"],
    }
    return Measurement(metrics, findings, notes=notes, known_keys=known)


def _message(item: Item) -> str:
    text = f"{item.info} ({item.module}"
    text += f", parameter {item.parameter})" if item.parameter else ")"
    if item.curl:
        text += f"; reproduce: {item.curl}"
    return text


CHECK_TYPE = CheckType(
    name="wapiti",
    run=run,
    charted=["findings"],
    install=INSTALL,
    help="Scan the running application with the wapiti DAST scanner (isolated venv): passive "
         "header/cookie/CSP/method checks by default, active attacks on request.",
    metrics=METRICS,
    options=OPTIONS,
    default_conditions=["findings == 0"],
    implied_conditions=["expired == 0"],
    default_timeout=1800.0,
    validate=validate,
    # findings=None: a finding's place is a URL of the running app, not a file of the
    # project, so it goes to the JSON, Markdown and HTML reports, not to SARIF/annotations
)
