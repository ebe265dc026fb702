"""pytest entry point: options and hooks only.

Without --tower nothing else of pytest-tower is imported and no hook does
any work: a user's ordinary `pytest` run is unchanged.
"""

from __future__ import annotations

import pytest


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


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """--tower-show: a look at the history for people without a browser; runs nothing."""
    metric = config.getoption("tower_show")
    if metric is None:
        return None
    from pytest_tower.show import show_history

    return show_history(config, metric or None)


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
def tower_deployment() -> dict:  # type: ignore[type-arg]
    """The deployment under test: url, release, version, artifact, sha256, log_path."""
    import json
    import os

    data = os.environ.get("TOWER_DEPLOYMENT", "")
    if not data:
        pytest.skip("tower_deployment: this test stage has no environment; set "
                    'environment = "staging" in its gates.toml table')
    return json.loads(data)


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("tower"):
        from pytest_tower.startup import start

        start(config)
