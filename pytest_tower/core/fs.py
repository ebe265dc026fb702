"""Files shared between processes: atomic writes and the one lock helper.

Atomic writes: a reader sees the old file or the new one, never half of one.
`relative`: the one way a tool's file name is shown to the user.
`locked`: an flock on a lock file, used by the history, the environments'
state and the tool venvs, so two runs (or two xdist workers) never interleave.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class LockTimeout(TimeoutError):
    """The lock was still held after the timeout; `holder` is what its holder wrote."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"{path} is locked by {holder or 'an unknown holder'}")
        self.holder = holder


@contextmanager
def locked(path: Path, *, shared: bool = False, timeout: float | None = None,
           holder: str = "", optional: bool = False) -> Iterator[None]:
    """Hold an flock on `path` (created if missing) for the `with` block.

    `shared` takes a read lock. `timeout` waits at most that long, then raises
    LockTimeout carrying what the holder wrote; None waits as long as it takes.
    `holder` is written into the lock file while held (who to wait for).
    `optional`: a lock file that cannot be created (a read-only copy, which
    nobody writes) means no lock rather than an error.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        if not optional:
            raise
        yield
        return
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        if timeout is None:
            fcntl.flock(fd, mode)
        else:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, mode | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
                        raise LockTimeout(path, text) from None
                    time.sleep(0.1)
        if holder:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{holder}\n".encode(), 0)
        try:
            yield
        finally:
            if holder:
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing releases the lock


# Put into every Markdown/HTML output (and SARIF's log properties) so a later run can
# tell a file pytest-tower wrote from one of the user's (never overwritten).
OUTPUT_MARKER = "<!-- written by pytest-tower -->"


def output_target(path: Path) -> Path:
    """Where writing `path` lands: a symlink is followed (the file it names is replaced,
    the link stays), so no older output survives behind a link. Anything that exists
    and is not a regular file (a device such as /dev/null, a FIFO, a socket) raises
    OSError: renaming over it would destroy it."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target
    if not stat.S_ISREG(st.st_mode):
        kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
                or stat.S_ISBLK(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise OSError(errno.EINVAL, f"{target} is {kind}, not a regular file; "
                                    "pytest-tower writes regular files only")
    return target


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync, then rename over it.

    A symlink is followed (its target is replaced); a path that is not a regular
    file raises OSError. A new file gets 0644 less the umask (as open() would),
    an existing one keeps its mode.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path = output_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mask = os.umask(0o022)
        os.umask(mask)
        mode = 0o644 & ~mask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """The same, for text files (Markdown, SARIF, HTML)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: Path, data: Any) -> None:
    """Strict JSON: a NaN or infinity raises ValueError instead of writing `NaN`."""
    write_text_atomic(path, json.dumps(data, indent=2, allow_nan=False) + "\n")


def relative(path: str | Path, root: Path) -> str:
    """`path` as findings show it: POSIX, relative to `root` when it lies under it.

    A relative path is taken as relative to root already; one outside root
    stays absolute. A symlinked root (a tmp dir) is compared resolved too.
    """
    p = Path(os.path.normpath(path))
    if not p.is_absolute():
        return p.as_posix()
    if p.is_relative_to(root):
        return p.relative_to(root).as_posix()
    real, base = p.resolve(), root.resolve()
    return real.relative_to(base).as_posix() if real.is_relative_to(base) else p.as_posix()
