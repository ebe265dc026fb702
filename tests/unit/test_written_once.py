"""The helpers written once: the lock, the path shown for a file, the tool runner."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from pytest_tower.core.fs import LockTimeout, locked, relative
from pytest_tower.core.model import ToolError
from pytest_tower.core.runner import run_tool


def test_a_held_lock_times_out_naming_its_holder(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    with locked(lock, holder="pid 1 since noon"):
        started = time.monotonic()
        with pytest.raises(LockTimeout) as held, locked(lock, timeout=0.2):
            pass
        assert held.value.holder == "pid 1 since noon"
        assert time.monotonic() - started >= 0.2
    with locked(lock, timeout=0.2):  # released: taken at once, the holder note cleared
        assert lock.read_text() == ""


def test_shared_locks_coexist_and_a_read_only_folder_reads_unlocked(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    with (locked(lock, shared=True), locked(lock, shared=True, timeout=0.2),
          pytest.raises(LockTimeout), locked(lock, timeout=0.2)):
        pass
    with locked(tmp_path / "missing" / "lock", shared=True, optional=True):
        pass
    with pytest.raises(OSError), locked(tmp_path / "missing" / "lock"):
        pass


@pytest.mark.parametrize(("path", "shown"), [
    ("/p/src/a.py", "src/a.py"),
    ("/p/src/../b.py", "b.py"),
    ("./src/a.py", "src/a.py"),
    ("/elsewhere/a.py", "/elsewhere/a.py"),
])
def test_relative(path: str, shown: str) -> None:
    assert relative(path, Path("/p")) == shown


def test_relative_sees_through_a_symlinked_root(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert relative(tmp_path / "real" / "a.py", tmp_path / "link") == "a.py"


def test_run_tool_hands_over_lines_as_they_come(tmp_path: Path) -> None:
    """The child prints "two" only once the caller has seen "one" (it makes a file):
    had run_tool held the lines until the child ended, the child would say "late"."""
    seen: list[str] = []
    heard = tmp_path / "heard-one"
    script = ("import pathlib, sys, time\nprint('one', flush=True)\n"
              f"flag = pathlib.Path({str(heard)!r})\n"
              "deadline = time.monotonic() + 20\n"
              "while not flag.exists() and time.monotonic() < deadline:\n"
              "    time.sleep(0.02)\n"
              "print('two' if flag.exists() else 'late')\nprint('oops', file=sys.stderr)\n")

    def on_line(line: str) -> None:
        seen.append(line)
        heard.touch()

    run = run_tool([sys.executable, "-c", script], cwd=tmp_path, timeout=30, on_line=on_line)
    assert seen == ["one", "two"]
    assert run.stdout == "one\ntwo\n" and run.stderr == "oops\n"


def test_run_tool_with_lines_kills_the_group_past_the_timeout(tmp_path: Path) -> None:
    script = "import subprocess, sys, time\nprint('started', flush=True)\n" \
             "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n" \
             "time.sleep(60)\n"
    started = time.monotonic()
    with pytest.raises(ToolError) as timed_out:
        run_tool([sys.executable, "-c", script], cwd=tmp_path, timeout=1.0, tool="slow",
                 timeout_label="1s (test)", on_line=lambda line: None)
    assert "slow timed out after 1s (test) and was stopped" in str(timed_out.value)
    assert time.monotonic() - started < 20  # the grandchild held no pipe open past the kill


def test_leaving_a_tool_group_stops_the_tools_its_threads_still_wait_on(tmp_path: Path) -> None:
    """Tools run at once (the ruff check) are stopped when the caller stops waiting, so
    an interrupt never waits for a worker thread stuck on a tool nobody will read."""
    from concurrent.futures import ThreadPoolExecutor

    from pytest_tower.core.runner import ToolGroup

    flag = tmp_path / "started"
    script = f"import pathlib, time\npathlib.Path({str(flag)!r}).touch()\ntime.sleep(60)\n"
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as pool:
        with ToolGroup() as group:
            slow = pool.submit(run_tool, [sys.executable, "-c", script], cwd=tmp_path,
                               timeout=120, tool="slow", group=group)
            while not flag.exists():
                time.sleep(0.01)
        with pytest.raises(ToolError, match="slow was killed by signal SIGKILL"):
            slow.result()
    assert time.monotonic() - began < 30
