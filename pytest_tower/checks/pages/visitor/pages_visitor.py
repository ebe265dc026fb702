"""Visit pages in a real Chromium with Playwright, measure them, run axe-core; write JSON.

Started by the `pages` check as `<tool python> pages_visitor.py SPEC.json` with
the interpreter of an isolated environment that has playwright and
axe-playwright-python (never the pytest process). It imports nothing from
pytest_tower, so it runs where pytest-tower is not installed; it sits alone
in its folder, so no sibling module shadows an import of the tools it drives.

axe-core comes from axe-playwright-python (MIT), which bundles axe-core's own
script (axe-core 4.12.1 in 0.1.8, MPL-2.0, unmodified): `Axe().run(page)`
injects it and returns axe's results. The timings are the browser's own:
Navigation Timing (`ttfb` = responseStart, `load_time` = loadEventEnd) and
PerformanceObserver's buffered entries, read once the load event ended
(`lcp`: the last candidate by then; when none was reported yet, as on a busy
machine that paints late, it waits frame by frame up to 2 s after the load
event, and a page that still painted nothing contentful has no `lcp`;
`cls`: the largest session window of layout shifts, web-vitals' definition);
hand-written only because no kept library reads them from a
Playwright page.

Counting each problem once: Chromium echoes a failed load in the console
("Failed to load resource: ... 404", a CSP block), so console errors the
browser logged from its network or security sources (read over CDP, with
their source) are left out of `console_errors`: those are failed requests. A
CSP violation (a `securitypolicyviolation` listener, enforced ones only) is
one failed request, and Playwright's `requestfailed` for the same blocked URL
is not counted again.

stdout: one `@tower visited /tasks (2/3)` progress line per page. The result JSON goes to
spec["result"] (written whole, then renamed); every page that could not be
visited carries its own `error`, so the check names each one.

Long because it must stand alone (it imports nothing from pytest_tower): the
spec, the login, the visits, the in-page measuring script and axe are one script.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any

PROGRESS = "@tower "
HEADERS_ENV = "TOWER_TOOL_HEADERS"
# Listens before any script of the page runs (an init script is not subject to its CSP).
INIT = """(() => {
  window.__towerCsp = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    if (e.disposition === 'enforce') window.__towerCsp.push(
      {blocked: String(e.blockedURI || ''), directive: String(e.effectiveDirective || '')});
  }, true);
})();"""
# Waits for the load event's end, then reads the timings and the resources' sizes.
MEASURE = """(limit) => new Promise((resolve) => {
  const LCP_WAIT_MS = 2000;
  const started = Date.now();
  let loaded = 0;  // when the load event's end was first seen
  const take = (type) => {
    try {
      const o = new PerformanceObserver(() => {});
      o.observe({type, buffered: true});
      const found = o.takeRecords(); o.disconnect(); return found;
    } catch (e) { return []; }
  };
  const read = () => {
    const nav = performance.getEntriesByType('navigation')[0];
    if ((!nav || !nav.loadEventEnd) && Date.now() - started < limit) {
      setTimeout(read, 20); return;
    }
    if (!nav || !nav.loadEventEnd) { resolve({error: 'the load event never ended'}); return; }
    loaded = loaded || Date.now();
    const lcp = take('largest-contentful-paint');
    if (!lcp.length && Date.now() - loaded < LCP_WAIT_MS) {
      // nothing reported painted yet (a busy machine paints late): wait frame by frame
      requestAnimationFrame(() => setTimeout(read, 0)); return;
    }
    let cls = 0, windowValue = 0, first = 0, last = 0;
    for (const shift of take('layout-shift')) {
      if (shift.hadRecentInput) continue;
      if (windowValue && shift.startTime - last < 1000 && shift.startTime - first < 5000) {
        windowValue += shift.value;
      } else { windowValue = shift.value; first = shift.startTime; }
      last = shift.startTime; cls = Math.max(cls, windowValue);
    }
    const resources = performance.getEntriesByType('resource');
    resolve({
      ttfb: nav.responseStart - (nav.activationStart || 0), load_time: nav.loadEventEnd,
      requests: 1 + resources.length,
      lcp: lcp.length ? lcp[lcp.length - 1].startTime : null, cls,
      transfer_size: nav.transferSize + resources.reduce((s, r) => s + (r.transferSize || 0), 0),
      csp: window.__towerCsp || null,
    });
  };
  read();
})"""


class PageError(Exception):
    """The page could not be visited; the message names why."""


def main(spec_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    result: dict[str, Any] = {"error": None, "pages": []}
    try:
        result.update(visit_all(spec))
    except PageError as exc:
        result["error"] = str(exc)
    except Exception as exc:
        traceback.print_exc()
        result["error"] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:500]}" \
            if str(exc).strip() else type(exc).__name__
    tmp = Path(spec["result"] + ".tmp")
    tmp.write_text(json.dumps(result, indent=1))
    tmp.replace(spec["result"])
    return 0


def visit_all(spec: dict[str, Any]) -> dict[str, Any]:
    from importlib.metadata import version

    from playwright.sync_api import sync_playwright

    headers = dict(h.split(": ", 1) for h in json.loads(os.environ.pop(HEADERS_ENV, "[]")))
    found: dict[str, Any] = {"pages": [], "versions": {"playwright": version("playwright")}}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=spec["executable_path"],
                                             args=spec["launch_args"])
        found["versions"]["browser"] = browser.version
        options: dict[str, Any] = {"viewport": spec["viewport"], "extra_http_headers": headers}
        if spec["storage_state"]:
            options["storage_state"] = spec["storage_state"]
        if spec["login"]:
            options["storage_state"] = log_in(browser, spec, options)
        axe = Axe(spec) if spec["axe"] else None
        for number, page in enumerate(spec["pages"], 1):
            entry: dict[str, Any] = {"page": page, "error": None, "runs": [], "axe": None,
                                     "final": ""}
            try:
                visit(browser, spec, options, page, entry, axe)
            except PageError as exc:
                entry["error"] = str(exc)
            found["pages"].append(entry)
            state = "could not visit" if entry["error"] else "visited"
            print(f"{PROGRESS}{state} {page} ({number}/{len(spec['pages'])})", flush=True)
        if axe is not None:
            found["versions"]["axe-core"] = axe.version
        browser.close()
    return found


def log_in(browser: Any, spec: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """Run the login script's login(page, base_url); the session it leaves, as a state."""
    try:
        namespace = runpy.run_path(spec["login"])
    except Exception as exc:
        raise PageError(f"the login script {spec['login']} does not run: "
                        f"{type(exc).__name__}: {exc}") from None
    if not callable(namespace.get("login")):
        raise PageError(f"the login script {spec['login']} defines no login(page, base_url)")
    context = browser.new_context(**options)
    context.set_default_timeout(spec["page_timeout_ms"])
    try:
        namespace["login"](context.new_page(), spec["base_url"])
        state: dict[str, Any] = context.storage_state()
    except Exception as exc:
        raise PageError(f"the login script {spec['login']} raised {type(exc).__name__}: "
                        f"{exc}") from None
    finally:
        context.close()
    return state


