"""The URL of a running Task Tower, for the tests that talk to one over HTTP
(tests/integration: the API; tests/ui: the page, in a browser).

Under `pytest --tower` the gate provides the URL of the environment it
deployed (`TOWER_BASE_URL`, or its own `tower_base_url` fixture). Stand-alone,
this fallback starts gunicorn on a free loopback port with a temporary
database for the session, so the same tests run anywhere. (The unit tests
never ask for it: they call the WSGI app directly.)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole group (master and workers), SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def tower_base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("TOWER_BASE_URL")
    if url:
        yield url.rstrip("/")
        return
    workdir = tmp_path_factory.mktemp("tasktower")
    log_path = workdir / "gunicorn.log"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "gunicorn", "--no-control-socket"]
    argv += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"]
    argv += ["tasktower.app:app"]
    env = {**os.environ, "TASKTOWER_DB": str(workdir / "tasktower.db")}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:]
                pytest.fail(f"gunicorn never became healthy at {url}:\n{tail}", pytrace=False)
            time.sleep(0.1)
        yield url
    finally:
        _stop(process)
