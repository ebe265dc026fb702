"""What --tower does at pytest_configure: read gates.toml, register the run's plugins.

A broken gates.toml becomes a usage error here (exit 4, one message, no
traceback), before anything runs; the session then collects the gates only.
"""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from pytest_tower.core.config import load_pipeline
from pytest_tower.core.errors import ConfigError
from pytest_tower.run.finish import announce_worker, stop_workers
from pytest_tower.run.registry import collect_check_types
from pytest_tower.run.selection import SELECTION_KEY, Selection
from pytest_tower.run.session import TOWER_KEY, TowerSession
from pytest_tower.run.stubs import Targets, early_targets, tower_setting, write_stubs

TARGETS_KEY = pytest.StashKey[Targets]()
SIGNALS_KEY = pytest.StashKey[dict[int, Any]]()
STOP_SIGNALS = ("SIGTERM", "SIGHUP")  # what CI runners and closed terminals send

DEFAULT_CONFIG = "gates.toml"
KEEP_RUNS = 10


def start(config: pytest.Config) -> None:
    """Read gates.toml and register the session plugin; a broken file is a usage error."""
    # Through sys.modules, never a package attribute: under pytester's in-process
    # runs an attribute can be a stale module whose classes are not the current ones.
    checks = importlib.import_module("pytest_tower.checks")
    config.pluginmanager.register(checks, "tower-builtin-checks")
    path = gates_path(config)
    cli_report = config.getoption("tower_report")
    targets = config.stash.get(TARGETS_KEY, None)
    if targets is None and not _is_worker(config):  # the early hook did not run
        targets = early_stubs(config, config.option)
    try:
        pipeline = load_pipeline(path, collect_check_types(config))
        tower = TowerSession(config, pipeline, None)
    except ConfigError as exc:
        exc.path = _shown_path(Path(exc.path), config.invocation_params.dir)
        report = Path(cli_report) if cli_report else (targets.report if targets else None)
        if report is not None and not _is_worker(config):
            from pytest_tower.report.json_report import write_config_error

            write_config_error(report, str(exc))
        raise pytest.UsageError(f"pytest-tower: {exc}") from None
    tower.report_path = Path(cli_report) if cli_report else (
        pipeline.root / pipeline.report if pipeline.report else None)
    tower.selection = config.stash.get(SELECTION_KEY, Selection())
    tower.require_complete = bool(config.getoption("tower_require_complete")
                                  or tower_setting(path, "require_complete") is True)
    if config.getoption("tower_shard", None):
        _configure_shard(config, tower, report=None if tower.is_worker else (
            tower.report_path or (targets.report if targets else None)))
    if not tower.is_worker:
        if tower.report_path is not None and (targets is None or targets.report is None
                                              or targets.report != tower.report_path):
            write_stubs(Targets(tower.report_path), pipeline.path)
        prune_runs(tower.run_dir.parent)
    _stop_signals_interrupt(config, tower)
    if tower.is_worker:
        announce_worker(tower)
    config.stash[TOWER_KEY] = tower
    config.pluginmanager.register(tower, "tower-session")
    if pipeline.environments:
        from pytest_tower.environments.hooks import EnvironmentHooks

        tower.env_hooks = EnvironmentHooks(tower)
        config.pluginmanager.register(tower.env_hooks, "tower-environments")
    if config.pluginmanager.hasplugin("xdist") and not tower.is_worker:
        from pytest_tower.run.xdist import XdistControllerHooks

        config.pluginmanager.register(XdistControllerHooks(tower), "tower-xdist")
    _collect_gates_only(config, path, tower.selection.args)


def _configure_shard(config: pytest.Config, tower: TowerSession, report: Path | None) -> None:
    """--tower-shard: which part this run is; anything that cannot be a part is refused."""
    from pytest_tower.run import shard as sharding

    problem = ""
    try:
        tower.shard = sharding.parse_shard(str(config.getoption("tower_shard")))
        problem = sharding.usage_problem(tower.pipeline, tower.shard)
        tower.durations = sharding.durations_file(tower.pipeline.root,
                                                  config.getoption("tower_durations"))
        sharding.read_durations(tower.durations)
    except ValueError as exc:
        problem = str(exc)
    if not problem and tower.report_path is None:
        problem = ("a shard run needs a report for the merge to read: --tower-report PATH "
                   "or report = \"...\" in [tower]")
    for flag, dest in (("--tower-promote", "tower_promote"),
                       ("--tower-update-baseline", "tower_update_baseline")):
        if not problem and config.getoption(dest):
            problem = (f"{flag} cannot be used in a shard run: a shard measures part of the "
                       "gate; use it with --tower-merge, or in a run of the whole gate")
    if problem:
        if report is not None and not tower.is_worker:
            from pytest_tower.report.json_report import write_config_error

            write_config_error(report, problem, summary="usage error")
        raise pytest.UsageError(f"pytest-tower: {problem}")
    assert tower.shard is not None
    tower.require_complete = False  # a part is never complete: the merge judges that
    tower.selection.notes.append(
        f"shard {tower.shard.label} (from {tower.shard.source}): one part of the gate; "
        "merge every shard's report with pytest --tower-merge for the verdict")


