"""Headless Chromium driven over the DevTools protocol: load a page, collect every
console message, exception and log error, query the DOM, take a screenshot.

CDP rather than `--dump-dom`: it reports console errors and blocked loads
(a Content-Security-Policy violation) as events, not as log text to grep.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--remote-debugging-port=0", "--window-size=1200,900"]
START_TIMEOUT = 60.0  # seconds for the browser to open its DevTools port


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Page:
    """One browser with one tab; use as a context manager."""

    def __init__(self, exe: str) -> None:
        self.exe = exe
        self.profile = tempfile.mkdtemp(prefix="tower-chromium-")
        self.problems: list[str] = []
        self._ids = itertools.count(1)

    def __enter__(self) -> Page:
        import websocket

        self.proc = subprocess.Popen([self.exe, *FLAGS, f"--user-data-dir={self.profile}",
                                      "about:blank"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        port = self._port()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as resp:
            targets = json.load(resp)
        url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(url, timeout=60, suppress_origin=True)
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)

    def open(self, path: Path) -> None:
        """Navigate and wait for the load event; problems seen on the way are kept."""
        self.call("Page.navigate", url=path.resolve().as_uri())
        self._until(lambda m: m.get("method") == "Page.loadEventFired")
        self.evaluate("1")  # a round trip: events queued before it have been read

    def evaluate(self, expression: str) -> Any:
        reply = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in reply:
            raise AssertionError(f"page script failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def screenshot(self, target: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        target.write_bytes(base64.b64decode(data["data"]))
        return target

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        reply = self._until(lambda m: m.get("id") == ident)
        if "error" in reply:
            raise AssertionError(f"{method} failed: {reply['error']}")
        return reply.get("result", {})

    def _until(self, wanted: Any) -> dict[str, Any]:
        while True:
            message = json.loads(self.ws.recv())
            self._note(message)
            if wanted(message):
                return message

    def _note(self, m: dict[str, Any]) -> None:
        method, params = m.get("method"), m.get("params", {})
        if method == "Runtime.exceptionThrown":
            self.problems.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in (
                "error", "warning", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            self.problems.append(f"console.{params['type']}: {args}")
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            self.problems.append(f"log {params['entry']['level']}: {params['entry']['text']}")

    def _port(self) -> int:
        marker = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode} at start")
            time.sleep(0.1)
        raise RuntimeError(f"chromium did not open its DevTools port in {START_TIMEOUT}s")


def keep_artifact(path: Path) -> None:
    """Copy a screenshot where CI collects artifacts, when it says where."""
    folder = os.environ.get("TOWER_ARTIFACTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, Path(folder) / path.name)
