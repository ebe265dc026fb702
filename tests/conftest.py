"""Shared helpers: tmp projects with a gates.toml, fake tools for fault injection."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def gates(pytester: pytest.Pytester):
    """Write gates.toml into the pytester project from a dedented string."""

    def write(text: str) -> Path:
        return pytester.makefile(".toml", gates=textwrap.dedent(text))

    return write


@pytest.fixture
def fake_tool(pytester: pytest.Pytester):
    """An executable script standing in for a tool, only to inject a fault."""

    def make(name: str, body: str) -> Path:
        folder = pytester.path / "fakebin"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return path

    return make


def read_report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def no_traceback(text: str) -> bool:
    return "Traceback" not in text and "INTERNALERROR" not in text


def isolated_env() -> dict[str, str]:
    """Environment for subprocess runs that must not see the dev's PATH tweaks."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}


@dataclass
class TowerRun:
    """What one `pytest --tower` run left: exit code, all output, its verdict line, report."""

    rc: int
    output: str
    report: dict[str, Any] | None

    @property
    def verdict_line(self) -> str:
        lines = [ln.strip("= ") for ln in self.output.splitlines() if "TOWER GATE" in ln]
        return lines[-1] if lines else ""


@pytest.fixture
def run_tower(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """Run `pytest --tower --tower-report=report.json` on a small project.

    run_tower(gates_text, *args, files={path: text}, setup=fn(project_dir),
    env={NAME: value}, subprocess=False, signal_when=(SIGNUM, relative_path),
    plant_report=text) -> TowerRun. `plant_report` is written to report.json
    first, so a run that never replaces it is seen.
    """

    def run(gates_text: str, *args: str, files: Mapping[str, str] | None = None,
            setup: Callable[[Path], None] | None = None, env: Mapping[str, str] | None = None,
            subprocess: bool = False, signal_when: tuple[int, str] | None = None,
            timeout: float = 120.0, plant_report: str | None = None) -> TowerRun:
        project = pytester.path
        (project / "gates.toml").write_text(textwrap.dedent(gates_text))
        for name, text in (files or {}).items():
            path = project / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        report = project / "report.json"
        if plant_report is not None:
            report.write_text(plant_report)
        if setup is not None:
            setup(project)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        argv = ["--tower", "--tower-report=report.json", *args]
        if signal_when is not None:
            rc, output = _run_and_signal(pytester, argv, *signal_when, timeout=timeout)
        elif subprocess:
            result = pytester.runpytest_subprocess(*argv, timeout=timeout)
            rc, output = int(result.ret), result.stdout.str() + "\n" + result.stderr.str()
        else:
            result = pytester.runpytest(*argv)
            rc, output = int(result.ret), result.stdout.str() + "\n" + result.stderr.str()
        data: dict[str, Any] | None = None
        if report.is_file():
            try:
                data = json.loads(report.read_text())
            except ValueError:
                data = {"verdict": "<unreadable report>"}
        return TowerRun(rc, output, data)

    return run


def _run_and_signal(pytester: pytest.Pytester, argv: list[str], signum: int, marker: str,
                    *, timeout: float) -> tuple[int, str]:
    """Start pytest in a child; once `marker` exists in the project, send it `signum`."""
    out_path = pytester.path / "run-output.txt"
    with out_path.open("wb") as out:
        proc = pytester.popen([sys.executable, "-m", "pytest", *argv], stdout=out,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        target = pytester.path / marker
        while not target.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            proc.send_signal(signum)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
    return rc, out_path.read_text(errors="replace")
