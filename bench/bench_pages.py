"""The `pages` check vs the same visits and axe runs scripted by hand with Playwright.

A small app of three pages (tests/integration/pages_app.py: `/`, `/about`, and
`/token`, which needs a header) runs on a free loopback port. Each round runs,
alternating which goes first:
- `pytest --tower` on a project whose gates.toml has only a [ui.pages] table
  (3 pages, runs = 3, cold cache, the header, axe-core on);
- a Playwright script run by hand with the same tool venv's interpreter: the
  same Chromium and flags, the same 3 x 3 loads each in a fresh context with
  the same event listeners and a Navigation Timing read, axe-core
  (axe-playwright-python) once per page, the results written as JSON.
Shows the median wall seconds of each over the rounds, the check's own
duration from the report, the ratios gate/by hand (target: <= 1.15; pytest's
start-up and the report writing are in the gate's figure) and check/by hand,
and what one axe-core run costs per page (timed inside the hand script). The
best run of each is printed too, with the load average: on a busy machine the
medians move by more than the difference measured.

    .venv/bin/python bench/bench_pages.py [--rounds 5]

The tool venv is the one the check makes under .tower/tools (made on first use).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from pytest_tower.checks.browser import LAUNCH_ARGS, find_chromium
from pytest_tower.checks.pages.config import REQUIREMENTS
from pytest_tower.checks.toolenv import tool_python
from pytest_tower.core.model import CheckContext

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "tests" / "integration" / "pages_app.py"
PYTEST = Path(sys.executable).with_name("pytest")
PAGES = ["/", "/about", "/token"]
RUNS = 3
TOKEN = "bench-token"
# As on a user's machine: bytecode cached (see bench_security_testing.py).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["TOWER_TOOLS"] = str(ROOT / ".tower" / "tools")  # the gate's venv is the one timed by hand

BY_HAND = """
import json, sys, time
from playwright.sync_api import sync_playwright
from axe_playwright_python.sync_playwright import Axe

base, browser_path, out = sys.argv[1], sys.argv[2], sys.argv[3]
pages, runs, args = json.loads(sys.argv[4]), int(sys.argv[5]), json.loads(sys.argv[6])
token = sys.argv[7]
NAV = "() => performance.getEntriesByType('navigation')[0].toJSON()"
found, axe_seconds = {}, []
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=browser_path, args=args)
    axe = Axe()
    for path in pages:
        found[path] = []
        for run in range(runs):
            context = browser.new_context(viewport={"width": 1280, "height": 720},
                                          extra_http_headers={"X-Token": token})
            page = context.new_page()
            events = []
            page.on("console", lambda m: events.append(m.text))
            page.on("pageerror", lambda e: events.append(str(e)))
            page.on("requestfailed", lambda r: events.append(r.url))
            page.on("response", lambda r: events.append(r.url) if r.status >= 400 else None)
            response = page.goto(base + path, wait_until="load")
            assert response.status == 200, (path, response.status)
            entry = {"nav": page.evaluate(NAV), "events": events}
            if run == 0:
                started = time.monotonic()
                entry["axe"] = axe.run(page).response["violations"]
                axe_seconds.append(time.monotonic() - started)
            found[path].append(entry)
            context.close()
    browser.close()
with open(out, "w") as f:
    json.dump({"pages": found, "axe_seconds": axe_seconds}, f)
"""


def start_app() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, str(APP)], stdout=subprocess.PIPE, text=True,
                            env={"PAGES_APP_TOKEN": TOKEN, "PATH": ""})
    assert proc.stdout is not None
    url = f"http://127.0.0.1:{int(proc.stdout.readline())}"
    urllib.request.urlopen(url + "/", timeout=10).close()
    return proc, url


def gate(project: Path, url: str) -> tuple[float, float]:
    """(wall seconds of `pytest --tower`, the check's own duration_s)."""
    (project / "gates.toml").write_text(
        f'[ui.pages]\nbase_url = "{url}"\npages = {json.dumps(PAGES)}\nruns = {RUNS}\n'
        f'headers = {{ X-Token = "{TOKEN}" }}\n')
    report = project / "report.json"
    started = time.monotonic()
    done = subprocess.run([str(PYTEST), "--tower", f"--tower-report={report}", "-q",
                           "-p", "no:cacheprovider"], cwd=project, capture_output=True,
                          text=True, check=False, env=ENV)
    wall = time.monotonic() - started
    check = json.loads(report.read_text())["checks"][0]
    if check["verdict"] != "passed":
        raise SystemExit(f"the gate did not pass: {check.get('message')}\n{done.stdout[-3000:]}")
    return wall, float(check["duration_s"])


def by_hand(python: Path, script: Path, url: str, browser: str, out: Path) -> tuple[float, float]:
    """(wall seconds of the hand-written script, its median axe-core seconds per page)."""
    out.unlink(missing_ok=True)
    started = time.monotonic()
    subprocess.run([str(python), str(script), url, browser, str(out), json.dumps(PAGES),
                    str(RUNS), json.dumps(list(LAUNCH_ARGS)), TOKEN], check=True, env=ENV,
                   capture_output=True)
    wall = time.monotonic() - started
    return wall, statistics.median(json.loads(out.read_text())["axe_seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    ctx = CheckContext("bench::pages", ROOT, {}, 1200.0, ROOT / ".tower" / "tmp",
                       deadline=time.monotonic() + 1200.0)
    python = tool_python(ctx, "pages", REQUIREMENTS)
    browser = find_chromium()
    proc, url = start_app()
    results: dict[str, list[float]] = {"gate": [], "check": [], "hand": [], "axe": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            project, script = Path(tmp) / "project", Path(tmp) / "by_hand.py"
            project.mkdir()
            script.write_text(BY_HAND)
            gate(project, url)  # first use: the tool venv's bytecode, the browser's disk cache
            by_hand(python, script, url, browser, Path(tmp) / "hand.json")
            for number in range(args.rounds):
                for which in ([0, 1] if number % 2 == 0 else [1, 0]):
                    if which == 0:
                        wall, own = gate(project, url)
                        results["gate"].append(wall)
                        results["check"].append(own)
                    else:
                        wall, axe = by_hand(python, script, url, browser,
                                            Path(tmp) / "hand.json")
                        results["hand"].append(wall)
                        results["axe"].append(axe)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    hand, wall, own, axe = (statistics.median(results[k])
                            for k in ("hand", "gate", "check", "axe"))
    print(f"{len(PAGES)} pages x {RUNS} cold loads, axe-core once per page; median of "
          f"{args.rounds} rounds")
    print(f"{'by hand s':>10} {'gate s':>8} {'check s':>8} {'gate/hand':>10} "
          f"{'check/hand':>11}  (target gate/hand <= 1.15)")
    print(f"{hand:10.2f} {wall:8.2f} {own:8.2f} {wall / hand:10.2f} {own / hand:11.2f}")
    best = {k: min(v) for k, v in results.items()}  # the least disturbed run of each
    print(f"best of {args.rounds}: by hand {best['hand']:.2f} s, gate {best['gate']:.2f} s "
          f"({best['gate'] / best['hand']:.2f}), check {best['check']:.2f} s "
          f"({best['check'] / best['hand']:.2f}); load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    print(f"axe-core per page: {axe * 1000:.0f} ms (median, timed in the hand script; "
          f"{axe * len(PAGES) / hand:.0%} of the hand script's wall time)")


if __name__ == "__main__":
    main()
