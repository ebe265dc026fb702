"""Loaded into the child pytest of a `tests` stage with `-p <this module>`.

It writes every event as one JSON line, flushed at once, to the file named by
$TOWER_CHILD_RESULTS: exact outcomes (JUnit XML folds xfail into skipped and
an xpass into a pass), collection errors and crashed xdist workers that
pytest's exit code blurs, and — because a line is written when a test starts —
the test that was running when the process died. Under xdist only the
controller writes; it sees every worker's reports.

It also offers the `tower_base_url` fixture: the stage's target ($TOWER_BASE_URL).

In a UI stage ($TOWER_BROWSER_PATH set) it makes pytest-playwright launch the
browser the gate found (`BrowserLauncher`), and records on each test's report
which browser the test ran in and the artifacts (screenshot, trace, video)
pytest-playwright kept for it, so the gate can tell a UI test from one that
never opened a page.

In a shard run ($TOWER_CHILD_SHARD = "K/N") it keeps only shard K's share of
the items (split.py), on xdist workers too (each computes the same split), and
writes what it collected and kept to $TOWER_CHILD_SHARD_ITEMS, so the merge can
prove that every item ran in exactly one shard.
"""

from __future__ import annotations

import json
import os
from typing import IO, Any

import pytest

# The same fixtures a plain `pytest` run gets from the plugin (where they skip).
from pytest_tower.plugin import tower_base_url, tower_deployment  # noqa: F401

RESULTS_ENV = "TOWER_CHILD_RESULTS"
SHARD_ENV = "TOWER_CHILD_SHARD"  # "K/N"
SHARD_DURATIONS_ENV = "TOWER_CHILD_SHARD_DURATIONS"  # a JSON file {node id: seconds}, or ""
SHARD_ITEMS_ENV = "TOWER_CHILD_SHARD_ITEMS"  # where the kept and collected ids are written
BASE_URL_ENV = "TOWER_BASE_URL"
BROWSER_PATH_ENV = "TOWER_BROWSER_PATH"  # a UI stage: the browser executable to launch
ARTIFACT_PREFIX = "playwright_"  # pytest-playwright's user properties: playwright_screenshot...
BROWSER_ATTR = "tower_browser"  # on a call report: {version, executable, base_url} it ran with
MAX_REASON = 300


# Options that make pytest run only part of the suite on the strength of an
# earlier run (pytest's cache): a pass then proves nothing about the rest.
PARTIAL_OPTIONS = {"lf": "--lf", "stepwise": "--sw", "stepwise_skip": "--sw-skip"}


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get(SHARD_ENV):
        config.pluginmanager.register(ShardSelector(os.environ[SHARD_ENV]), "tower-child-shard")
    if os.environ.get(BROWSER_PATH_ENV):
        config.pluginmanager.register(BrowserLauncher(os.environ[BROWSER_PATH_ENV], config),
                                      "tower-child-browser")
    path = os.environ.get(RESULTS_ENV)
    if path and not hasattr(config, "workerinput"):
        recorder = Recorder(path)
        config.pluginmanager.register(recorder, "tower-child-recorder")
        env_opts = os.environ.get("PYTEST_ADDOPTS", "").split()
        recorder.write(event="options",
                       addopts=[str(a) for a in config.getini("addopts")] + env_opts,
                       partial=[flag for name, flag in PARTIAL_OPTIONS.items()
                                if config.getoption(name, default=False)],
                       markexpr=str(config.getoption("markexpr", default="") or ""),
                       keyword=str(config.getoption("keyword", default="") or ""))


def reason(report: Any) -> str:
    """The one line pytest's short summary shows for a failure or a skip."""
    if report.skipped and isinstance(report.longrepr, tuple):  # (path, lineno, "Skipped: x")
        return _cut(str(report.longrepr[2]).removeprefix("Skipped: "))
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None and crash.message else report.longreprtext
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    if crash is None:  # a plain-text repr: the last "E   ..." line names the exception
        errors = [line[1:].strip() for line in lines if line.startswith("E ")]
        lines = errors[-1:] or lines[-1:]
    return _cut(lines[0] if lines else "(no message)")


