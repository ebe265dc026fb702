"""Dependency audit gate: one pip-audit run, read from a fresh JSON report.

Traps defended: an unreachable service makes pip-audit skip every
package and still exit 0 "No known vulnerabilities found" — skipped packages
are counted (`unaudited == 0` is implied) and named with pip-audit's reason.
A crash exits 1 like "vulnerabilities found" and leaves an older `-o` file —
the report goes to a fresh temporary path; no report is an error. Offline
(`advisory_db`), a loopback OSV server answers pip-audit, and every package
reported as audited must have been asked about there; a database with no
advisory for any PyPI package is an error, and the report notes how many
records it held, how many for PyPI, and how many had no `affected`.

Local packages: one installed from a local directory (PEP 610 `dir_info`,
e.g. the project itself, editable) is on no index, so the PyPI service skips
it as "not found": counted as `local`, not `unaudited` — only when the
audited environment's metadata says so, since an unreachable service says
"not found" for every package. With `requirements`, every skip is unaudited.
Waivers (`ignore`) are applied here, not by `--ignore-vuln`, so they stay listed.

Long because each trap above is its own check of pip-audit's report; the offline
database is osv.py, waivers are checks/waivers.py.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import sysconfig
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import date
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as metadata_version
from pathlib import Path
from typing import Any

import pytest_tower.checks.pins as _pins
import pytest_tower.checks.waivers as waivers
from pytest_tower.checks.distributions import canonical_name, read_environment
from pytest_tower.checks.waivers import Waivers
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
from pytest_tower.core.runner import ToolRun

INSTALL = _pins.install_hint("pip-audit") + " (pytest-tower installs it), or set executable"
LOCAL_SKIPS = ("Dependency not found on PyPI", "distribution marked as editable")
def run(ctx: CheckContext) -> Measurement:
    opts = ctx.options
    fix = f"fix {table_label(ctx.check_id)} in gates.toml"
    argv = [opts["executable"], "--format", "json", "--progress-spinner", "off",
            "--aliases", "on", "--desc", "off"]
    env: dict[str, str] = {}
    python = None
    if opts["requirements"]:
        for req in opts["requirements"]:
            if not (ctx.root / req).is_file():
                raise ToolError(f"requirements file {req!r} not found under {ctx.root}", fix=fix)
            argv += ["--requirement", req]
        if opts["no_deps"]:
            argv += ["--no-deps", "--disable-pip"]
    else:
        python = _python(ctx, fix)
        env["PIPAPI_PYTHON_LOCATION"] = python
    if opts["service"]:
        argv += ["--vulnerability-service", opts["service"]]
    if opts["osv_url"]:
        argv += ["--vulnerability-service", "osv", "--osv-url", opts["osv_url"]]
    with ExitStack() as stack, ThreadPoolExecutor(1) as pool:
        version = pool.submit(_version, ctx, opts["executable"])
        server = None
        if opts["advisory_db"]:
            server = stack.enter_context(_offline(ctx, opts["advisory_db"], fix))
            argv += ["--vulnerability-service", "osv", "--osv-url", server.url]
        out = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "pip-audit.json"
        try:
            result = ctx.run([*argv, "--output", str(out)], ok_codes=(0, 1), tool="pip-audit",
                             fix=INSTALL, env=env)
        finally:
            _check_database(server, fix + ": point `advisory_db` at a directory or zip of OSV "
                            "records for PyPI (OSV's export: https://osv-vulnerabilities."
                            "storage.googleapis.com/PyPI/all.zip)")
        deps = _dependencies(_read(out, result), result)
        if server is not None:
            _check_served(deps, server.queries, result)
        ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out, ctx.artifacts_dir / "pip-audit.json")
        tool = version.result()
        source = server.wait(0).describe() if server is not None else ""
    local = _local(ctx, python, deps) if python else {}
    measurement = _measure(deps, Waivers(opts["ignore"], date.today()), local)
    if not measurement.metrics["packages"] and not measurement.metrics["unaudited"]:
        raise ToolError(f"pip-audit audited no package: all {len(deps)} were skipped as local "
                        "packages that are on no index; nothing was checked",
                        command=result.argv, fix="audit an environment or requirements that "
                        "hold your dependencies (`python`, `requirements`)")
    if source:
        measurement.notes.append(source)
    measurement.tool = tool
    measurement.artifacts["pip-audit"] = str(ctx.artifacts_dir / "pip-audit.json")
    return measurement


def _python(ctx: CheckContext, fix: str) -> str:
    if not ctx.options["python"]:
        return sys.executable
    path = Path(ctx.options["python"])
    path = path if path.is_absolute() else ctx.root / path
    if not path.exists():
        raise ToolError(f"python {ctx.options['python']!r} not found: cannot audit the "
                        "environment it belongs to", fix=fix)
    return str(path)


def _offline(ctx: CheckContext, db_path: str, fix: str) -> Any:
    """A loopback OSV server; the database loads while pip-audit starts up."""
    from pytest_tower.checks.pip_audit.osv import (
        serve,  # via sys.modules: the AdvisoryError caught below
    )

    path = Path(db_path) if Path(db_path).is_absolute() else ctx.root / db_path
    if not path.exists():
        raise ToolError(f"advisory database unusable: {path}: no such file or directory",
                        fix=fix)
    return serve(path)


def _check_database(server: Any, fix: str) -> None:
    """A database that did not load explains a pip-audit crash better than its traceback."""
    from pytest_tower.checks.pip_audit.osv import LOAD_TIMEOUT, AdvisoryError

    try:
        server and server.wait(LOAD_TIMEOUT)
    except AdvisoryError as exc:
        raise ToolError(f"advisory database unusable: {exc}", fix=fix) from None


def _read(out: Path, result: ToolRun) -> Any:
    """pip-audit's JSON report, only if this run wrote it; a crash writes none."""
    if not out.exists():
        raise ToolError(f"pip-audit exited {result.returncode} without writing its JSON "
                        "report: it crashed (unreachable service? bad input?)",
                        command=result.argv, stderr=result.stderr or result.stdout,
                        fix="read pip-audit's message above")
    try:
        return json.loads(out.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ToolError("pip-audit wrote a report that is not its JSON format: "
                        + repr(out.read_text(errors="replace")[:200]), command=result.argv,
                        stderr=result.stderr, fix=INSTALL) from None


def _dependencies(report: Any, result: ToolRun) -> list[dict[str, Any]]:
    deps = report.get("dependencies") if isinstance(report, dict) else None
    if not isinstance(deps, list):
        deps = None
    well_formed = deps is not None and all(
        isinstance(d, dict) and isinstance(d.get("name"), str)
        and (isinstance(d.get("skip_reason"), str) or (
            isinstance(d.get("version"), str) and isinstance(d.get("vulns"), list)
            and all(isinstance(v, dict) and isinstance(v.get("id"), str) for v in d["vulns"])))
        for d in deps
    )
    if deps is None or not well_formed:
        raise ToolError("pip-audit's JSON report does not have the expected shape "
                        "(dependencies with name and version/vulns or skip_reason): "
                        + repr(str(report)[:200]), command=result.argv, fix=INSTALL)
    found = sum(len(d.get("vulns") or []) for d in deps)
    if (result.returncode == 1) != (found > 0):
        raise ToolError(f"pip-audit exited {result.returncode} but its report lists {found} "
                        "vulnerabilities: the run and its report disagree",
                        command=result.argv, stderr=result.stderr, fix=INSTALL)
    if not deps:
        raise ToolError("pip-audit found no packages to audit: nothing was checked",
                        command=result.argv, stderr=result.stderr,
                        fix="check `requirements`/`python`: they name an empty set")
    return deps


def _check_served(deps: list[dict[str, Any]], queries: list[tuple[str, str]], result: ToolRun
                  ) -> None:
    asked = set(queries)
    unasked = [f"{d['name']} {d['version']}" for d in deps if "skip_reason" not in d
               and (canonical_name(d["name"]), d["version"]) not in asked]
    if unasked:
        raise ToolError("pip-audit reported packages as audited without asking the advisory "
                        "database: " + ", ".join(unasked), command=result.argv,
                        stderr=result.stderr, fix=INSTALL)


def _local(ctx: CheckContext, python: str, deps: list[dict[str, Any]]) -> dict[str, str]:
    """Skipped packages the audited environment installed from a local directory."""
    skipped = {d["name"] for d in deps if str(d.get("skip_reason", "")).startswith(LOCAL_SKIPS)}
    if not skipped:
        return {}
    env = read_environment(ctx, python)
    found = {d.key: d.local_url for d in env.distributions if d.local_url}
    return {name: found[canonical_name(name)] for name in skipped
            if canonical_name(name) in found}


def _measure(deps: list[dict[str, Any]], waivers: Waivers, local: dict[str, str]
             ) -> Measurement:
    findings: list[Finding] = []
    notes: list[str] = []
    counts = dict.fromkeys(("vulnerabilities", "fixable", "waived", "unaudited"), 0)
    for dep in sorted(deps, key=lambda d: d["name"]):
        name = dep["name"]
        if "skip_reason" in dep:
            if name in local:
                notes.append(f"{name}: local package ({local[name]}), not on an index: "
                             f"not audited ({dep['skip_reason']})")
            else:
                counts["unaudited"] += 1
                findings.append(Finding(path=name, code="UNAUDITED",
                                        message=f"not audited: {dep['skip_reason']}"))
            continue
        for vuln in dep["vulns"]:
            aliases = sorted(set(vuln.get("aliases") or []) - {vuln["id"]})
            waiver, lapsed = waivers.match([vuln["id"], *aliases])
            fixes = vuln.get("fix_versions") or []
            message = f"{name} {dep['version']}: " + (
                f"fixed in {', '.join(fixes)}" if fixes else "no fix version")
            if aliases:
                message += "; aliases " + ", ".join(aliases)
            if waiver is not None:
                counts["waived"] += 1
                message += f"; waived until {waiver.until}: {waiver.reason}"
            else:
                counts["vulnerabilities"] += 1
                counts["fixable"] += bool(fixes)
                if lapsed is not None:
                    message += f"; waiver expired {lapsed.until}"
            findings.append(Finding(path=name, code=vuln["id"], message=message,
                                    severity="waived" if waiver is not None else ""))
    for waiver in waivers.expired:
        findings.append(Finding(path="ignore", code=waiver.id, severity="expired",
                                message=f"waiver expired on {waiver.until} and waives nothing "
                                f"(reason was: {waiver.reason}); fix the dependency or renew "
                                "the waiver with a new date"))
    for waiver in waivers.stale():
        text = (f"stale waiver: ignore {waiver.id} (until {waiver.until}) matched no "
                "vulnerability; remove it")
        notes.append(text)
        findings.append(Finding(path="ignore", code=waiver.id, severity="stale", message=text))
    metrics: dict[str, float] = {
        **counts,
        "packages": sum(1 for d in deps if "skip_reason" not in d),
        "local": len(local),
        "expired": len(waivers.expired),
    }
    return Measurement(metrics, findings, notes=notes)


def _version(ctx: CheckContext, exe: str) -> str:
    """pip-audit's version, in the range pytest-tower supports: from this environment's
    metadata when it is its script (saves a 0.8 s start), else from --version."""
    from pytest_tower.core.runner import find_executable

    found = find_executable(exe, ctx.root)
    if found and Path(found).parent == Path(sysconfig.get_path("scripts")):
        with contextlib.suppress(PackageNotFoundError):
            return _pins.check("pip-audit", "pip-audit",
                               f"pip-audit {metadata_version('pip-audit')}", executable=found)
    run = ctx.run([exe, "--version"], tool="pip-audit", fix=INSTALL)
    return _pins.check("pip-audit", "pip-audit", run.stdout, command=run.argv,
                       executable=run.argv[0])


def validate(options: Any) -> None:
    """Reject contradictory sources and malformed waivers when gates.toml is read."""
    if options["requirements"] and options["python"]:
        raise ValueError("give either `requirements` or `python`, not both: they name "
                         "different things to audit")
    if options["no_deps"] and not options["requirements"]:
        raise ValueError("`no_deps` applies to `requirements` only")
    online = [k for k in ("advisory_db", "osv_url") if options[k]]
    if len(online) > 1 or (online and options["service"]):
        raise ValueError("give only one of `advisory_db`, `osv_url` and `service`: "
                         "each chooses where advisories come from")
    waivers.validate(options["ignore"])


CHECK_TYPE = CheckType(
    name="pip-audit",
    run=run,
    charted=["vulnerabilities"],
    install=INSTALL,
    validate=validate,
    help="Audit dependencies for known vulnerabilities with pip-audit, online or offline.",
    metrics=[
        MetricSpec("vulnerabilities", help="known vulnerabilities not waived"),
        MetricSpec("packages", help="packages pip-audit audited"),
        MetricSpec("fixable", help="unwaived vulnerabilities with a fix version"),
        MetricSpec("waived", help="vulnerabilities waived by an active `ignore` entry"),
        MetricSpec("unaudited", help="packages pip-audit skipped (not looked up)"),
        MetricSpec("local", help="packages installed from a local directory, on no index"),
        MetricSpec("expired", help="`ignore` entries past their `until` date"),
    ],
    options={
        "requirements": Option("str_list", "requirements files to audit instead of an "
                               "environment", default=[]),
        "python": Option("str", "the interpreter of the environment to audit (default: "
                         "the one pytest runs in)", default=""),
        "no_deps": Option("bool", "requirements are exact pins: audit them as written, "
                          "without resolving or installing (--no-deps --disable-pip)",
                          default=False),
        "advisory_db": Option("str", "offline: a directory or zip of OSV JSON records",
                              default=""),
        "osv_url": Option("str", "query this OSV API URL (with -s osv)", default=""),
        "service": Option("str", "pip-audit's vulnerability service", default="",
                          choices=("pypi", "osv")),
        "ignore": Option("table_list", "waivers: { id, reason, until = 2027-03-31 }",
                         default=[]),
        "executable": Option("str", "the pip-audit binary to run", default="pip-audit"),
    },
    default_conditions=["vulnerabilities == 0"],
    implied_conditions=["unaudited == 0", "expired == 0"],
    default_timeout=300.0,
)
