"""Load gate: a real headless locust run, judged on locust's own exact numbers.

Locust never runs in the pytest process (it monkey-patches it with gevent),
and is not even installed there: its auto-loaded pytest plugin would add
`--host/-H` and `session`/`fastsession` fixtures to every ordinary pytest run
of the user (see `_toolenv`). The check runs `locust_runner.py` with the
interpreter of an isolated tool venv (or `python = ...`), reads its live
progress lines and, at the end, its result JSON: per-endpoint and total stats
taken from locust's stats objects, the same numbers locust's own final CSV
(written beside it) shows.

Scale out: `workers = N` starts a locust master and N local `locust --worker`
processes (locust's own protocol). For more load than one machine makes, bind
the master where other machines reach it and wait for them:

    master_bind = "0.0.0.0:5557"
    remote_workers = 4
    # on each other machine, with the same locustfile:
    #   locust -f locustfile.py --worker --master-host <gate machine> --master-port 5557

Resources (`cpu`, `cpu_mean`, `rss`) are the target's process tree sampled
during the load (in the runner, with psutil, which locust depends on); they
need its pid: `pid_file`, or the pid of a local environment's deployment. A
remote target has none, so conditions on them are an error that says why.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest_tower.checks.toolenv as _toolenv
from pytest_tower.checks.load.config import (
    METRICS,
    OPTIONS,
    abort_spec,
    no_process_reason,
    resource_conditions,
    validate,
)
from pytest_tower.core.model import CheckContext, CheckType, Finding, Measurement, ToolError
from pytest_tower.core.names import table_label
from pytest_tower.core.runner import find_executable, run_tool
from pytest_tower.core.units import format_value

REQUIREMENTS = ("locust>=2.47,<3", "psutil")
RUNNER = Path(__file__).resolve().parent / "runner" / "locust_runner.py"  # alone in its folder
PROGRESS = "@tower "
MARGIN = 60.0  # seconds beyond `duration`: start-up, workers connecting, final reports
CONNECTION = ("refused", "ConnectionError", "NewConnectionError", "Failed to establish",
              "NameResolution", "Name or service not known", "RemoteDisconnected")


def run(ctx: CheckContext) -> Measurement:
    opts = ctx.options
    locustfile = ctx.root / opts["locustfile"]
    if not locustfile.is_file():
        raise ToolError(f"no locustfile at {locustfile}",
                        fix=f"fix `locustfile` in {table_label(ctx.check_id)}")
    env = getattr(ctx, "environment", None)  # deployments.EnvView, if any
    host = opts["host"] or (env.url if env is not None else "")
    pid = _target_pid(ctx, env)
    if pid is None and resource_conditions(opts):
        raise ToolError(no_process_reason({**opts, "host": host}))
    python, version = _interpreter(ctx)
    if host:
        _reachable(host)
    ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
    result_path = ctx.artifacts_dir / "locust-result.json"
    result_path.unlink(missing_ok=True)
    spec = {
        "locustfile": str(locustfile), "host": host, "users": opts["users"],
        "spawn_rate": opts["spawn_rate"], "duration": opts["duration"],
        "workers": opts["workers"], "remote_workers": opts["remote_workers"],
        "master_bind": opts["master_bind"], "abort_after": opts["abort_after"],
        "abort_on_fail": [abort_spec(expr) for expr in opts["abort_on_fail"]],
        "pid": pid, "result": str(result_path),
        "csv_prefix": str(ctx.artifacts_dir / "locust"),
    }
    spec_path = ctx.artifacts_dir / "locust-spec.json"
    spec_path.write_text(json.dumps(spec, indent=1))
    argv = [python, str(RUNNER), str(spec_path)]
    code, stderr, other = _stream(ctx, argv, opts["duration"])
    if not result_path.exists():
        raise ToolError(f"locust exited with code {code} without a result",
                        command=argv, stderr=stderr or other,
                        fix="read locust's messages above")
    try:
        result = json.loads(result_path.read_text(encoding="utf-8"))
        if result["error"]:
            raise ToolError(str(result["error"]), command=argv, stderr=stderr,
                            fix="fix the locustfile or the options named above")
        _require_evidence(result, host, argv, stderr)
        return _measure(result, f"locust {version}", ctx.artifacts_dir)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise ToolError(f"the locust runner wrote a result this gate cannot read ({exc!r}): "
                        "nothing was measured", command=argv, stderr=stderr,
                        fix=f"check that `python` runs locust {REQUIREMENTS[0]}") from None


def _interpreter(ctx: CheckContext) -> tuple[str, str]:
    """(python, locust version): the user's `python`, else our isolated tool venv."""
    fix = f"pip install '{REQUIREMENTS[0]}' into that interpreter's environment"
    python = ctx.options["python"]
    if python:
        found = find_executable(python, ctx.root)
        if found is None:
            raise ToolError(f"python = {python!r}: no such interpreter", fix=fix)
        python = found
    else:
        python = str(_toolenv.tool_python(ctx, "locust", REQUIREMENTS))
        fix = "delete .tower/tools/locust-* and rerun, or set `python`"
    return python, _toolenv.installed_version(ctx, python, "locust", fix)


