"""The embedded default strategy: each release is a venv and a process on 127.0.0.1.

Blue-green on one machine: the new release starts on a fresh port beside the
old one; only when it answers its health check does state.json switch to it
and the old process get stopped. Until then the previous release serves, so
a failed or interrupted deploy leaves it untouched.

Long because deploy, health, the blue-green switch, rollback and stop of a local
process are one state machine over state.json; processes are procs.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from pytest_tower.core.env_spec import EnvironmentSpec
from pytest_tower.core.model import ToolError
from pytest_tower.core.runner import find_executable
from pytest_tower.environments.base import Environment, artifact_facts, elapsed
from pytest_tower.environments.install import install_release, resolve_command
from pytest_tower.environments.model import DeployError, Deployment
from pytest_tower.environments.procs import (
    alive,
    count_errors,
    free_port,
    has_marker,
    interrupts_raise,
    probe,
    read_tail,
    start,
    stop_group,
    wait_healthy,
)
from pytest_tower.environments.state import DEPLOYED, FAILED, actor, now, run_label

INSTALL_TIMEOUT = 300.0


class _Unhealthy(Exception):
    """A started release did not become healthy; message says why, with its log."""


class LocalEnvironment(Environment):
    def __init__(self, spec: EnvironmentSpec, root: Path, state_dir: Path) -> None:
        super().__init__(spec, root, state_dir)
        self._procs: dict[int, subprocess.Popen[bytes]] = {}
        self._logs: dict[Path, int] = {}  # log file -> where this run's part of it begins
        self._url = ""

    # -- deploy -------------------------------------------------------------
    def deploy(self, artifact: Path) -> Deployment:
        artifact = Path(artifact).resolve()
        if not artifact.is_file() or artifact.suffix != ".whl":
            raise DeployError(f"{self.name}: cannot deploy {artifact}: not a wheel file")
        with self.lock(), interrupts_raise():
            began = time.monotonic()
            release, number = self.state.new_release()
            folder = self.folder / "releases" / str(number)
            entry: dict[str, Any] = {"release": release, "status": DEPLOYED, "started": now(),
                                     "dir": str(folder), **artifact_facts(artifact),
                                     "log_path": str(folder / "app.log"), "pid": None,
                                     "port": None, "url": "", "confirmed": True,
                                     "by": actor(), "run": run_label()}
            previous = self.state.entry(self.state.load().get("current"))
            try:
                step = time.monotonic()
                install_release(artifact, folder / "venv", self.options["install"],
                                INSTALL_TIMEOUT)
                self.timings["install"] = elapsed(step)
                self._launch(entry)
            except BaseException as exc:
                self._forget(entry)
                self.state.record({**entry, "status": FAILED, "pid": None,
                                   "reason": _short(exc)}, current=False)
                if not isinstance(exc, Exception):
                    raise  # KeyboardInterrupt, SystemExit: cleaned up, now let it through
                message = (f"{self.name}: deploy of {release} failed: {exc}\n"
                           + self._recover(previous))
            else:
                self.state.record(entry, current=True)
                if previous is not None:
                    self._halt(previous)
                self._prune()
                self.timings["deploy"] = elapsed(began)
                self._watch()
                return self._deployment(entry)
        raise DeployError(message)

    def _launch(self, entry: dict[str, Any]) -> None:
        """Start a release's command on a free port and wait until it is healthy."""
        folder = Path(entry["dir"])
        bin_dir = folder / "venv" / "bin"
        if not (bin_dir / "python").exists():
            raise _Unhealthy(f"release folder {folder} is gone or incomplete (no venv)")
        port = free_port(self.options["host"])
        fill = {"{port}": str(port), "{host}": self.options["host"],
                "{release_dir}": str(folder), "{state}": str(self.folder)}
        argv = [_fill(a, fill) for a in self.options["command"]]
        exe = resolve_command(argv[0], bin_dir, self.options["install"]) or find_executable(
            argv[0], self.root)
        if exe is None:
            raise _Unhealthy(f"{argv[0]!r} is neither in the release's venv nor on PATH")
        foreign = foreign_python(exe, bin_dir)
        if foreign:
            raise _Unhealthy(
                f"the command runs {exe}, a Python program of {foreign}, not of the release's "
                f"venv ({bin_dir.parent}): it would import the app from there, not from the "
                f"deployed wheel. Name it bare ({Path(exe).name}, or python -m ...) so the "
                "release's own interpreter runs it")
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
               "VIRTUAL_ENV": str(folder / "venv"),
               # a print() to a log file is block-buffered: app_errors would miss it
               "PYTHONUNBUFFERED": "1",
               "TOWER_RELEASE": self._marker(entry).partition("=")[2],
               **{k: _fill(v, fill) for k, v in self.options["env"].items()}}
        env.pop("PYTHONHOME", None)
        if "PYTHONPATH" not in self.options["env"]:
            env.pop("PYTHONPATH", None)  # the checkout's code must not stand in for the wheel's
        log = Path(entry["log_path"])
        offset = log.stat().st_size if log.exists() else 0
        extra = log_files(argv, [_fill(f, fill) for f in self.options["log_files"]], folder)
        step = time.monotonic()
        proc = start([exe, *argv[1:]], cwd=folder, env=env, log_path=log)
        self._procs[proc.pid] = proc
        url = f"http://{_url_host(self.options['host'])}:{port}"
        entry.update(pid=proc.pid, port=port, url=url, started=now())
        for path in (log, *extra):
            self._logs.setdefault(path, offset if path == log else _size(path))
        self.timings["start"] = elapsed(step)
        step = time.monotonic()
        ok, why = wait_healthy(lambda: probe(url + self.options["health"]),
                               self.options["health_timeout"], proc.poll)
        self.timings["health"] = elapsed(step)
        if not ok:
            raise _Unhealthy(f"{why}\n{entry['release']} log ({log}):\n"
                             + _indent(read_tail(log, start=offset)))
        unseen = [str(p) for p in extra if not p.is_file()]
        if unseen:
            raise _Unhealthy(
                f"the release is healthy but never created its log file {', '.join(unseen)}: "
                "app_errors counts the errors logged there, and would count none. Fix "
                "`log_files` (paths are relative to the release folder; {release_dir} and "
                "{state} are filled in) or the app's logging configuration")
        self._url = url

    def _recover(self, previous: dict[str, Any] | None) -> str:
        """After a failed deploy: say what serves now, restoring the verified one if needed."""
        if previous is not None and self._serving(previous):
            return (f"The previous release {previous['release']} ({previous['status']}) was "
                    f"never replaced and keeps serving at {previous['url']}.")
        verified = self.state.entry(self.state.load().get("verified"))
        if self.options["on_failure"] == "keep" or verified is None:
            why = ('on_failure = "keep"' if verified is not None else "no verified release")
            return f"NOTHING IS SERVING in {self.name}: no previous release runs ({why})."
        try:
            self._launch(verified)
        except (_Unhealthy, ToolError, OSError) as exc:
            self._forget(verified)
            return (f"ROLLBACK FAILED: {self.name} could not restart the verified release "
                    f"{verified['release']}: {exc}\nNOTHING IS SERVING in {self.name}.")
        self.state.set_current(verified["release"], pid=verified["pid"],
                               port=verified["port"], url=verified["url"])
        self._watch()
        return (f"{self.name} is back on the verified release {verified['release']} "
                f"at {verified['url']}.")

    # -- rollback -----------------------------------------------------------
    def _roll_back(self, current: dict[str, Any], target: dict[str, Any], reason: str) -> bool:
        try:
            self._launch(target)
        except (_Unhealthy, ToolError, OSError) as exc:
            self._forget(target)
            raise self._cannot_roll_back(current, reason, str(exc), target) from None
        self.state.set_current(target["release"], pid=target["pid"], port=target["port"],
                               url=target["url"])
        self._halt(current)
        self._watch()
        return True

    def _still_serving(self, current: dict[str, Any]) -> str:
        return f"The failed release {current['release']} is STILL SERVING at {current['url']}."

    # -- processes ----------------------------------------------------------
    def stop(self) -> None:
        """Stop every process this run started; raise if one survives."""
        super().stop()
        left = [pid for pid in list(self._procs) if not self._stop_pid(pid)]
        if left:
            raise DeployError(f"{self.name}: processes {left} did not stop (even on SIGKILL)")

    def metrics(self) -> dict[str, float]:
        errors = sum(count_errors(log, offset) for log, offset in self._logs.items())
        return {**super().metrics(), "app_errors": float(errors)}

    def _probe(self) -> tuple[bool, str]:
        return probe(self._url + self.options["health"]) if self._url else (False, "no url")

    def _serving(self, entry: dict[str, Any]) -> bool:
        pid = entry.get("pid")
        return isinstance(pid, int) and pid > 0 and alive(pid) and has_marker(
            pid, self._marker(entry))

    def _not_serving(self, entry: dict[str, Any]) -> str:
        if self._serving(entry):
            return ""
        return f"its process ({entry.get('pid')}) is no longer running"

    def _halt(self, entry: dict[str, Any]) -> None:
        """Stop a release's process if it is (still) ours to stop."""
        pid = entry.get("pid")
        if pid and (pid in self._procs or self._serving(entry)):
            self._stop_pid(pid)

    def _forget(self, entry: dict[str, Any]) -> None:
        if entry.get("pid"):
            self._stop_pid(entry["pid"])
        entry.update(pid=None, port=None, url="")

    def _stop_pid(self, pid: int) -> bool:
        stopped = stop_group(pid, self.options["stop_timeout"], self._procs.get(pid))
        if stopped:
            self._procs.pop(pid, None)
        return stopped

    def _marker(self, entry: dict[str, Any]) -> str:
        return f"TOWER_RELEASE={self.folder}/{entry['release']}"

    def _prune(self) -> None:
        """Keep the newest keep_releases folders, and always current and verified."""
        data = self.state.load()
        keep = {Path(e["dir"]).name for e in data["history"]
                if e["release"] in (data.get("current"), data.get("verified"))}
        releases = self.folder / "releases"
        numbered = sorted((p for p in releases.iterdir() if p.name.isdigit()),
                          key=lambda p: int(p.name))
        for folder in numbered[:-self.options["keep_releases"]]:
            if folder.name not in keep:
                shutil.rmtree(folder, ignore_errors=True)


