"""pytest entry point: options and hooks only.

Without --tower nothing else of pytest-tower is imported and no hook does
any work: a user's ordinary `pytest` run is unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Generator

    from pytest_tower.run.stubs import Targets


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_tower import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tower", "pytest-tower: the release pipeline as one quality gate")
    group.addoption(
        "--tower",
        action="store_true",
        default=False,
        help="run the gates in gates.toml instead of collecting tests; exit 0 only if all hold",
    )
    group.addoption(
        "--tower-config",
        metavar="PATH",
        default=None,
        help="the gates file (default: ini tower_config, else gates.toml at the rootdir)",
    )
    group.addoption(
        "--tower-report",
        metavar="PATH",
        default=None,
        help="write the JSON report here (overrides [tower] report)",
    )
    group.addoption(
        "--tower-update-baseline",
        action="store_true",
        default=False,
        help="if the gate passes, record its metrics as the baseline that "
        "conditions like 'p95 <= baseline * 1.10' compare against",
    )
    group.addoption(
        "--tower-promote",
        action="store_true",
        default=False,
        help="also deploy to the promote-only environments (production) once every gate "
        "before them held; without it production is never touched",
    )
    group.addoption(
        "--tower-require-complete",
        action="store_true",
        default=False,
        help="fail a partial run (one where -k, -m, --lf, ... left checks out); "
        "also [tower] require_complete = true",
    )
    for name, what in (("markdown", "a Markdown summary (also appended to "
                                     "$GITHUB_STEP_SUMMARY when set)"),
                       ("sarif", "one SARIF 2.1.0 file of ruff and bandit findings"),
                       ("html", "one self-contained HTML page with trends from history")):
        group.addoption(f"--tower-{name}", metavar="PATH", default=None, help=f"write {what}")
    group.addoption(
        "--tower-history-keep",
        metavar="N",
        type=_positive_int,
        default=None,
        help="keep only the last N runs in the history (default: all)",
    )
    group.addoption(
        "--tower-show",
        nargs="?",
        const="",
        default=None,
        metavar="METRIC",
        help="print the last run and a metric's trend from the history, then exit "
        "(e.g. violations, lint::ruff:violations, duration)",
    )
    group.addoption("--tower-rollback", metavar="ENV[=RELEASE]", default=None, help=(
        "roll environment ENV of gates.toml back to its previous verified release (or RELEASE, "
        "e.g. staging=r5), health-check it, record who, when and why; runs no gate"))
    group.addoption("--tower-reason", metavar="TEXT", default=None, help=(
        "why --tower-rollback rolls back (required; kept in state, history and report)"))
    group.addoption("--tower-status", nargs="?", const="", default=None, metavar="ENV", help=(
        "print each environment's releases (current, verified, previous; when, by whom, "
        "which run), or only ENV's; runs no gate"))
    group.addoption(
        "--tower-shard",
        metavar="K/N",
        default=None,
        help="run shard K of N: the test stages run only their share of the tests, other "
        "checks run in one shard; 'auto' reads $CI_NODE_INDEX/$CI_NODE_TOTAL (GitLab) or "
        "$TOWER_SHARD=K/N (a GitHub Actions matrix). Merge the shards with --tower-merge",
    )
    group.addoption(
        "--tower-merge",
        nargs="+",
        metavar="DIR_OR_REPORT",
        default=None,
        help="merge the reports (and data) of shards or of jobs split by stage into one "
        "verdict and every output; runs no gate",
    )
    group.addoption(
        "--tower-durations",
        metavar="PATH",
        default=None,
        help="per-test durations that balance the shards (default .tower/durations.json, "
        "relative to gates.toml; commit it so every shard reads the same)",
    )
    group.addoption(
        "--tower-store-durations",
        action="store_true",
        default=False,
        help="write the test stages' per-test durations to the durations file",
    )
    parser.addini("tower_config", "the gates file, relative to the ini file", default=None)


def _positive_int(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("keep at least 1 run")
    return value


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser,
                                  args: list[str]) -> object:
    """Before the project's conftest.py loads: replace this run's outputs by stubs.

    So a conftest.py that cannot be imported (or a crash, a kill) never leaves
    an older passing report behind; the import error itself becomes the report.
    """
    ns = early_config.known_args_namespace
    if not getattr(ns, "tower", False) or _early_exit(ns):
        return (yield)
    from pytest_tower.run.start import early_stubs

    targets = early_stubs(early_config, ns)
    try:
        return (yield)
    except SystemExit as exc:  # sys.exit(0) at conftest import must not end the gate with 0
        message = (f"conftest.py could not be loaded: it called sys.exit({exc.code!r}) while "
                   "being imported; no gate ran")
        _report_error(targets, message, "conftest error")
        raise pytest.UsageError(f"pytest-tower: {message}") from None
    except Exception as exc:
        cause = getattr(exc, "cause", exc)
        _report_error(targets, "conftest.py could not be loaded: "
                      f"{type(cause).__name__}: {cause}", "conftest error")
        raise


def _report_error(targets: Targets | None, message: str, summary: str) -> None:
    """Best effort: this run's JSON report says why no gate ran (the caller raises)."""
    if targets is None or targets.report is None:
        return
    import contextlib

    from pytest_tower.report.json_report import write_config_error

    with contextlib.suppress(OSError):
        write_config_error(targets.report, message, summary=summary)


