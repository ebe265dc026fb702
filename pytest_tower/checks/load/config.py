"""What a `[stage.load]` table may say, and the checks made when gates.toml is read.

Kept apart from `locust.py` (which runs the tool) so the metrics and options
read as one list. Resource conditions (cpu, cpu_mean, rss) need a process to
sample; a target with none is a config error before anything runs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pytest_tower.core.conditions import ConditionError, parse_condition
from pytest_tower.core.model import BYTES, MILLISECONDS, PERCENT, MetricSpec, Option

RESOURCES = ("cpu", "cpu_mean", "rss")


def _http_metric(name: str, unit: str, help: str) -> MetricSpec:
    return MetricSpec(name, unit, help + "; name[GET /tasks] is one request name",
                      keyed=True, key_default=None)


METRICS = [
    _http_metric("requests", "", "requests made"),
    _http_metric("failures", "", "failed requests"),
    _http_metric("failure_ratio", PERCENT, "failed requests, % of requests"),
    _http_metric("rps", "", "requests per second over the run"),
    *(_http_metric(p, MILLISECONDS, f"{p[1:]}th percentile response time")
      for p in ("p50", "p90", "p95", "p99")),
    _http_metric("max", MILLISECONDS, "slowest response time"),
    _http_metric("avg", MILLISECONDS, "mean response time"),
    MetricSpec("exceptions", help="exceptions raised by the locustfile's tasks"),
    MetricSpec("aborted", help="1 when an abort_on_fail condition ended the run early"),
    MetricSpec("cpu", PERCENT, "peak CPU of the target's process tree, % of one core"),
    MetricSpec("cpu_mean", PERCENT, "mean CPU of the target's process tree, % of one core"),
    MetricSpec("rss", BYTES, "peak resident memory of the target's process tree"),
]

OPTIONS = {
    "host": Option("str", "base URL of the target (else the environment's URL, else the "
                   "locustfile's host)", default=""),
    "locustfile": Option("str", "the locustfile, relative to gates.toml",
                         default="locustfile.py"),
    "users": Option("int", "concurrent users", default=10),
    "spawn_rate": Option("number", "users started per second", default=10.0),
    "duration": Option("duration", "how long the load runs", default=30.0),
    "workers": Option("int", "local locust worker processes; 0 = one process", default=0),
    "remote_workers": Option("int", "workers on other machines to wait for", default=0),
    "master_bind": Option("str", "HOST:PORT the locust master listens on for workers",
                          default="127.0.0.1:0"),
    "abort_on_fail": Option("str_list", "conditions checked during the run; one that "
                            "breaks ends it early", default=[]),
    "abort_after": Option("duration", "abort_on_fail is checked from this moment on",
                          default=1.0),
    "pid_file": Option("str", "file holding the target's pid, to sample cpu/rss", default=""),
    "python": Option("str", "an interpreter that has locust (default: pytest-tower's own "
                     "isolated venv under .tower/tools)", default=""),
    # Common keys declared again only so that validate() sees them: the core
    # passes validate() the check type's own options (see the module docstring).
}


def abort_spec(expr: str) -> dict[str, Any]:
    """An abort_on_fail condition as the runner evaluates it (threshold in metric units)."""
    cond = parse_condition(expr, METRICS)
    return {"expr": cond.expr, "metric_id": cond.metric_id, "op": cond.op,
            "threshold": cond.threshold, "unit": cond.unit}


def resource_conditions(options: Mapping[str, Any]) -> list[str]:
    """The conditions (also warn, abort_on_fail) that need the target's processes."""
    exprs = [*options.get("conditions", ()), *options.get("warn", ()),
             *options.get("abort_on_fail", ())]
    return [e for e in exprs if _metric_of(e) in RESOURCES]


def no_process_reason(options: Mapping[str, Any]) -> str:
    """Why cpu/rss cannot be measured for this target (for the config error)."""
    where = options["host"] or "the locustfile's host"
    remote = "" if is_local(options["host"]) else f"{where} is not on this machine, so "
    return (f"{', '.join(map(repr, resource_conditions(options)))}: cpu, cpu_mean and rss are "
            f"the target's own processes, sampled during the load; {remote}pytest-tower has "
            "no process to sample — remove these conditions, or for an app running here set "
            "pid_file = \"<its pid file>\" (gunicorn --pid FILE) or use a local environment")


def validate(options: Mapping[str, Any]) -> None:
    for key in ("users", "spawn_rate", "duration"):
        if options[key] <= 0:
            raise ValueError(f"{key} must be more than 0, got {options[key]}")
    for key in ("workers", "remote_workers"):
        if options[key] < 0:
            raise ValueError(f"{key} must be 0 or more, got {options[key]}")
    host, _, port = options["master_bind"].rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"master_bind must be HOST:PORT such as \"127.0.0.1:0\", "
                         f"got {options['master_bind']!r}")
    try:
        for expr in options["abort_on_fail"]:
            abort_spec(expr)
    except ConditionError as exc:
        raise ValueError(f"abort_on_fail: {exc}") from None
    # An environment's pid is only known once it is deployed: checked again at run time.
    if resource_conditions(options) and not options["pid_file"]:
        if options.get("environment_strategy") == "command":
            raise ValueError(
                f"{', '.join(map(repr, resource_conditions(options)))}: cpu, cpu_mean and rss "
                f"are the target's own processes, and environment {options['environment']!r} "
                "is deployed by commands to a place pytest-tower cannot see — remove these "
                "conditions, or set pid_file for an app running on this machine")
        if not options.get("environment"):
            raise ValueError(no_process_reason(options))


def _metric_of(expr: str) -> str:
    try:
        return parse_condition(expr, METRICS).metric
    except ConditionError:
        return ""


def is_local(host: str) -> bool:
    name = urlsplit(host).hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