def _target_pid(ctx: CheckContext, env: Any) -> int | None:
    """The pid whose process tree is sampled: pid_file, else a local deployment's pid."""
    pid = env.deployment.get("pid") if env is not None else None
    where = f"environment {env.name!r}" if env is not None else ""
    if ctx.options["pid_file"]:
        path = ctx.root / ctx.options["pid_file"]
        where = f"pid_file {path}"
        try:
            pid = int(path.read_text().strip())
        except (OSError, ValueError) as exc:
            raise ToolError(f"cannot read the target's pid from {path}: {exc}",
                            fix="start the app so it writes its pid there "
                                "(gunicorn --pid FILE), or fix `pid_file`") from None
    if pid and not Path(f"/proc/{pid}").exists():
        raise ToolError(f"the target's process {pid} ({where}) is not running",
                        fix="start the app before the load check, or fix `pid_file`")
    return int(pid) if pid else None


def _reachable(host: str) -> None:
    url = urlsplit(host)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname or "", port), timeout=5).close()
    except OSError as exc:
        raise ToolError(f"the target {host} cannot be reached: {exc}",
                        fix="start the app (or deploy the environment) before the load "
                            "check, or fix `host`") from None


def _stream(ctx: CheckContext, argv: list[str], duration: float) -> tuple[int, str, str]:
    """Run the runner, relay its progress lines; the group dies past duration + margin.

    Returns (exit code, stderr, the last other stdout lines); stderr is kept as
    the artifact locust-stderr.txt as well.
    """
    left = ctx.deadline - time.monotonic() if ctx.deadline else ctx.timeout
    budget = min(left, duration + MARGIN)
    stderr_path = ctx.artifacts_dir / "locust-stderr.txt"
    other: list[str] = []

    def on_line(line: str) -> None:
        if line.startswith(PROGRESS):
            ctx.progress(_progress(json.loads(line[len(PROGRESS):])))
        else:
            other.append(line)

    try:
        run = run_tool(argv, cwd=ctx.root, timeout=budget, ok_codes=range(256), tool="locust",
                       timeout_label=f"{budget:g}s (duration {duration:g}s + start-up)",
                       fix="raise `timeout`, or find why locust hangs (its messages above)",
                       on_line=on_line)
    except ToolError as exc:
        stderr_path.write_text(exc.stderr)
        raise
    stderr_path.write_text(run.stderr)
    return run.returncode, run.stderr, "\n".join(other[-20:])


def _progress(p: dict[str, Any]) -> str:
    return (f"load {p['elapsed']:.0f}/{p['duration']:.0f}s users {p['users']} "
            f"rps {p['rps']:.0f} failures {p['failures']} p95 {p['p95']:.0f}ms")


def _require_evidence(result: dict[str, Any], host: str, argv: list[str], stderr: str) -> None:
    """Zero requests, or only connection failures, measure nothing: error, not a verdict."""
    total = result["total"]
    exceptions = "; ".join(f"{x['message']} (x{x['count']})" for x in result["exceptions"])
    if not total["requests"]:
        raise ToolError(
            f"locust made no requests in {result['elapsed']:g}s"
            + (f": the locustfile raised {exceptions}" if exceptions else ""),
            command=argv, stderr=stderr,
            fix="give the User class tasks that make requests (@task), and check `users`")
    errors = result["errors"]
    if total["failures"] == total["requests"] and errors and all(
            any(s in e["error"] for s in CONNECTION) for e in errors):
        raise ToolError(
            f"every request failed to connect to {host or 'the target'}: "
            + "; ".join(f"{e['request']}: {e['error'][:200]}" for e in errors[:3]),
            command=argv, stderr=stderr, fix="start the target, or fix `host`")


def _measure(result: dict[str, Any], tool: str, folder: Path) -> Measurement:
    metrics: dict[str, float] = {k: v for k, v in result["total"].items()}
    for key, values in result["endpoints"].items():
        metrics.update({f"{name}[{key}]": v for name, v in values.items()})
    metrics["exceptions"] = sum(x["count"] for x in result["exceptions"])
    metrics["aborted"] = 1 if result["aborted_at"] is not None else 0
    for name, value in (result["resources"] or {}).items():
        if value is not None:
            metrics[name] = value
    findings = [Finding(e["request"], code="failure", message=f"{e['error']} (x{e['count']})")
                for e in result["errors"]]
    findings += [Finding("locustfile", code="exception",
                         message=f"{x['message']} (x{x['count']})") for x in result["exceptions"]]
    notes = []
    if result["aborted_at"] is not None:
        by = result["aborted_by"]
        measured = format_value(by["actual"], by["unit"])
        notes.append(f"aborted at {by['at']:g}s of {result['duration']:g}s: abort_on_fail "
                     f"{by['expr']} did not hold (measured {measured})")
    if metrics["failures"] == metrics["requests"]:
        notes.append("every request failed: check `host` and the paths the locustfile requests")
    if result["workers"]:
        notes.append("requests per locust worker: " + ", ".join(
            f"{w}={n}" for w, n in sorted(result["workers"].items())))
    artifacts = {"result": str(folder / "locust-result.json"),
                 "stats_csv": str(folder / "locust_stats.csv")}
    return Measurement(metrics, findings, tool=tool, artifacts=artifacts, notes=notes)


CHECK_TYPE = CheckType(
    name="load",
    run=run,
    charted=["p95", "rps"],
    help="Load-test with locust (headless, isolated venv): exact percentiles, abort_on_fail, "
         "target CPU/RSS, locust master/workers.",
    metrics=METRICS,
    options=OPTIONS,
    default_conditions=["failure_ratio < 1%"],
    implied_conditions=["aborted == 0", "exceptions == 0"],
    default_timeout=3600.0,
    validate=validate,
)
