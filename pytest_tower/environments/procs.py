"""Processes and HTTP on this machine: start in a new session, stop the whole group.

A release runs in its own process group (start_new_session) so that stopping
it — SIGTERM, a grace, then SIGKILL — also stops its workers, and so that a
signal aimed at pytest never reaches it by accident.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from pytest_tower.core.runner import kill_group

# An error-or-worse line in the log formats servers and apps really use. The level
# must stand as a field of its own, so "0 errors" or "ErrorBoundary" is not one.
_LEVEL = r"(?:ERROR|CRITICAL|FATAL|EMERG(?:ENCY)?|ALERT|PANIC)"
_KEY = (r"(?i:level|lvl|severity|levelname|level_name|log\.level|log_level|loglevel"
        r"|severity_?text)")
ERROR_LINE = re.compile("|".join((
    rf"^\s*{_LEVEL}:",                    # logging's default: ERROR:name:message
    r"\[(?:[\w.-]+:)?\s*(?i:error|err|critical|crit|fatal|emerg|alert|panic)\s*\]",
    # gunicorn [ERROR] [CRITICAL], nginx [error], Apache [core:error], structlog [error  ]
    rf"(?:^|[\s|,;:\[\]-]){_LEVEL}(?=[\s|,;:\[\]-]|$)",
    # "2024-.. ERROR name", "- ERROR -", "%(asctime)s:%(levelname)s:..." (…,123:ERROR:app),
    # "ERROR[app] x"
    r"^\s*(?:error|Error|fatal|Fatal|critical|Critical)(?:\[[^\]]*\])?:\s",  # "error: x"
    r"^[EF]\d{4} \d\d:\d\d:\d\d",        # glog: E0101 12:00:00.000 ...
    rf"\b{_KEY}=\"?(?i:error|err|critical|crit|fatal|panic|emerg|alert)\b",
    # logfmt: level=error, log_level=error
    rf'"{_KEY}"\s*:\s*"(?i:error|err|critical|crit|fatal|panic|emerg|alert)"',
    # JSON: "level": "error", "log_level": "ERROR"
    r'"level"\s*:\s*\{[^{}]*"name"\s*:\s*"(?i:error|critical|fatal)"',
    # loguru serialize=True: "record": {"level": {"name": "ERROR", "no": 40}}
    r'"(?i:levelno|level_?no|level_?number)"\s*:\s*(?:[4-9]\d|\d{3,})\b',
    # Python's levelno: ERROR 40, CRITICAL 50
    r'"(?i:level)"\s*:\s*(?:[5-9]\d|\d{3,})\b',  # pino/bunyan: error 50, fatal 60
    r'"(?i:severity_?number)"\s*:\s*(?:1[7-9]|2[0-4])\b',  # OpenTelemetry ERROR..FATAL4
    r"Traceback \(most recent call last\)",
)))
_SYSLOG_PRI = re.compile(r"^<(\d{1,3})>")
"""A syslog/journald priority prefix: severity (PRI % 8) 0-3 is emerg..err."""
_LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free now (bind to 0); the server binds it right after."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def start(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str],
          log_path: Path) -> subprocess.Popen[bytes]:
    """Start argv in its own session, stdout and stderr appended to log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in process group `pgid`, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if fields and fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].split()[0] != "Z"


def has_marker(pid: int, marker: str) -> bool:
    """Whether pid's environment holds our marker: never kill a reused pid."""
    try:
        return marker.encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


def stop_group(pid: int, grace: float, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """SIGTERM the group, wait `grace`, SIGKILL what is left; True when nothing is left."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        if not group_members(pid):
            break
        kill_group(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if proc is not None:
                proc.poll()  # reap the leader so it does not linger as a zombie
            if not group_members(pid):
                break
            time.sleep(0.05)
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=1.0)
    return not group_members(pid)


def probe(url: str, timeout: float = 2.0, *, loopback: bool = True) -> tuple[bool, str]:
    """GET url: (True, "200") when it answers 200, else (False, what happened)."""
    opener = _LOOPBACK if loopback else urllib.request.build_opener()
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status == 200, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"no answer ({reason})"


def fetch(url: str, timeout: float = 2.0, *, loopback: bool = True,
          limit: int = 65536) -> tuple[int, str]:
    """GET url: (HTTP status, the start of the body); (0, what happened) on no answer."""
    opener = _LOOPBACK if loopback else urllib.request.build_opener()
    try:
        with opener.open(url, timeout=timeout) as response:
            return int(response.status), response.read(limit).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), ""
    except (OSError, ValueError) as exc:
        return 0, f"no answer ({getattr(exc, 'reason', exc)})"


def wait_healthy(check: Callable[[], tuple[bool, str]], timeout: float,
                 exited: Callable[[], int | None] = lambda: None) -> tuple[bool, str]:
    """Poll `check` until it passes, the process exits, or timeout: (ok, last result)."""
    deadline = time.monotonic() + timeout
    delay, last = 0.05, "not probed"
    while True:
        code = exited()
        if code is not None:
            return False, f"the process exited with code {code} before it was healthy"
        ok, last = check()
        if ok:
            return True, last
        if time.monotonic() >= deadline:
            return False, f"not healthy within {timeout:g}s (last probe: {last})"
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def read_tail(path: Path, lines: int = 20, start: int = 0) -> str:
    """The log's last lines, led by the exceptions it shows (often scrolled out of them)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(start)
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return "(no log)"
    all_lines = text.rstrip().splitlines()
    last = all_lines[-lines:]
    raised = [line for before, line in itertools.pairwise(all_lines)
              if before.startswith("  ") and line.strip() and not line.startswith(" ")
              and not line.startswith(("Traceback", "During handling", "The above"))]
    missing = [line for line in dict.fromkeys(raised) if line not in last][:5]
    head = ["exceptions raised:", *missing, "last lines:"] if missing else []
    return "\n".join(head + last) or "(empty log)"


def is_error_line(line: str) -> bool:
    """An ERROR/CRITICAL/FATAL record in a common log format, or a traceback's head."""
    if ERROR_LINE.search(line) is not None:
        return True
    pri = _SYSLOG_PRI.match(line)
    return pri is not None and int(pri.group(1)) <= 191 and int(pri.group(1)) % 8 <= 3


def count_errors(path: Path, start: int = 0) -> int:
    """Lines from byte `start` on that show an error or an unhandled exception.

    A file now shorter than `start` was rotated or truncated: it is read whole.
    """
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size >= start:
                fh.seek(start)
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return 0
    return sum(1 for line in text.splitlines() if is_error_line(line))


class Monitor:
    """Probes health every `interval` seconds in a daemon thread while in use."""

    def __init__(self, check: Callable[[], tuple[bool, str]], interval: float = 1.0) -> None:
        self.check = check
        self.interval = interval
        self.consecutive = 0
        self.max_consecutive = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tower-health", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            ok, _ = self.check()
            self.consecutive = 0 if ok else self.consecutive + 1
            self.max_consecutive = max(self.max_consecutive, self.consecutive)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)


@contextlib.contextmanager
def interrupts_raise() -> Iterator[None]:
    """Make SIGTERM raise KeyboardInterrupt here, so a deploy's cleanup runs.

    Python's default for SIGTERM is to die on the spot, leaving a half-started
    release running; signal handlers can only be set from the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
