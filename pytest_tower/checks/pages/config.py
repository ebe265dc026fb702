"""What a `[stage.pages]` table may say, and the checks made when gates.toml is read.

Kept apart from check.py (which runs the visitor) so the metrics and options
read as one list. Every page metric exists per page (`lcp[/tasks]`) and in
total (`lcp`): counts are summed over the pages, times and `cls` are the worst
page's. Keys are the pages exactly as `pages` lists them, so a page key that is
not one of them errors (its metric has no value) instead of reading 0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from pytest_tower.checks import target
from pytest_tower.core.conditions import ConditionError, parse_condition
from pytest_tower.core.model import BYTES, MILLISECONDS, MetricSpec, Option

# requirements[0] is the pinned tool whose version the check verifies (toolenv.interpreter)
REQUIREMENTS = ("playwright>=1.49,<2", "axe-playwright-python>=0.1.8,<0.2")
IMPACTS = ("critical", "serious", "moderate", "minor")
COUNTS = ("console_errors", "page_errors", "failed_requests", "requests", "transfer_size")
TIMES = ("load_time", "ttfb", "lcp", "cls")
A11Y = ("a11y", "a11y_rule")
_VIEWPORT = re.compile(r"^(\d{2,5})x(\d{2,5})$")


def _page_metric(name: str, unit: str, help: str) -> MetricSpec:
    return MetricSpec(name, unit, f"{help}; {name}[/tasks] is one page", keyed=True)


METRICS = [
    MetricSpec("pages", help="pages visited and measured"),
    _page_metric("console_errors", "", "console errors the pages logged (not counting the "
                 "browser's own echo of a failed request, which is a failed request)"),
    _page_metric("page_errors", "", "uncaught exceptions in the pages' scripts"),
    _page_metric("failed_requests", "", "requests answered 4xx/5xx, failed (refused, "
                 "aborted) or blocked by the Content-Security-Policy (each violation once)"),
    _page_metric("requests", "", "requests a load of the page made: the document and the "
                 "resources in its Resource Timing"),
    _page_metric("transfer_size", BYTES, "bytes a load of the page transferred (document "
                 "and resources, per Resource Timing)"),
    _page_metric("load_time", MILLISECONDS, "navigation start to the end of the load event "
                 "(median of the runs; total: the slowest page)"),
    _page_metric("ttfb", MILLISECONDS, "time to the document's first byte (median; total: "
                 "the slowest page)"),
    _page_metric("lcp", MILLISECONDS, "largest contentful paint (median; total: the slowest "
                 "page)"),
    _page_metric("cls", "", "cumulative layout shift, largest session window (median; total: "
                 "the worst page)"),
    MetricSpec("a11y", help="accessibility violations found by axe-core, one per element: "
               "a11y[critical] by impact (critical, serious, moderate, minor), a11y[/tasks] "
               "on one page, a11y[/tasks serious] both", keyed=True),
    MetricSpec("a11y_rule", help="accessibility violations of one axe-core rule, e.g. "
               "a11y_rule[color-contrast]", keyed=True, key_default=0),
]

OPTIONS: dict[str, Option] = {
    **target.OPTIONS,
    "pages": Option("str_list", "paths to visit on the target, e.g. [\"/\", "
                    "\"/tasks?done=1\"]", required=True),
    "runs": Option("int", "loads per page; times are their median", default=3),
    "cache": Option("str", "each measured load starts with an empty cache (cold), or after "
                    "one unmeasured load of the page (warm)", default="cold",
                    choices=("cold", "warm")),
    "viewport": Option("str", "the browser window, WIDTHxHEIGHT", default="1280x720"),
    "wait_until": Option("str", "when a page counts as loaded (Playwright's rule); the "
                         "timings always wait for the load event's end",
                         default="load", choices=("load", "domcontentloaded", "networkidle")),
    "page_timeout": Option("duration", "how long one page may take to load", default=30.0),
    "login": Option("str", "a Python file (relative to gates.toml) defining "
                    "login(page, base_url), run once before the visits; the session it "
                    "leaves (cookies, storage) is every visit's", default=""),
    "storage_state": Option("str", "a Playwright storage-state JSON file (relative to "
                            "gates.toml) every visit starts from, instead of `login`",
                            default=""),
    "axe": Option("bool", "run axe-core on every page (a11y metrics)", default=True),
    "axe_tags": Option("str_list", "only axe-core rules with these tags, e.g. "
                       "[\"wcag2a\", \"wcag2aa\"] (default: axe-core's default rules)",
                       default=[]),
    "axe_disable": Option("str_list", "axe-core rule ids not to run, e.g. "
                          "[\"color-contrast\"]", default=[]),
    "browser_path": Option("str", "the Chromium or Chrome to launch (default: one on PATH, "
                           "else Playwright's own)", default=""),
    "python": Option("str", "an interpreter that has playwright and axe-playwright-python "
                     "(default: pytest-tower's own isolated venv under .tower/tools)",
                     default=""),
}


def viewport(text: str) -> dict[str, int]:
    """"1280x720" -> {"width": 1280, "height": 720}; ValueError when it is not that."""
    match = _VIEWPORT.match(text.strip())
    if not match:
        raise ValueError(f"viewport = {text!r} must be WIDTHxHEIGHT, such as \"1280x720\"")
    width, height = int(match.group(1)), int(match.group(2))
    if not (100 <= width <= 10000 and 100 <= height <= 10000):
        raise ValueError(f"viewport = {text!r}: width and height must be 100 to 10000 pixels")
    return {"width": width, "height": height}


def validate(options: Mapping[str, Any]) -> None:
    target.validate(options)
    pages = options["pages"]
    if not pages:
        raise ValueError('pages is empty: list the paths to visit, e.g. pages = ["/"]')
    for page in pages:
        _check_page(page)
    if len(set(pages)) != len(pages):
        raise ValueError("pages: a page is listed twice")
    if not 1 <= options["runs"] <= 20:
        raise ValueError(f"runs must be 1 to 20, got {options['runs']}")
    viewport(options["viewport"])
    if options["page_timeout"] <= 0:
        raise ValueError("page_timeout must be more than 0")
    if options["login"] and options["storage_state"]:
        raise ValueError("give either `login` (a script that logs in) or `storage_state` "
                         "(a saved session), not both")
    for key, suffix in (("login", ".py"), ("storage_state", ".json")):
        if options[key]:
            _check_file(key, options[key], suffix)
    for key in ("axe_tags", "axe_disable"):
        if len(set(options[key])) != len(options[key]):
            raise ValueError(f"{key}: a name is listed twice")
        if any(not name.strip() or " " in name for name in options[key]):
            raise ValueError(f"{key}: {options[key]!r} holds an empty name or one with a space")
    if not options["axe"]:
        _without_axe(options)
    for metric, rule, expr in _conditions(options):
        if metric == "a11y_rule" and rule in options["axe_disable"]:
            raise ValueError(f"{expr!r}: axe_disable turns the rule {rule!r} off, so it "
                             "would never be checked")


def _check_page(page: Any) -> None:
    if not page.startswith("/") or page.startswith("//"):
        raise ValueError(f"pages: {page!r} must be a path on the target starting with one "
                         "\"/\", such as \"/tasks?done=1\" (the host comes from "
                         "`environment` or `base_url`)")
    if any(c.isspace() for c in page) or "[" in page or "]" in page:
        raise ValueError(f"pages: {page!r} holds a space or a bracket; write them "
                         "percent-encoded (%20, %5B, %5D): the page is a metric key, "
                         "as in lcp[/tasks]")


def _check_file(key: str, path: str, suffix: str) -> None:
    parts = PurePosixPath(path)
    if parts.is_absolute() or ".." in parts.parts:
        raise ValueError(f"{key} = {path!r} must be a file relative to gates.toml, inside "
                         "the project")
    if parts.suffix != suffix:
        raise ValueError(f"{key} = {path!r} must be a {suffix} file")


def _without_axe(options: Mapping[str, Any]) -> None:
    """axe = false measures no accessibility: a condition on it could only read nothing."""
    if "conditions" not in options:
        raise ValueError("axe = false: the default conditions include a11y[critical] and "
                         "a11y[serious], which only axe-core measures; state your own "
                         "`conditions` (e.g. [\"console_errors == 0\", \"page_errors == 0\"])")
    for metric, _, expr in _conditions(options):
        if metric in A11Y:
            raise ValueError(f"{expr!r} needs axe-core, and axe = false")
    if options["axe_tags"] or options["axe_disable"]:
        raise ValueError("axe = false: axe_tags and axe_disable have nothing to configure")


def _conditions(options: Mapping[str, Any]) -> list[tuple[str, str | None, str]]:
    """(metric, key, expression) of the table's own conditions and warnings."""
    found = []
    for expr in [*options.get("conditions", ()), *options.get("warn", ())]:
        try:
            condition = parse_condition(expr, METRICS)
        except ConditionError:
            continue  # the core reports it, with a did-you-mean
        found.append((condition.metric, condition.key, expr))
    return found