def _cut(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


class Recorder:
    def __init__(self, path: str) -> None:
        self.file: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed at unconfigure

    def write(self, **event: Any) -> None:
        self.file.write(json.dumps(event) + "\n")
        self.file.flush()

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.write(event="start", nodeid=nodeid)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        event: dict[str, Any] = {"nodeid": report.nodeid, "when": report.when,
                                 "outcome": report.outcome, "duration": report.duration}
        if hasattr(report, "wasxfail"):
            event["xfail"] = True
            event["reason"] = _cut(str(report.wasxfail))
        elif report.skipped:
            event["reason"] = reason(report)
        if report.failed:
            event["reason"] = reason(report)
            event["crashed"] = report.when not in ("setup", "call", "teardown")
        browser = getattr(report, BROWSER_ATTR, None)
        if browser:
            event["browser"] = browser
        kept = [[str(name).removeprefix(ARTIFACT_PREFIX), str(value)]
                for name, value in report.user_properties
                if str(name).startswith(ARTIFACT_PREFIX)]
        if kept:
            event["artifacts"] = kept
        self.write(event="report", **event)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.write(event="collect_error", nodeid=report.nodeid or ".", reason=reason(report))

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.write(event="deselected", count=len(items))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.write(event="collected", count=len(session.items))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.write(event="collected", count=len(ids), worker=node.gateway.id)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object | None) -> None:
        if error is not None:
            self.write(event="worker_down", worker=node.gateway.id, error=str(error))

    def pytest_internalerror(self, excrepr: Any) -> None:
        lines = str(excrepr).strip().splitlines() or ["(no message)"]
        self.write(event="internal_error", reason=lines[-1])

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.write(event="interrupted", reason=excinfo.exconly())

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.write(event="finish", exitstatus=int(session.exitstatus),
                   stop=str(session.shouldstop or session.shouldfail or ""))

    def pytest_unconfigure(self) -> None:
        self.file.close()


class BrowserLauncher:
    """pytest-playwright launches the gate's browser; each test says whether it used one.

    The launch options are pytest-playwright's `browser_type_launch_args`
    fixture value: the executable (unless the project named its own) and the
    flags that keep a CI Chromium quiet (checks/browser.py) are added to it as
    it is set up, whoever defines the fixture (a conftest override included).
    Under xdist each worker launches its own browser and writes into its own
    `--output` subfolder: pytest-playwright empties its output folder when a
    session starts, which on a second worker would delete the first one's
    artifacts (the gate empties the whole folder before the run).
    """

    def __init__(self, executable: str, config: pytest.Config) -> None:
        self.executable = executable
        self.launched_with = executable
        worker = getattr(config, "workerinput", {}).get("workerid")
        output = getattr(config.option, "output", None)
        if worker and isinstance(output, str):
            config.option.output = os.path.join(output, str(worker))

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: Any) -> Any:
        result = yield
        if fixturedef.argname == "browser_type_launch_args" and isinstance(result, dict):
            from pytest_tower.checks.browser import LAUNCH_ARGS

            result.setdefault("executable_path", self.executable)
            self.launched_with = str(result["executable_path"])
            given = [str(arg) for arg in result.get("args") or []]
            result["args"] = given + [arg for arg in LAUNCH_ARGS if arg not in given]
        return result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: Any) -> Any:
        report = yield
        browser = getattr(item, "funcargs", {}).get("browser")
        if report.when == "call" and browser is not None:
            try:
                version = str(browser.version)
            except Exception:  # a closed browser: no evidence, and no crash
                version = ""
            if version:  # and the base_url its pages resolved against, as given
                base_url = getattr(item, "funcargs", {}).get("base_url")
                setattr(report, BROWSER_ATTR, {"version": version,
                                               "executable": self.launched_with,
                                               "base_url": str(base_url or "")})
        return report


class ShardSelector:
    """Deselects the items of the other shards, after every other selection (-m, -k)."""

    def __init__(self, shard: str) -> None:
        index, total = shard.split("/")
        self.shard, self.index, self.total = shard, int(index), int(total)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        from pytest_tower.checks.pytest_suite.split import split

        durations = _durations(os.environ.get(SHARD_DURATIONS_ENV, ""))
        ids = [item.nodeid for item in items]
        mine = set(split(ids, self.total, durations)[self.index - 1])
        kept = [item for item in items if item.nodeid in mine]
        dropped = [item for item in items if item.nodeid not in mine]
        target = os.environ.get(SHARD_ITEMS_ENV)
        if target:  # every xdist worker writes the same content; the last one stays
            known = sum(1 for i in ids if i in durations)
            _write_atomic(target, {"shard": self.shard, "collected": ids,
                                   "selected": [i.nodeid for i in kept],
                                   "balanced_by": "durations" if known else "count",
                                   "durations_known": known})
        if dropped:
            items[:] = kept
            config.hook.pytest_deselected(items=dropped)


def _durations(path: str) -> dict[str, float]:
    if not path:
        return {}
    with open(path, encoding="utf-8") as file:
        data = json.load(file)
    return {str(k): float(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_atomic(path: str, data: Any) -> None:
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(data, file)
    os.replace(temporary, path)
