"""Run one locust load test as a library, in its own process, and write exact results.

Started by the `load` check as `<tool python> locust_runner.py SPEC.json`,
with the interpreter of an isolated environment that has locust (never the
pytest process: `import locust` monkey-patches everything with gevent). It
imports nothing from pytest_tower, so it runs where pytest-tower is not
installed. Why a library run and not the CLI: `--json` has no percentiles,
the CSV lags the final numbers and zero requests exit 0; here the
numbers come from locust's own stats objects once the run has stopped.

stdout: one `@tower {json}` progress line per second (other lines are the
locustfile's own prints). The result JSON is written to spec["result"] at the
end; locust's own final CSVs (`<csv_prefix>_stats.csv`, `_failures.csv`,
`_exceptions.csv`) are written beside it from the same stats objects.

Long because it must stand alone (it imports nothing from pytest_tower): spec,
workers, abort rules, resource sampling and the result are one script.
"""

from __future__ import annotations

import csv
import json
import operator
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

PROGRESS = "@tower "
PERCENTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
       "==": operator.eq, "!=": operator.ne}
WORKER_WAIT = 60.0
# locust, gevent and psutil ship no type information: their objects are typed Any here
# (the environment, runner and stats rows), as is the spec JSON the load check writes.
Spec = dict[str, Any]


