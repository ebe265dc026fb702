"""The system Chromium driven by Playwright: load a page, keep every console
message, uncaught exception and failed load, query the DOM, take a screenshot.

Playwright's events, not `--dump-dom`: console errors and blocked loads (a
Content-Security-Policy violation) arrive as events, not as log text to grep.
The browser is the machine's (pytest_tower.checks.browser), never a download.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import TracebackType
from typing import Any

from playwright.sync_api import ConsoleMessage, Error, Playwright, sync_playwright

from pytest_tower.checks.browser import LAUNCH_ARGS, find_chromium
from pytest_tower.core.model import ToolError


def chromium_path() -> str | None:
    try:
        return find_chromium()
    except ToolError:
        return None


class Page:
    """One browser with one page; use as a context manager."""

    def __init__(self, exe: str) -> None:
        self.exe = exe
        self.problems: list[str] = []

    def __enter__(self) -> Page:
        self._playwright: Playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=self.exe, args=list(LAUNCH_ARGS))
            self._page = self._browser.new_page(viewport={"width": 1200, "height": 900})
        except BaseException:
            self._playwright.stop()
            raise
        self._page.on("console", self._console)
        self._page.on("pageerror", lambda exc: self.problems.append(f"exception: {exc}"))
        self._page.on("requestfailed", lambda request: self.problems.append(
            f"failed load: {request.url} ({request.failure})"))
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self._browser.close()
        finally:
            self._playwright.stop()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning", "assert"):
            self.problems.append(f"console.{message.type}: {message.text}")

    def open(self, path: Path) -> None:
        """Navigate and wait for the load event; problems seen on the way are kept."""
        self._page.goto(path.resolve().as_uri(), wait_until="load")
        self.evaluate("1")  # a round trip: events queued before it have been delivered

    def evaluate(self, expression: str) -> Any:
        try:
            return self._page.evaluate(expression)
        except Error as exc:
            raise AssertionError(f"page script failed: {exc.message}") from None

    def screenshot(self, target: Path) -> Path:
        self._page.screenshot(path=str(target), full_page=True)
        return target


def keep_artifact(path: Path) -> None:
    """Copy a screenshot where CI collects artifacts, when it says where."""
    folder = os.environ.get("TOWER_ARTIFACTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, Path(folder) / path.name)
