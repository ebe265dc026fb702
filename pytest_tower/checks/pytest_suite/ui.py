"""A UI test stage: a `tests` check with `browser` set runs the project's
pytest-playwright tests in a browser already on the machine, against the
stage's target (its `environment` or `base_url`).

pytest-playwright (0.10) does the browser work, so nothing here is
hand-written but the glue: it launches one browser per session (so one per
xdist worker), opens a context and page per test, resolves `page.goto("/")`
against its `base_url` fixture (its own `--base-url` option, or
pytest-base-url's, which takes the same option), and for a failing test
keeps a screenshot and a trace under `--output/<slug of the test id>/`
(`test-failed-1.png`, `trace.zip`, `video.webm`), named on the test's
teardown report as `playwright_<kind>` user properties. The gate adds the
browser (checks/browser.py: found, never downloaded), makes pytest-playwright
launch it (child_plugin.BrowserLauncher), and asks for evidence: a UI stage
in which no passing test ran in that browser proves nothing about the UI
(tests that skip without Playwright, or that never ask for `page`).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest_tower.checks.pytest_suite.results as results
from pytest_tower.checks.browser import find_chromium, playwright_browsers
from pytest_tower.checks.pins import install_hint
from pytest_tower.checks.pytest_suite.child_plugin import BROWSER_PATH_ENV
from pytest_tower.core.model import CheckContext, MetricSpec, Option, ToolError
from pytest_tower.core.names import table_label

SUPPORTED = ("chromium",)
OUTPUT = "playwright"  # the folder of pytest-playwright's artifacts in the check's own
INSTALL_PLUGIN = install_hint("pytest-playwright")
UI_ONLY = {"browser_path": "", "headed": False, "slowmo": 0.0, "video": "off"}
MAX_SLOWMO = 60.0  # seconds per browser operation: more is a unit mistake (`slowmo = 250`)
# pytest-playwright's options: unknown to a child pytest that did not load it
PLUGIN_OPTIONS = ("--browser", "--base-url", "--screenshot", "--tracing", "--output")
FIND_PLUGIN = ("import importlib.util, sys; "
               "sys.exit(importlib.util.find_spec('pytest_playwright') is None)")


OPTIONS = {
    "browser": Option("str", 'a UI stage: "chromium" runs the tests\' pytest-playwright '
                      "fixtures in a Chromium already on the machine (browser_path, PATH, "
                      "Playwright's own browsers; never a download), against the target "
                      "(--base-url); failing tests keep a screenshot and a trace",
                      default=""),
    "browser_path": Option("str", "a UI stage: the Chromium or Chrome executable to launch "
                           "(default: the first found)", default=""),
    "headed": Option("bool", "a UI stage: show the browser window (--headed; needs a "
                     "display)", default=False),
    "slowmo": Option("duration", 'a UI stage: pause after each browser operation, e.g. '
                     '"250ms" (--slowmo)', default=0.0),
    "video": Option("str", "a UI stage: record a video of each test (--video; needs "
                    "Playwright's ffmpeg)", default="off",
                    choices=("off", "on", "retain-on-failure")),
}
METRICS = [
    MetricSpec("browser_tests", help="a UI stage (`browser`): tests that ran in the "
               "gate's browser (pytest-playwright's page, context or browser fixture)"),
]


@dataclass(frozen=True)
class UiRun:
    """What a UI stage adds to the child pytest, and the browser it found."""

    executable: str
    target: str = ""  # the URL the tests must resolve their pages against
    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def prepare(ctx: CheckContext, out: Path, base_url: str) -> UiRun | None:
    """The browser and pytest-playwright's options for a UI stage; None for other stages.

    Errors (never a skip) when no browser is on the machine or pytest-playwright
    is not beside the Python that runs the tests.
    """
    opts = ctx.options
    if not opts["browser"]:
        return None
    executable = find_chromium(opts["browser_path"], root=ctx.root)
    require_plugin(ctx)
    folder = out / OUTPUT
    shutil.rmtree(folder, ignore_errors=True)  # an older run's screenshots are no evidence
    argv = ["--browser", "chromium", "--screenshot", "only-on-failure",
            "--tracing", "retain-on-failure", "--output", str(folder)]
    if base_url:
        argv += ["--base-url", base_url]
    if opts["headed"]:
        _require_display()
        argv.append("--headed")
    if opts["slowmo"]:
        argv += ["--slowmo", str(max(1, round(opts["slowmo"] * 1000)))]
    if opts["video"] != "off":
        _require_ffmpeg()
        argv += ["--video", opts["video"]]
    return UiRun(executable, base_url, argv, {BROWSER_PATH_ENV: executable})


def require_plugin(ctx: CheckContext) -> None:
    """pytest-playwright must be importable by the Python that runs the tests."""
    python = ctx.options["python"]
    if python:
        found = ctx.run([python, "-c", FIND_PLUGIN], ok_codes=(0, 1), tool=python,
                        fix=f"check `python` in {table_label(ctx.check_id)}").returncode == 0
    else:
        found = importlib.util.find_spec("pytest_playwright") is not None
    if not found:
        raise ToolError(f"pytest-playwright is not installed beside {python or sys.executable}: "
                        "a UI stage runs the project's tests through its page and browser "
                        "fixtures", fix=f"{INSTALL_PLUGIN} into the Python that runs the tests")


def judge(browser: UiRun, suite: results.Suite, ctx: CheckContext, argv: list[str],
          metrics: dict[str, float], kept: dict[str, str], notes: list[str]) -> str:
    """A UI stage's evidence (or an error when it has none), its kept screenshots and
    traces, and the tool text naming the browser: added to the stage's own results."""
    wrong = elsewhere(browser, suite)  # failed or not: measured on the wrong server
    if wrong:
        raise ToolError(wrong, command=argv,
                        fix="remove the project's `base_url` fixture (or make it return "
                            "$TOWER_BASE_URL): the stage gives pytest-playwright its target")
    problem = unproven(suite)
    if problem:
        raise ToolError(problem, command=argv,
                        fix="use pytest-playwright's `page` fixture in the UI tests (they "
                            "must not skip without it), or leave `browser` out of "
                            f"{table_label(ctx.check_id)} for tests that need no browser")
    more, files, said = measure(browser, suite, ctx.root)
    metrics.update(more)
    kept.update(files)
    notes += said
    return tool_text(ctx.options["python"], suite)


