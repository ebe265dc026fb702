"""The Chromium a browser check drives: one already on the machine, never a download.

Why hand-written: Playwright finds only the browsers it downloaded itself
(`playwright install`), and CI machines often cannot reach its download hosts
while their package manager offers Chromium. So the gate looks, in this order,
at an explicit `browser_path`, the distributions' names on PATH (Debian's
`chromium`, Ubuntu's `chromium-browser`, Google's `google-chrome`), then the
browsers Playwright installed ($PLAYWRIGHT_BROWSERS_PATH or its cache), and
passes the one found to Playwright as `executable_path`. None found is an error
that names the install commands, never a skipped stage.

The launch flags keep a headless Chromium off the network it was not asked to
use: without them it opens background connections (updates, sync, field
trials) that a closed CI network refuses, many at a time.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from pytest_tower.core.model import ToolError

NAMES_ON_PATH = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LAUNCH_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               "--disable-quic", "--disable-dev-shm-usage")
INSTALL_HINT = ("install Chromium: `sudo apt-get install chromium` (Debian), `sudo apt-get "
                "install chromium-browser` (Ubuntu), `brew install --cask chromium` (macOS), "
                "or `python -m playwright install chromium` where its download hosts are "
                "reachable; or set `browser_path` to a Chromium or Chrome executable")


def playwright_browsers() -> Path:
    """Where `playwright install` puts browsers (its own rule, per platform)."""
    named = os.environ.get("PLAYWRIGHT_BROWSERS_PATH", "").strip()
    if named and named != "0":
        return Path(named).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ms-playwright"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "ms-playwright"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ms-playwright"


def _downloaded() -> list[Path]:
    """Chromium executables Playwright installed, newest build first."""
    found: list[Path] = []
    for build in sorted(playwright_browsers().glob("chromium-*"), reverse=True):
        for relative in ("chrome-linux64/chrome", "chrome-linux/chrome",
                         "chrome-mac/Chromium.app/Contents/MacOS/Chromium",
                         "chrome-win/chrome.exe", "chrome-win64/chrome.exe"):
            if (build / relative).is_file():
                found.append(build / relative)
    return found


def find_chromium(browser_path: str = "", *, root: Path | None = None) -> str:
    """The Chromium to launch, or a ToolError naming what was tried and how to install one."""
    if browser_path:
        path = Path(browser_path).expanduser()
        if not path.is_absolute() and root is not None and os.sep in browser_path:
            path = root / path
        resolved = shutil.which(str(path)) if not path.is_file() else str(path)
        if not resolved or not os.access(resolved, os.X_OK):
            raise ToolError(f"browser_path = {browser_path!r}: no such executable",
                            fix="give the full path of a Chromium or Chrome executable, "
                                "or leave browser_path out to use the one on PATH")
        return resolved
    for name in NAMES_ON_PATH:
        found = shutil.which(name)
        if found:
            return found
    downloaded = _downloaded()
    if downloaded:
        return str(downloaded[0])
    raise ToolError(f"no Chromium found: looked for {', '.join(NAMES_ON_PATH)} on PATH and "
                    f"in Playwright's browsers ({playwright_browsers()})", fix=INSTALL_HINT)
