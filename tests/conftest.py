"""Shared fixtures: tmp projects with a gates.toml, fake tools for fault injection."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _no_variables_of_an_outer_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    """This suite runs as a test stage of our own `pytest --tower`: the stage's TOWER_*
    variables (results file, base URL, deployment) must not reach the gates it tests."""
    for name in [n for n in os.environ if n.startswith("TOWER_")]:
        monkeypatch.delenv(name)



@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytester whose in-process runs leave pytest-playwright out.

    Its pytest_runtest_call wrapper opens a soft-assertion scope that Playwright
    refuses to nest, so a session run inside a test's session fails every item
    ("nested soft assertion scopes are not supported"). A real `pytest --tower`
    is one session, and the test stages' children (subprocesses) keep the plugin.
    """
    inline_run = pytester.inline_run

    def without_playwright(*args: Any, **kwargs: Any) -> Any:
        return inline_run("-p", "no:playwright", *args, **kwargs)

    monkeypatch.setattr(pytester, "inline_run", without_playwright)
    return pytester

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


@pytest.fixture
def read_report() -> Callable[[Path], dict[str, Any]]:
    """Parse a JSON report a run wrote; a missing or broken one fails the test loudly."""

    def read(path: Path) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    return read


def _clean(text: str) -> bool:
    return "Traceback" not in text and "INTERNALERROR" not in text


@pytest.fixture
def no_traceback() -> Callable[[str], bool]:
    """no_traceback(text): True when text shows no traceback or INTERNALERROR (faults are
    reported, never crash the plugin)."""
    return _clean


@dataclass
class TowerRun:
    """What one `pytest --tower` run left: exit code, all output, its verdict line, report."""

    rc: int
    output: str
    report: dict[str, Any] | None
    stdout: pytest.LineMatcher = field(default_factory=lambda: pytest.LineMatcher([]))
    stderr: pytest.LineMatcher = field(default_factory=lambda: pytest.LineMatcher([]))

    @property
    def verdict_line(self) -> str:
        lines = [ln.strip("= ") for ln in self.output.splitlines() if "TOWER GATE" in ln]
        return lines[-1] if lines else ""

    @property
    def check(self) -> dict[str, Any]:
        """The report's only check, for gates with one check."""
        assert self.report is not None, self.output
        (only,) = self.report["checks"]
        return dict(only)

    @property
    def clean(self) -> bool:
        """No traceback or INTERNALERROR anywhere in the output."""
        return _clean(self.output)


@pytest.fixture
def run_tower(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """Run `pytest --tower --tower-report=report.json` on a small project.

    run_tower(gates_text, *args, files={path: text}, setup=fn(project_dir),
    env={NAME: value}, subprocess=False, signal_when=(SIGNUM, relative_path),
    plant_report=text) -> TowerRun. gates_text None keeps the gates.toml the
    test wrote. `plant_report` is written to report.json first, so a run that
    never replaces it is seen. Like pytester's RunResult, `stdout`/`stderr` are
    LineMatchers (for a signalled run, stdout holds both); `check` is the only
    check of the report, `clean` means no traceback anywhere.
    """

    def run(gates_text: str | None, *args: str, files: Mapping[str, str] | None = None,
            setup: Callable[[Path], None] | None = None, env: Mapping[str, str] | None = None,
            subprocess: bool = False, signal_when: tuple[int, str] | None = None,
            timeout: float = 120.0, plant_report: str | None = None) -> TowerRun:
        project = pytester.path
        if gates_text is not None:  # None: keep the gates.toml the test wrote
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
            stdout, stderr = pytest.LineMatcher(output.splitlines()), pytest.LineMatcher([])
        else:
            result = (pytester.runpytest_subprocess(*argv, timeout=timeout) if subprocess
                      else pytester.runpytest(*argv))
            rc, stdout, stderr = int(result.ret), result.stdout, result.stderr
            output = stdout.str() + "\n" + stderr.str()
        data: dict[str, Any] | None = None
        if report.is_file():
            try:
                data = json.loads(report.read_text())
            except ValueError:
                data = {"verdict": "<unreadable report>"}
        return TowerRun(rc, output, data, stdout, stderr)

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


@pytest.fixture
def process_gone() -> Callable[[int], bool]:
    """process_gone(pid) -> True once pid no longer runs (gone, or a zombie nobody reaped),
    waiting up to 10 s: how tests prove a stopped run left no orphan."""

    def gone(pid: int, within: float = 10.0) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (FileNotFoundError, IndexError):
                return True
            if state in ("Z", "X"):
                return True
            time.sleep(0.05)
        return False

    return gone