def visit(browser: Any, spec: dict[str, Any], options: dict[str, Any], page: str,
          entry: dict[str, Any], axe: Axe | None) -> None:
    """Load `page` spec["runs"] times (fresh contexts, or one warmed context)."""
    context = None
    try:
        for run in range(spec["runs"]):
            if context is None or spec["cache"] == "cold":
                if context is not None:
                    context.close()
                context = browser.new_context(**options)
                context.add_init_script(INIT)
                if spec["cache"] == "warm":
                    load(context, spec, page, measure=False)
            entry["runs"].append(load(context, spec, page, measure=True,
                                      axe=axe if run == 0 else None, entry=entry))
    finally:
        if context is not None:
            context.close()


def load(context: Any, spec: dict[str, Any], page_path: str, *, measure: bool,
         axe: Axe | None = None, entry: dict[str, Any] | None = None) -> dict[str, Any]:
    from playwright.sync_api import Error as PlaywrightError

    page = context.new_page()
    seen: dict[str, Any] = {"console": [], "echoes": [], "page_errors": [], "failed": []}
    cdp = context.new_cdp_session(page)
    cdp.on("Log.entryAdded", lambda event: _echo(event, seen))
    cdp.send("Log.enable")
    page.on("console", lambda m: _console(m, seen))
    page.on("pageerror", lambda exc: seen["page_errors"].append(
        {"message": str(exc), "stack": (getattr(exc, "stack", "") or "")[:2000]}))
    page.on("requestfailed", lambda r: seen["failed"].append(
        {"url": r.url, "reason": r.failure or "failed", "kind": r.resource_type}))
    page.on("response", lambda r: _response(r, seen, page))
    url = spec["base_url"] + page_path
    try:
        try:
            response = page.goto(url, wait_until=spec["wait_until"],
                                 timeout=spec["page_timeout_ms"])
        except PlaywrightError as exc:
            raise PageError(f"did not load: {_first_line(exc)}") from None
        if response is None:
            raise PageError(f"{url} gave no document")
        if not 200 <= response.status < 300:
            raise PageError(f"answered {response.status} {response.status_text}".strip())
        if not measure:
            return {}
        timings = page.evaluate(MEASURE, spec["page_timeout_ms"])
        if timings.get("error"):
            raise PageError(f"{url}: {timings['error']}")
        if entry is not None and not entry.get("final"):  # where a redirect led
            base = spec["base_url"]
            entry["final"] = page.url[len(base):] if page.url.startswith(base) else page.url
        if axe is not None and entry is not None:
            entry["axe"] = axe.run(page, url)
        return _run_result(seen, timings)
    finally:
        if not measure or spec["cache"] == "warm":
            page.close()  # its context lives on; a cold context closes with its page