# Server options that send the app's error log to a file instead of stdout/stderr.
_LOG_FLAGS = ("--error-logfile", "--error-log", "--log-file")


def log_files(argv: list[str], configured: list[str], cwd: Path) -> list[Path]:
    """Files besides stdout/stderr where the app logs: `log_files`, and the error log
    file a gunicorn-style command line names (`--error-logfile FILE`, not "-")."""
    found = list(configured)
    for i, arg in enumerate(argv):
        flag, eq, value = arg.partition("=")
        if flag in _LOG_FLAGS:
            value = value if eq else (argv[i + 1] if i + 1 < len(argv) else "-")
            if value not in ("-", ""):
                found.append(value)
    return list(dict.fromkeys(cwd / f for f in found))


_PYTHON = re.compile(r"python[0-9.]*")


def foreign_python(exe: str, bin_dir: Path) -> str:
    """The interpreter `exe` runs if it is a Python outside the release venv, else "".

    A dev venv's gunicorn (`.venv/bin/gunicorn`) or `/usr/bin/python3 -m ...`
    would serve whatever copy of the app that Python sees.
    """
    path = Path(exe)
    if path.parent.resolve() == bin_dir.resolve():
        return ""
    if _PYTHON.fullmatch(path.name):
        return str(path)
    try:
        with open(path, "rb") as fh:
            first = fh.readline(300).decode("utf-8", "replace")
    except OSError:
        return ""
    words = first[2:].split() if first.startswith("#!") else []
    if not words or words[0].endswith("/env"):
        return ""  # no shebang, or `env python3`: found on PATH, the release's bin first
    interpreter = Path(words[0])
    inside = interpreter.parent.resolve() == bin_dir.resolve()
    return "" if inside or not _PYTHON.fullmatch(interpreter.name) else str(interpreter)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def _url_host(host: str) -> str:
    # Compares, never binds: an app bound to every interface is reached on loopback.
    wildcard = host in ("0.0.0.0", "")  # nosec B104
    return "127.0.0.1" if wildcard else (f"[{host}]" if ":" in host else host)


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
