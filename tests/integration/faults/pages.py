"""Fault cases of the `pages` check: never a pass.

Config mistakes are exit 4 before any browser starts. The run-time cases need
no real browser: the target is a bare listening socket (the reachability
probe only connects), `browser_path` names a stand-in executable, and
`python` is a fake interpreter that answers the version probe like the real
tool venv, then lies the way a broken visitor would: no result, garbage, a
page missing, a page axe-core never checked, runs missing, a crash it reports.
The real browser's own traps (pages answering 500 or 401, no browser at all,
an unreachable target) are in tests/integration/test_pages.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from tests.integration.faults import FaultCase
from tests.integration.faults.security_testing import listening

PAGES = '[ui.pages]\npages = ["/", "/tasks"]\n'
TARGET = 'base_url = "http://127.0.0.1:PORT"\n'
FAKE = 'python = "fake/python"\nbrowser_path = "fake/chromium"\nruns = 1\n'

# argv: [fake python, pages_visitor.py, SPEC.json]; BODY writes to spec["result"]
FAKE_PY = """\
#!{python}
import json, pathlib, sys
args = sys.argv[1:]
if args[:1] == ["-c"] and "importlib.metadata" in args[1]:
    print("1.65.2")
    sys.exit(0)
spec = json.loads(pathlib.Path(args[1]).read_text())
out = pathlib.Path(spec["result"])
LOAD = {{"load_time": 1, "ttfb": 1, "lcp": 1, "cls": 0, "requests": 1, "transfer_size": 1,
        "console_errors": [], "page_errors": [], "failed_requests": []}}
AXE = {{"violations": [], "rules": ["label"]}}
def page(path, runs=1, axe=AXE, error=None):
    return {{"page": path, "error": error, "runs": [LOAD] * runs, "axe": axe}}
def write(*pages, error=None):
    out.write_text(json.dumps({{"error": error, "pages": list(pages)}}))
{body}
"""


def fake(body: str) -> Callable[[Path], None]:
    def write(root: Path) -> None:
        folder = root / "fake"
        folder.mkdir(exist_ok=True)
        (folder / "python").write_text(FAKE_PY.format(python=sys.executable, body=body))
        (folder / "chromium").write_text("#!/bin/sh\nexit 1\n")
        for name in ("python", "chromium"):
            (folder / name).chmod(0o755)
    return listening(write)


CASES = [
    # gates.toml mistakes: exit 4, before any browser runs
    FaultCase("pages-none", '[ui.pages]\npages = []\n' + TARGET.replace("PORT", "1"),
              "pages is empty", rc=4),
    FaultCase("pages-full-url", '[ui.pages]\npages = ["https://elsewhere.test/"]\n'
              + TARGET.replace("PORT", "1"), "must be a path on the target", rc=4),
    FaultCase("pages-no-target", PAGES, "name the application to attack", rc=4),
    FaultCase("pages-axe-off-defaults", PAGES + TARGET.replace("PORT", "1") + "axe = false\n",
              "state your own `conditions`", rc=4),
    FaultCase("pages-cache-typo", PAGES + TARGET.replace("PORT", "1") + 'cache = "hot"\n',
              "one of 'cold', 'warm'", rc=4),
    # the target, the browser, the login file
    FaultCase("pages-refused", PAGES + 'base_url = "http://127.0.0.1:9"\n',
              "the target http://127.0.0.1:9 cannot be reached"),
    FaultCase("pages-browser-path-missing", PAGES + TARGET + 'browser_path = "no/chrome"\n',
              "browser_path = 'no/chrome': no such executable", setup=listening()),
    FaultCase("pages-login-missing", PAGES + TARGET + FAKE + 'login = "ui/login.py"\n',
              "login = 'ui/login.py': no such file under", setup=fake("write()")),
    # the visitor lies
    FaultCase("pages-no-result", PAGES + TARGET + FAKE,
              "the page visitor exited 3 without a result", setup=fake("sys.exit(3)")),
    FaultCase("pages-garbage", PAGES + TARGET + FAKE, "the page visitor wrote a result this "
              "gate cannot read", setup=fake('out.write_text("<html>")')),
    FaultCase("pages-visitor-crashed", PAGES + TARGET + FAKE,
              "the visitor failed: TargetClosedError: browser closed",
              setup=fake('write(error="TargetClosedError: browser closed")')),
    FaultCase("pages-page-missing", PAGES + TARGET + FAKE, "(not visited: /tasks)",
              setup=fake('write(page("/"))')),
    FaultCase("pages-axe-not-run", PAGES + TARGET + FAKE,
              "page /tasks: axe-core did not run", setup=fake('write(page("/"), '
                                                              'page("/tasks", axe=None))')),
    FaultCase("pages-axe-no-rules", PAGES + TARGET + FAKE, "axe-core applied no rule",
              setup=fake('write(page("/", axe={"violations": [], "rules": []}), '
                         'page("/tasks"))')),
    FaultCase("pages-runs-missing", PAGES + TARGET + FAKE,
              "made 0 measured loads, not the 1 asked for",
              setup=fake('write(page("/"), page("/tasks", runs=0))')),
    FaultCase("pages-page-timeout", PAGES + TARGET + FAKE,
              "1 of 2 pages could not be measured: /tasks: http://127.0.0.1",
              setup=fake('write(page("/"), page("/tasks", error="http://127.0.0.1/tasks did '
                         'not load: Timeout 30000ms exceeded."))')),
    FaultCase("pages-visitor-hangs", PAGES + TARGET + FAKE + 'timeout = "2s"\n', "timed out",
              setup=fake("import time\ntime.sleep(60)")),
]
