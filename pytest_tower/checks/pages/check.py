"""Page gate: real Chromium visits each page through Playwright, measures it, runs axe-core.

Playwright and axe-playwright-python are never imported where pytest runs:
the visitor script (visitor/pages_visitor.py) runs with the interpreter of
the check's own tool venv (toolenv.py), or the one in `python`. The gate
process picks the browser (browser.py: `browser_path`, one on PATH, or
Playwright's own; never a download) and hands it to the visitor as its
executable, with the launch flags that keep it off the network.

The target is the check's `environment` or `base_url` (target.py): it must
answer a TCP connect first, and the `headers` reach the visitor through an
environment variable, never its argv, masked as *** in all it shows.

Fail closed: a page that does not load (refused, DNS, timeout, a non-2xx
document), a page axe-core did not check, a visitor that crashed, hung or
wrote no readable result, each is an error naming what happened.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest_tower.checks.toolenv as _toolenv
from pytest_tower.checks import target
from pytest_tower.checks.browser import INSTALL_HINT, LAUNCH_ARGS, find_chromium
from pytest_tower.checks.pages.config import METRICS, OPTIONS, REQUIREMENTS, validate, viewport
from pytest_tower.checks.pages.results import ResultError, measure, tool_name
from pytest_tower.core.model import CheckContext, CheckType, Finding, Measurement, ToolError
from pytest_tower.core.names import table_label
from pytest_tower.core.secrets import mask

VISITOR = Path(__file__).resolve().parent / "visitor" / "pages_visitor.py"  # alone in its folder
INSTALL = target.install_hint(" ".join(REQUIREMENTS))
NEEDS = f"the visitor's interpreter (`python`, else the tool venv) needs {', '.join(REQUIREMENTS)}"
PROGRESS = re.compile(r"^@tower (.*)$")  # "visited /tasks (2/3)"


def run(ctx: CheckContext) -> Measurement:
    return target.run_against(ctx, _run)


def _run(ctx: CheckContext, url: str, lines: list[str], secrets: set[str]) -> Measurement:
    opts = ctx.options
    where = table_label(ctx.check_id)
    try:
        browser = find_chromium(opts["browser_path"], root=ctx.root)
    except ToolError as exc:
        raise ToolError(exc.what, fix=exc.fix or INSTALL_HINT) from None
    folder = ctx.artifacts_dir / "pages"
    shutil.rmtree(folder, ignore_errors=True)  # a result is evidence only if this run wrote it
    folder.mkdir(parents=True)
    python, version = _toolenv.interpreter(ctx, "pages", REQUIREMENTS)
    result_path = folder / "result.json"
    spec = {
        "base_url": url, "pages": list(opts["pages"]), "runs": opts["runs"],
        "cache": opts["cache"], "viewport": viewport(opts["viewport"]),
        "wait_until": opts["wait_until"], "page_timeout_ms": opts["page_timeout"] * 1000.0,
        "login": _file(ctx, "login"), "storage_state": _file(ctx, "storage_state"),
        "axe": opts["axe"], "axe_tags": list(opts["axe_tags"]),
        "axe_disable": list(opts["axe_disable"]),
        "executable_path": browser, "launch_args": list(LAUNCH_ARGS),
        "result": str(result_path),
    }
    spec_path = folder / "spec.json"
    spec_path.write_text(json.dumps(spec, indent=1))
    done = target.run_in(ctx, folder, [python, str(VISITOR), str(spec_path)],
                         target.tool_env(lines), "pages", INSTALL, PROGRESS)
    (folder / "output.txt").write_text(done.stdout + done.stderr)
    target.mask_files(folder, secrets)
    stderr = (done.stderr.strip() + "\n" + done.stdout.strip()).strip()
    if not result_path.is_file():
        raise ToolError(f"the page visitor exited {done.returncode} without a result: "
                        "nothing was measured", command=done.argv, stderr=stderr,
                        fix=f"read its output above; {NEEDS}")
    try:
        data = json.loads(result_path.read_text(encoding="utf-8"))
        measurement = measure(data, opts["pages"], opts["runs"], opts["axe"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        message = str(exc) if isinstance(exc, ResultError) else (
            f"the page visitor wrote a result this gate cannot read ({exc!r})")
        raise ToolError(mask(message, secrets), command=done.argv, stderr=stderr,
                        fix=_fix(message, where, url)) from None
    measurement.tool = tool_name(data) or f"playwright {version}"
    measurement.findings = [Finding(f.path, f.line, f.col, f.code, mask(f.message, secrets),
                                    f.severity) for f in measurement.findings]
    measurement.artifacts.update({"result": str(result_path),
                                  "output": str(folder / "output.txt")})
    return measurement


def _file(ctx: CheckContext, key: str) -> str:
    """The absolute path of the `login` or `storage_state` file, which must be there."""
    name = ctx.options[key]
    if not name:
        return ""
    path = ctx.root / name
    if not path.is_file():
        raise ToolError(f"{key} = {name!r}: no such file under {ctx.root}",
                        fix=f"fix `{key}` in {table_label(ctx.check_id)}")
    return str(path)


def _fix(message: str, where: str, url: str) -> str:
    if "could not be measured" in message:
        return (f"open the pages named above on {url}: each must answer 2xx within "
                f"`page_timeout`; fix `pages` in {where}, or log in first (`login`)")
    if "axe-core" in message:
        return f"check `axe_tags`/`axe_disable` in {where}; read the visitor's output above"
    return f"read the visitor's output above; {NEEDS}"


CHECK_TYPE = CheckType(
    name="pages",
    run=run,
    charted=["lcp", "load_time"],
    install=INSTALL,
    help="Visit pages in a real Chromium (Playwright, isolated venv): console and page "
         "errors, failed requests, Navigation Timing and Web Vitals, axe-core accessibility.",
    metrics=METRICS,
    options=OPTIONS,
    default_conditions=["console_errors == 0", "page_errors == 0", "failed_requests == 0",
                        "a11y[critical] == 0", "a11y[serious] == 0"],
    default_timeout=600.0,
    validate=validate,
    # findings=None: a finding's place is a page of the target, not a file of the project
)