def _early_exit(ns: object) -> bool:
    """Runs that measure nothing and must not touch the outputs.

    (An xdist worker cannot be told apart this early; its stub is harmless: the
    controller writes the final report after every worker has finished.)
    """
    return bool(getattr(ns, "help", False) or getattr(ns, "version", False)
                or (getattr(ns, "tower_show", None) is not None
                    and not getattr(ns, "tower", False)))  # both: refused, report says so


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """--tower: selection from the command line only. --tower-show: history, runs nothing."""
    if config.getoption("tower_merge", None):
        from pytest_tower.run.merge import merge_main

        return merge_main(config)
    if config.getoption("tower_rollback", None) is not None or config.getoption(
            "tower_status", None) is not None:
        from pytest_tower.run.rollback import on_demand_main

        return on_demand_main(config)
    metric = config.getoption("tower_show")
    if metric is not None and config.getoption("tower"):
        message = ("--tower-show prints the history and runs no gate; run it on its own "
                   "(`pytest --tower-show`), and the gate as a separate `pytest --tower` step")
        from pytest_tower.run.start import TARGETS_KEY

        _report_error(config.stash.get(TARGETS_KEY, None), message, "usage error")
        raise pytest.UsageError(f"pytest-tower: {message}")
    if metric is None:
        if config.getoption("tower") and not hasattr(config, "workerinput"):
            from pytest_tower.run.selection import SELECTION_KEY, command_line_only, refuse_listing

            config.stash[SELECTION_KEY] = command_line_only(config)
            refuse_listing(config)
        return None
    from pytest_tower.history.show import show_history

    return show_history(config, metric or None)


@pytest.hookimpl(wrapper=True, tryfirst=True, specname="pytest_cmdline_main")
def pytest_cmdline_main_tower_exit(config: pytest.Config) -> Generator[None, object, object]:
    """With --tower, exit 0 comes from a passing verdict only.

    A project's conftest.py or a plugin can end the session early with status 0
    (`pytest.exit(returncode=0)` in pytest_sessionstart) or rewrite the status
    afterwards (`session.exitstatus = 0` in pytest_sessionfinish, the common
    "exit 5 -> 0" snippet): the gate then exits 1 instead.
    """
    result = yield
    if (not config.getoption("tower") or hasattr(config, "workerinput")
            or config.getoption("help", False) or result not in (0, pytest.ExitCode.OK)
            or config.getoption("tower_merge", None)):  # the merge sets its own status
        return result
    from pytest_tower.run.session import TOWER_KEY

    tower = config.stash.get(TOWER_KEY, None)
    verdict = getattr(tower, "verdict", None)
    if (tower is not None and verdict is not None and verdict.passed
            and not tower.internal_errors and not tower.interrupted_by):
        return result
    import sys

    why = ("the gate's verdict is not a pass" if verdict is not None
           else "the session ended before the gate reached a verdict")
    sys.stderr.write(f"pytest-tower: exit status 0 refused: {why} (a conftest.py or plugin "
                     "ended the session or changed its exit status); exiting 1\n")
    return pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def tower_base_url() -> str:
    """The URL of the deployment a test stage checks (its `base_url` or `environment`).

    Outside a test stage of `pytest --tower` there is none, and tests using it skip.
    """
    import os

    url = os.environ.get("TOWER_BASE_URL", "")
    if not url:
        pytest.skip("tower_base_url: no target for this run ($TOWER_BASE_URL is not set); "
                    "set base_url or environment in the test stage's gates.toml table")
    return url


@pytest.fixture(scope="session")
def tower_deployment() -> dict[str, Any]:
    """The deployment under test: url, release, version, artifact, sha256, log_path."""
    import json
    import os

    data = os.environ.get("TOWER_DEPLOYMENT", "")
    if not data:
        pytest.skip("tower_deployment: this test stage has no environment; set "
                    'environment = "staging" in its gates.toml table')
    value = json.loads(data)
    return value if isinstance(value, dict) else {}


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("tower"):
        from pytest_tower.run.start import start

        start(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.getoption("tower"):
        from pytest_tower.run.start import stop

        stop(config)