def _run_result(seen: dict[str, Any], timings: dict[str, Any]) -> dict[str, Any]:
    csp = timings.pop("csp") or []
    blocked = {v["blocked"] for v in csp}
    failed = [f for f in seen["failed"] if f["url"] not in blocked and f["reason"] != "csp"]
    failed += [{"url": v["blocked"], "reason": f"blocked by the Content-Security-Policy "
                f"({v['directive']})", "kind": ""} for v in csp]
    echoes = list(seen["echoes"])
    console = []
    for message in seen["console"]:
        if message["text"] in echoes:  # the browser's echo of a failed or blocked load
            echoes.remove(message["text"])
        else:
            console.append(message)
    return {**timings, "console_errors": console,
            "page_errors": seen["page_errors"], "failed_requests": failed}


def _echo(event: dict[str, Any], seen: dict[str, Any]) -> None:
    entry = event.get("entry") or {}
    if entry.get("level") == "error" and entry.get("source") in ("network", "security"):
        seen["echoes"].append(entry.get("text", ""))


def _console(message: Any, seen: dict[str, Any]) -> None:
    if message.type in ("error", "assert"):
        location = message.location or {}
        seen["console"].append({"text": message.text, "url": location.get("url", ""),
                                "line": location.get("lineNumber", 0) + 1})


def _response(response: Any, seen: dict[str, Any], page: Any) -> None:
    """A 4xx/5xx answer, except the document's own (its status makes the page an error)."""
    if response.status < 400:
        return
    request = response.request
    try:
        document = request.is_navigation_request() and request.frame == page.main_frame
    except Exception:  # a service worker's request has no frame
        document = False
    if not document:
        seen["failed"].append({"url": response.url, "kind": request.resource_type,
                               "reason": f"{response.status} {response.status_text}".strip()})


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:500] if text else type(exc).__name__


class Axe:
    """axe-core through axe-playwright-python, with the check's tags and disabled rules."""

    def __init__(self, spec: dict[str, Any]) -> None:
        from axe_playwright_python.sync_playwright import Axe as AxeRunner

        self.runner = AxeRunner()
        self.options: dict[str, Any] = {"resultTypes": ["violations"]}
        if spec["axe_tags"]:
            self.options["runOnly"] = {"type": "tag", "values": spec["axe_tags"]}
        if spec["axe_disable"]:
            self.options["rules"] = {rule: {"enabled": False} for rule in spec["axe_disable"]}
        self.version = ""

    def run(self, page: Any, url: str) -> dict[str, Any]:
        try:
            response = self.runner.run(page, options=self.options).response
        except Exception as exc:
            raise PageError(f"axe-core did not run on {url}: {_first_line(exc)}") from None
        self.version = str((response.get("testEngine") or {}).get("version") or "")
        return {"violations": [
            {"id": v["id"], "impact": v.get("impact") or "minor", "help": v.get("help", ""),
             "help_url": v.get("helpUrl", ""),
             "nodes": [{"target": n.get("target", []), "summary": n.get("failureSummary", "")}
                       for n in v.get("nodes", [])]}
            for v in response["violations"]],
            "rules": sorted({str(r.get("id")) for kind in ("violations", "passes",
                                                               "incomplete", "inapplicable")
                             for r in response.get(kind) or []}),
            "url": response.get("url", "")}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