def _require_display() -> None:
    """A headed browser needs a display: without one every test would error in setup."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        raise ToolError("headed = true needs a display, and neither $DISPLAY nor "
                        "$WAYLAND_DISPLAY is set",
                        fix="run the gate under `xvfb-run`, or leave headed out")


def _require_ffmpeg() -> None:
    """Playwright encodes videos with its own ffmpeg build (no option names another):
    without it every test would error in setup, so say so once instead."""
    folder = playwright_browsers()
    if not any(path.is_file() for path in folder.glob("ffmpeg-*/ffmpeg-*")):
        raise ToolError(f"video needs Playwright's ffmpeg, which is not in {folder}",
                        fix="`python -m playwright install ffmpeg` where its download hosts "
                            'are reachable, or set video = "off"')


def unproven(suite: results.Suite) -> str:
    """Why a UI run that no test failed proves nothing about the UI, or ''."""
    counts = suite.counts
    if counts["failed"] or counts["errors"]:
        return ""  # a failure is evidence already
    if any(t.browser and t.outcome == "passed" for t in suite.tests.values()):
        return ""
    ran = sum(1 for t in suite.tests.values() if t.browser)
    what = (f"{ran} test(s) opened the browser but none passed" if ran else
            "no test ran in the browser")
    return (f"{what}: {counts['passed']} test(s) passed without pytest-playwright's browser "
            "(the page, context or browser fixtures), so this UI stage proved nothing about "
            "the UI")


def elsewhere(ui: UiRun, suite: results.Suite) -> str:
    """The tests' pages went to another server than the stage's target, or ''.

    pytest-playwright resolves `page.goto("/")` against its `base_url` fixture,
    which the gate sets through --base-url; a project's own `base_url` fixture
    overrides that, and its tests would then check another server while the
    stage's environment is marked verified by them.
    """
    if not ui.target:
        return ""
    seen = sorted({t.browser.get("base_url", "") for t in suite.tests.values()
                   if t.browser and t.browser.get("base_url", "") not in ("", ui.target)})
    if not seen:
        return ""
    return (f"the tests' base_url was {', '.join(seen)}, not the stage's target {ui.target}: "
            "a `base_url` fixture of the project overrides pytest-playwright's, so its "
            "pages were checked on another server")


def measure(ui: UiRun, suite: results.Suite, root: Path
            ) -> tuple[dict[str, float], dict[str, str], list[str]]:
    """browser_tests, the kept files of failing tests ({"<test id> screenshot": path}),
    and notes: the browser used, a failing browser test that kept nothing."""
    metrics: dict[str, float] = {"browser_tests": sum(1 for t in suite.tests.values()
                                                      if t.browser)}
    kept: dict[str, str] = {}
    notes = []
    for test in suite.tests.values():
        for name, path in results.artifact_names(test, root):
            kept[f"{test.nodeid} {name}"] = path
        if test.outcome in ("failed", "errors") and test.browser and not test.artifacts:
            notes.append(f"{test.nodeid} failed in the browser but pytest-playwright kept no "
                         "screenshot or trace for it (the project's --screenshot/--tracing "
                         "options in `args`?)")
    missing = [path for path in kept.values() if not (root / path).is_file()]
    if missing:
        notes.append("pytest-playwright named files it did not keep: " + ", ".join(missing))
    used = {t.browser.get("executable", "") for t in suite.tests.values() if t.browser}
    other = sorted(u for u in used if u and u != ui.executable)
    notes.append(f"browser: {ui.executable}" + (f" (the project's own executable_path "
                                                f"launched instead: {', '.join(other)})"
                                                if other else ""))
    return metrics, kept, notes


def tool_text(python: str, suite: results.Suite) -> str:
    """`, pytest-playwright 0.10.0, Chromium 156.0...`: what ran the UI tests."""
    parts = []
    if not python:
        try:
            parts.append(f"pytest-playwright {metadata.version('pytest-playwright')}")
        except metadata.PackageNotFoundError:
            parts.append("pytest-playwright")
    versions = sorted({t.browser["version"] for t in suite.tests.values()
                       if t.browser.get("version")})
    parts += [f"Chromium {v}" for v in versions]
    return "".join(f", {p}" for p in parts)


def fix_hint(text: str) -> str:
    """The fix when the child pytest rejected pytest-playwright's options, else ''."""
    unknown = " ".join(line for line in text.splitlines()
                       if "unrecognized arguments" in line or "no such option" in line)
    if any(option in unknown for option in PLUGIN_OPTIONS):
        return ("pytest-playwright is not active in the child pytest: the project's addopts "
                "may disable it (-p no:playwright) or $PYTEST_DISABLE_PLUGIN_AUTOLOAD is set; "
                f"or {INSTALL_PLUGIN} into the Python that runs the tests")
    return ""


def validate(options: Any) -> None:
    """`browser` names a supported browser; the browser options need it."""
    browser = options["browser"]
    if browser and browser not in SUPPORTED:
        raise ValueError(f"browser = {browser!r} is not supported: only \"chromium\" (the gate "
                         "launches a Chromium already on the machine)")
    if not browser:
        given = [name for name, default in UI_ONLY.items() if options[name] != default]
        if given:
            raise ValueError(f"{', '.join(given)} apply to a UI stage only: set "
                             'browser = "chromium"')
    if options["slowmo"] > MAX_SLOWMO:
        raise ValueError(f"slowmo = {options['slowmo']:g}s per browser operation is more than "
                         f"{MAX_SLOWMO:g}s: write milliseconds with their unit, e.g. \"250ms\"")