class RunError(Exception):
    """Locust could not run the test; the message says why (goes into the result)."""


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    result: dict[str, Any] = {"error": None}
    try:
        result.update(run(spec))
    except RunError as exc:
        result["error"] = str(exc)
    except Exception:
        traceback.print_exc()
        last = traceback.format_exc().strip().splitlines()[-1]
        result["error"] = f"locust crashed: {last}"
    tmp = Path(spec["result"] + ".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(spec["result"])
    return 0 if result["error"] is None else 3


def run(spec: Spec) -> dict[str, Any]:
    import gevent  # importing gevent patches nothing; `import locust` patches everything
    import locust
    from locust.env import Environment
    from locust.log import setup_logging
    from locust.util.load_locustfile import load_locustfile

    setup_logging("WARNING")
    try:
        user_classes, _shapes = load_locustfile(os.path.abspath(spec["locustfile"]))
    except (Exception, SystemExit):
        traceback.print_exc()
        raise RunError(f"the locustfile {spec['locustfile']} failed to import: "
                       + traceback.format_exc().strip().splitlines()[-1]) from None
    if not user_classes:
        raise RunError(f"the locustfile {spec['locustfile']} defines no User class "
                       "(a non-abstract subclass of locust's User/HttpUser)")
    env = Environment(user_classes=list(user_classes.values()), host=spec["host"] or None,
                      locustfile=spec["locustfile"])
    workers: list[subprocess.Popen[bytes]] = []
    try:
        per_worker: dict[str, int] = {}
        if spec["workers"] or spec["remote_workers"]:
            host, port = spec["master_bind"].rsplit(":", 1)
            runner = env.create_master_runner(host, int(port))
            env.events.worker_report.add_listener(
                lambda client_id, data: per_worker.__setitem__(
                    client_id, per_worker.get(client_id, 0) + _reported(data)))
            workers += _start_workers(spec, runner.server.port)
            _wait_for_workers(runner, spec["workers"] + spec["remote_workers"], workers)
        else:
            runner = env.create_local_runner()
        sampler = _sampler(spec["pid"]) if spec["pid"] else None
        started = time.monotonic()
        gevent.spawn(runner.start, spec["users"], spec["spawn_rate"])
        if sampler:
            gevent.spawn(sampler.loop)
        aborted = _drive(spec, env, runner, started, sampler, workers)
        runner.quit()
        elapsed = time.monotonic() - started
        if sampler:
            sampler.sample()
        _stop_workers(workers)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    if env.stats.total.num_requests:
        _write_csvs(env, spec["csv_prefix"])
    return {
        "locust": locust.__version__,
        "duration": spec["duration"],
        "elapsed": round(elapsed, 3),
        "aborted_at": aborted and aborted["at"],
        "aborted_by": aborted,
        "total": _entry(env.stats.total),
        "endpoints": {_key(e.method, e.name): _entry(e) for e in env.stats.entries.values()},
        "errors": [{"request": _key(e.method, e.name), "error": str(e.error),
                    "count": e.occurrences} for e in env.stats.errors.values()],
        "exceptions": [{"message": x["msg"], "count": x["count"], "traceback": x["traceback"]}
                       for x in runner.exceptions.values()],
        "workers": per_worker,
        "resources": sampler.summary() if sampler else None,
    }


def _drive(spec: Spec, env: Any, runner: Any, started: float, sampler: Sampler | None,
           workers: list[subprocess.Popen[bytes]]) -> dict[str, Any] | None:
    """Report progress each second, abort when an abort_on_fail condition broke."""
    import gevent

    duration = spec["duration"]
    last, seen = started, 0
    while True:
        gevent.sleep(min(1.0, max(0.0, duration - (time.monotonic() - started))))
        now = time.monotonic()
        elapsed, total = now - started, env.stats.total
        p95 = (total.get_current_response_time_percentile(0.95)
               or (total.num_requests and total.get_response_time_percentile(0.95)) or 0)
        _emit({"elapsed": round(elapsed, 2), "duration": duration, "users": runner.user_count,
               "rps": round((total.num_requests - seen) / max(now - last, 1e-3), 2),
               "requests": total.num_requests, "failures": total.num_failures, "p95": p95})
        last, seen = now, total.num_requests
        dead = [w for w in workers if w.poll() is not None]
        if dead:
            raise RunError(f"a locust worker process exited with code {dead[0].returncode} "
                           "during the run (its messages are above)")
        if elapsed >= spec["abort_after"] and total.num_requests:
            metrics = _live_metrics(env, sampler)
            for cond in spec["abort_on_fail"]:
                actual = metrics.get(cond["metric_id"])
                if actual is not None and not OPS[cond["op"]](actual, cond["threshold"]):
                    return {"at": round(elapsed, 3), "expr": cond["expr"], "actual": actual,
                            "unit": cond["unit"]}
        if elapsed >= duration:
            return None


def _live_metrics(env: Any, sampler: Sampler | None) -> dict[str, float]:
    metrics = {name: value for name, value in _entry(env.stats.total).items()}
    for entry in env.stats.entries.values():
        key = _key(entry.method, entry.name)
        metrics.update({f"{n}[{key}]": v for n, v in _entry(entry).items()})
    if sampler:
        metrics.update({k: v for k, v in sampler.summary().items() if v is not None})
    return metrics


def _entry(e: Any) -> dict[str, float]:
    """One stats row in the gate's units (ms, %), from locust's own properties."""
    values: dict[str, float] = {"requests": e.num_requests, "failures": e.num_failures,
              "failure_ratio": e.fail_ratio * 100, "rps": e.total_rps,
              "max": e.max_response_time, "avg": e.avg_response_time}
    if e.num_requests:
        values.update({n: e.get_response_time_percentile(p) for n, p in PERCENTILES.items()})
    return values


def _key(method: str | None, name: str) -> str:
    """`METHOD name`, unless the name already starts with its method ("GET /tasks")."""
    if not method or name.startswith(f"{method} "):
        return name
    return f"{method} {name}"


def _reported(data: dict[str, Any]) -> int:
    return int((data.get("stats_total") or {}).get("num_requests", 0))


def _emit(progress: dict[str, Any]) -> None:
    sys.stdout.write(PROGRESS + json.dumps(progress) + "\n")
    sys.stdout.flush()


def _start_workers(spec: Spec, port: int) -> list[subprocess.Popen[bytes]]:
    argv = [sys.executable, "-m", "locust", "-f", spec["locustfile"], "--worker",
            "--master-host", "127.0.0.1", "--master-port", str(port), "--loglevel", "WARNING"]
    if spec["host"]:
        argv += ["--host", spec["host"]]
    return [subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            for _ in range(spec["workers"])]


def _wait_for_workers(runner: Any, expected: int,
                      workers: list[subprocess.Popen[bytes]]) -> None:
    import gevent

    deadline = time.monotonic() + WORKER_WAIT
    while len(runner.clients.ready) < expected:
        dead = [w for w in workers if w.poll() is not None]
        if dead:
            raise RunError(f"a locust worker exited with code {dead[0].returncode} before "
                           "the test started (its messages are above)")
        if time.monotonic() > deadline:
            raise RunError(f"only {len(runner.clients.ready)} of {expected} locust workers "
                           f"connected within {WORKER_WAIT:g}s")
        gevent.sleep(0.1)


def _stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _write_csvs(env: Any, prefix: str) -> None:
    from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

    writer = StatsCSV(env, PERCENTILES_TO_REPORT)
    for suffix, write in (("stats", writer.requests_csv), ("failures", writer.failures_csv),
                          ("exceptions", writer.exceptions_csv)):
        with open(f"{prefix}_{suffix}.csv", "w", newline="") as handle:
            write(csv.writer(handle))


def _sampler(pid: int) -> Sampler:
    import psutil

    try:
        return Sampler(pid)
    except psutil.Error as exc:
        raise RunError(f"cannot sample the target's resources: process {pid}: {exc}") from None


MIN_WINDOW = 0.5  # seconds: a shorter sample window joins the one before it


class Sampler:
    """CPU and RSS of a process and all its descendants (e.g. gunicorn and its workers).

    cpu is the busiest second as % of one core; cpu_mean is CPU time over wall
    time for the whole run; rss is the peak of the tree's summed resident memory.
    """

    def __init__(self, pid: int) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.high: float | None = None  # the tree's CPU seconds at the last sample
        self.cpu_peak = 0.0
        self.rss_peak = 0
        self.samples = 0
        self.first = self.last = time.monotonic()
        self.cpu_total = 0.0
        self.prev: tuple[float, float] | None = None  # the last window: (CPU s, wall s)
        self.sample()

    def sample(self) -> None:
        import psutil

        now = time.monotonic()
        total = 0.0
        rss = 0
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return
        # The tree's CPU so far: each live member's own time plus what its reaped
        # children used (cutime/cstime). A worker that lived and died between two
        # samples (gunicorn --max-requests) is counted through its parent, and one
        # first seen counts whole: a busy core never reads as idle.
        for proc in procs:
            try:
                with proc.oneshot():
                    cpu = proc.cpu_times()
                    total += (cpu.user + cpu.system + getattr(cpu, "children_user", 0.0)
                              + getattr(cpu, "children_system", 0.0))
                    rss += proc.memory_info().rss
            except psutil.Error:
                continue
        # High-water mark: an exited child not yet reaped drops out for a moment,
        # and its time must not count twice when its parent's cutime takes it over.
        high = total if self.high is None else self.high
        busy = max(0.0, total - high)
        self.high = max(high, total)
        if self.samples:
            self.cpu_total += busy
            window = now - self.last
            if window < MIN_WINDOW and self.prev is not None:
                # a sample close behind another (the last one, after the load): CPU
                # time moves in clock ticks, so a short window reads far above what
                # the cores can give; it counts with the window before it
                busy, window = busy + self.prev[0], window + self.prev[1]
            self.cpu_peak = max(self.cpu_peak, 100 * busy / max(window, 1e-3))
            self.prev = (busy, window)
        self.rss_peak = max(self.rss_peak, rss)
        self.samples += 1
        self.last = now

    def loop(self) -> None:
        import gevent

        while True:
            gevent.sleep(1.0)
            self.sample()

    def summary(self) -> dict[str, float | None]:
        if self.samples < 2:
            return {"cpu": None, "cpu_mean": None, "rss": self.rss_peak or None}
        wall = max(self.last - self.first, 1e-3)
        return {"cpu": self.cpu_peak, "cpu_mean": 100 * self.cpu_total / wall,
                "rss": self.rss_peak}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
