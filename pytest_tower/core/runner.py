"""Run an external tool fail-closed: argv (no shell), timeout, captured output.

The one tool runner of pytest-tower (and `kill_group`, the one process-group
killer): a check that wants live output passes `on_line` rather than
running its own subprocess.

Every way a tool can fail to give evidence — not installed, not executable,
killed by a signal, hung past the timeout, an exit code outside the ones it
documents — becomes a ToolError naming the command, the tail of stderr and a
fix. Parsing stdout is the check type's job; it raises ToolError too.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_tower.core.model import ToolError

TAIL_LINES = 20
_GRACE_SECONDS = 2.0


@dataclass(frozen=True)
class ToolRun:
    """A finished tool run whose exit code was one of the expected ones."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    duration: float


def format_command(argv: Sequence[str]) -> str:
    return shlex.join(str(a) for a in argv)


def tail(text: str, lines: int = TAIL_LINES) -> list[str]:
    return text.rstrip().splitlines()[-lines:]


def find_executable(name: str, cwd: Path) -> str | None:
    """Where `name` is: a path as given, else beside this interpreter, else on PATH.

    The interpreter's own scripts folder comes first: the tools installed with
    pytest-tower (and pinned by it) are there, and a `ruff` that happens to be
    earlier on PATH (pipx, /usr/local/bin, a project's ./bin) must not stand in
    for them. An explicit path (`executable = "tools/ruff"`) is used as given.
    """
    if os.sep in name or (os.altsep and os.altsep in name):
        path = Path(name) if Path(name).is_absolute() else cwd / name
        return str(path) if path.exists() else None
    for folder in dict.fromkeys((sysconfig.get_path("scripts"), str(Path(sys.executable).parent))):
        found = shutil.which(name, path=folder)
        if found:
            return found
    return shutil.which(name)


class ToolGroup:
    """Tools run at once from worker threads (`ctx.run(..., group=group)`).

    Leaving the `with` block stops every one still running: when the caller
    stops waiting for them (an interrupt, an error found in another answer), no
    worker thread is left waiting on a tool that nobody will read, and no tool
    outlives the check.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._closed = False

    def __enter__(self) -> ToolGroup:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._closed = True
            left = list(self._running)
        for proc in left:
            kill_group(proc.pid)

    def _started(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            if not self._closed:
                self._running.add(proc)
                return
        kill_group(proc.pid)  # started after the group was left: stopped at once

    def _ended(self, proc: subprocess.Popen[bytes]) -> None:
        with self._lock:
            self._running.discard(proc)


def run_tool(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    ok_codes: Sequence[int] = (0,),
    tool: str = "",
    fix: str = "",
    group: ToolGroup | None = None,
    timeout_label: str = "",
    env: Mapping[str, str | None] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> ToolRun:
    """Run argv and return its output, or raise ToolError saying why not.

    `on_line` gets each stdout line as it comes (live progress); stdout is
    still returned whole.
    """
    argv = [str(a) for a in argv]
    tool = tool or Path(argv[0]).name
    executable = find_executable(argv[0], cwd)
    if executable is None:
        raise ToolError(
            f"{tool} is not installed: {argv[0]!r} was not found beside "
            f"{sys.executable} nor on PATH",
            command=argv,
            fix=fix or f"install {tool} into the environment pytest runs in",
        )
    argv = [executable, *argv[1:]]
    if timeout <= 0:
        raise ToolError(f"{tool} was not started: the check's timeout was already used up",
                        command=argv, fix="raise timeout in the check's table in gates.toml")
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=None if env is None else _environ(env),
            start_new_session=True,  # so a timeout kills the tool's children too
        )
    except OSError as exc:
        raise ToolError(f"{tool} could not be started: {exc}", command=argv,
                        fix=fix or f"reinstall {tool}") from None
    if group is not None:
        group._started(proc)
    try:
        if on_line is None:
            try:
                out, err = proc.communicate(timeout=timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                out, err = _kill(proc)
                timed_out = True
            except BaseException:
                _kill(proc)
                raise
        else:
            out, err, timed_out = _communicate_lines(proc, timeout, on_line)
    finally:
        if group is not None:
            group._ended(proc)
    if timed_out:
        raise ToolError(
            f"{tool} timed out after {timeout_label or f'{timeout:g}s'} and was stopped",
            command=argv,
            stderr=err.decode("utf-8", "replace"),
            fix="raise `timeout` in the check's table in gates.toml, or find why the tool hangs",
        )
    duration = time.monotonic() - started
    stdout = out.decode("utf-8", "replace")
    stderr = err.decode("utf-8", "replace")
    if proc.returncode < 0:
        raise ToolError(
            f"{tool} was killed by signal {_signal_name(-proc.returncode)}",
            command=argv,
            stderr=stderr,
            fix="see why the process was killed (out of memory? another process?) and rerun",
        )
    if proc.returncode not in ok_codes:
        expected = ", ".join(str(c) for c in ok_codes)
        raise ToolError(
            f"{tool} exited with code {proc.returncode}, which is not a result "
            f"(expected {expected}): it crashed or was used wrongly",
            command=argv,
            stderr=stderr or stdout,
            fix=fix or "read the tool's message above",
        )
    return ToolRun(argv, proc.returncode, stdout, stderr, duration)


def git_output(args: Sequence[str], cwd: Path) -> str | None:
    """The stripped stdout of a quick `git` query; None when git is missing, fails or hangs."""
    try:
        out = run_tool(["git", *args], cwd=cwd, timeout=5.0, tool="git").stdout.strip()
    except ToolError:
        return None
    return out or None


def _environ(changes: Mapping[str, str | None]) -> dict[str, str]:
    """os.environ with `changes` applied; a value of None removes the variable."""
    merged = {**os.environ, **{k: v for k, v in changes.items() if v is not None}}
    for key in [k for k, v in changes.items() if v is None]:
        merged.pop(key, None)
    return merged


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal the process group `pid` leads: the one process-group killer.

    A group that is gone already, or not ours to signal, is no error.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _kill(proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """Stop the tool's whole process group: SIGTERM, then SIGKILL after a grace."""
    for sig, wait in ((signal.SIGTERM, _GRACE_SECONDS), (signal.SIGKILL, _GRACE_SECONDS)):
        kill_group(proc.pid, sig)
        try:
            return proc.communicate(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    return b"", b""


def _communicate_lines(proc: subprocess.Popen[bytes], timeout: float,
                       on_line: Callable[[str], None]) -> tuple[bytes, bytes, bool]:
    """communicate() that hands each stdout line to `on_line`: (out, err, timed out).

    Past the timeout the group is killed, which ends stdout. The group is also
    killed once the leader is done: leftover children (locust's workers) go too.
    """
    assert proc.stdout is not None and proc.stderr is not None
    stderr = proc.stderr
    err: list[bytes] = []
    reader = threading.Thread(target=lambda: err.append(stderr.read()), daemon=True)
    reader.start()
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        kill_group(proc.pid)

    timer = threading.Timer(timeout, expire)
    timer.start()
    out: list[bytes] = []
    try:
        for raw in proc.stdout:
            out.append(raw)
            on_line(raw.decode("utf-8", "replace").rstrip("\n"))
        proc.wait()
    except BaseException:
        kill_group(proc.pid)
        proc.wait()
        raise
    finally:
        timer.cancel()
        kill_group(proc.pid)
        reader.join(_GRACE_SECONDS)
    return b"".join(out), b"".join(err), fired.is_set()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)