def early_stubs(config: pytest.Config, ns: Any) -> Targets | None:
    """Replace the run's outputs by 'running' stubs (controller, before collection)."""
    if _is_worker(config):
        return None
    try:
        path = _early_gates_path(config, ns)
    except Exception:  # start() reports a bad path properly
        return None
    targets = early_targets(config, ns, path)
    write_stubs(targets, path)
    config.stash[TARGETS_KEY] = targets
    return targets


def _early_gates_path(config: pytest.Config, ns: Any) -> Path:
    option = getattr(ns, "tower_config", None)
    # absolute but not resolved: a symlinked gates.toml (a shared template) checks the
    # project it is linked into; paths in it are relative to the link's folder
    if option:
        return Path(os.path.abspath(config.invocation_params.dir / str(option)))
    ini = str(config.getini("tower_config") or DEFAULT_CONFIG)
    base = config.inipath.parent if config.inipath else config.rootpath
    return Path(os.path.abspath(base / ini))


def _stop_signals_interrupt(config: pytest.Config, tower: TowerSession) -> None:
    """SIGTERM and SIGHUP end the run like Ctrl-C: children stopped, report `interrupted`.

    Python's default is to die on the spot, leaving the child pytest, the tools
    and staging apps running and an older report in place. Only the first
    signal raises; repeats are ignored while the run cleans up.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    previous: dict[int, Any] = {}
    for name in STOP_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, _handler(tower))
    config.stash[SIGNALS_KEY] = previous


def _handler(tower: TowerSession) -> Callable[[int, FrameType | None], None]:
    def handle(signum: int, frame: FrameType | None) -> None:
        if tower.interrupted_by or (tower.finishing and not tower.stoppable):
            return  # the run is settling its environments: let it finish and write its report
        tower.interrupted_by = signal.Signals(signum).name
        stop_workers(tower)  # each stops its own tool; xdist would only kill the worker
        raise KeyboardInterrupt(f"signal {tower.interrupted_by}")

    return handle


def stop(config: pytest.Config) -> None:
    """Put back the signal handlers (in-process runs share the interpreter)."""
    for number, handler in config.stash.get(SIGNALS_KEY, {}).items():
        if threading.current_thread() is threading.main_thread():
            signal.signal(number, handler)
    config.stash[SIGNALS_KEY] = {}


def gates_path(config: pytest.Config) -> Path:
    return _early_gates_path(config, config.option)


def _collect_gates_only(config: pytest.Config, path: Path, cli_args: list[str]) -> None:
    """With --tower the session collects gates.toml and nothing else.

    Paths from ini `addopts` or `testpaths` are the project's tests, not gates.
    An xdist worker gets the controller's node ids (checked there) in workerinput.
    """
    if _is_worker(config):
        selected = list(config.workerinput.get("tower_selection_args", ()))  # type: ignore[attr-defined]
        config.args = [a for a in selected if "::" in a] or [str(path)]
        return
    if config.args_source != pytest.Config.ArgsSource.ARGS or not cli_args:
        config.args = [str(path)]
        return
    for arg in config.args:
        target = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if target != path.resolve():
            raise pytest.UsageError(
                f"pytest-tower: with --tower pytest collects the gates in {path} only, "
                f"and {arg!r} is not one of them. Select gates with -k or a node id like "
                f"'{path.name}::lint::ruff'; the project's tests run inside a test stage "
                "(or run them without --tower)."
            )


def prune_runs(runs: Path, keep: int = KEEP_RUNS) -> None:
    """Keep the newest run folders only (their names sort by time)."""
    if runs.is_dir():
        for old in sorted(p for p in runs.iterdir() if p.is_dir())[:-keep]:
            shutil.rmtree(old, ignore_errors=True)


def _shown_path(path: Path, cwd: Path) -> Path:
    try:
        return path.relative_to(cwd)
    except ValueError:
        return path


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


