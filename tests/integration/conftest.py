"""Fixtures shared by the integration tests: the environments demo project."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

DEMO = Path(__file__).resolve().parents[2] / "examples" / "tasktower"

PROBE = """
import json, urllib.request
from pytest_tower import CheckType, Measurement, MetricSpec, Option, ToolError

def probe(ctx):
    env = ctx.environment
    if env is None:
        raise ToolError("no environment")
    with urllib.request.urlopen(env.url + ctx.options["path"], timeout=10) as response:
        status = response.status
    with open(ctx.options["log"], "a") as fh:
        fh.write(json.dumps({"check": ctx.check_id, "url": env.url,
                             "release": env.deployment["release"]}) + "\\n")
    return Measurement({"status": status, "bad": ctx.options["bad"]}, tool="urllib")

def pytest_tower_check_types():
    return [CheckType("probe", probe, [MetricSpec("status"), MetricSpec("bad")],
                      options={"path": Option("str", default="/healthz"),
                               "log": Option("str", required=True),
                               "bad": Option("int", default=0)},
                      default_conditions=["status == 200", "bad == 0"])]
"""

GATES = """
[build.package]
isolated = false

[environments.staging]
command = "gunicorn --no-control-socket --bind 127.0.0.1:{{port}} --workers 1 tasktower.app:app"
env = {{ TASKTOWER_DB = "{{state}}/tasks.db" }}
health = "/healthz"
conditions = ["app_errors == 0"]

[environments.production]
command = "gunicorn --no-control-socket --bind 127.0.0.1:{{port}} --workers 1 tasktower.app:app"
env = {{ TASKTOWER_DB = "{{state}}/tasks.db" }}

[smoke.health]
tool = "probe"
environment = "staging"
log = "{log}"

[smoke.tasks]
tool = "probe"
environment = "staging"
path = "/tasks"
log = "{log}"
bad = {bad}

[release.smoke]
tool = "probe"
environment = "production"
log = "{log}"
"""


@pytest.fixture
def demo(pytester: pytest.Pytester) -> Iterator[pytest.Pytester]:
    """The demo app (pyproject, package) with the `probe` check type, stopped afterwards."""
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(DEMO / name, pytester.path / name)
    shutil.copytree(DEMO / "tasktower", pytester.path / "tasktower")
    pytester.makeconftest(PROBE)
    yield pytester
    _stop_everything(pytester.path)


def _stop_everything(root: Path) -> None:
    for state in root.glob(".tower/envs/*/state.json"):
        for entry in json.loads(state.read_text()).get("history", []):
            if entry.get("pid"):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(entry["pid"], signal.SIGKILL)


@pytest.fixture
def stop_everything() -> Callable[[Path], None]:
    """Leave nothing running, whatever a failing test left behind."""
    return _stop_everything


@pytest.fixture
def write_gates() -> Callable[..., Path]:
    """write_gates(demo, bad=0): the demo's gates.toml; returns the probes' log file."""

    def write(demo: pytest.Pytester, bad: int = 0) -> Path:
        log = demo.path / "probes.jsonl"
        (demo.path / "gates.toml").write_text(GATES.format(log=log, bad=bad))
        return log

    return write


@pytest.fixture
def probes() -> Callable[[Path], list[dict[str, Any]]]:
    """probes(log): what each probe check saw (check, url, release), in order."""

    def read(log: Path) -> list[dict[str, Any]]:
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    return read
