"""What --tower does at pytest_configure: read gates.toml, register the run's plugins.

A broken gates.toml becomes a usage error here (exit 4, one message, no
traceback), before anything runs; the session then collects the gates only.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest

from pytest_tower.config import load_pipeline
from pytest_tower.errors import ConfigError
from pytest_tower.registry import collect_check_types
from pytest_tower.session import TOWER_KEY, TowerSession, XdistControllerHooks

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
    try:
        pipeline = load_pipeline(path, collect_check_types(config))
        tower = TowerSession(config, pipeline, None)
    except ConfigError as exc:
        exc.path = _shown_path(Path(exc.path), config.invocation_params.dir)
        if cli_report and not _is_worker(config):
            from pytest_tower.report.json_report import write_config_error

            write_config_error(Path(cli_report), str(exc))
        raise pytest.UsageError(f"pytest-tower: {exc}") from None
    tower.report_path = Path(cli_report) if cli_report else (
        pipeline.root / pipeline.report if pipeline.report else None)
    if not tower.is_worker:
        prune_runs(tower.run_dir.parent)
    config.stash[TOWER_KEY] = tower
    config.pluginmanager.register(tower, "tower-session")
    if pipeline.environments:
        from pytest_tower.env_session import EnvironmentHooks

        tower.env_hooks = EnvironmentHooks(tower)
        config.pluginmanager.register(tower.env_hooks, "tower-environments")
    if config.pluginmanager.hasplugin("xdist") and not tower.is_worker:
        config.pluginmanager.register(XdistControllerHooks(tower), "tower-xdist")
    _collect_gates_only(config, path)


def gates_path(config: pytest.Config) -> Path:
    option = config.getoption("tower_config")
    if option:
        return (config.invocation_params.dir / option).resolve()
    ini = config.getini("tower_config")
    base = config.inipath.parent if config.inipath else config.rootpath
    return (base / (ini or DEFAULT_CONFIG)).resolve()


def _collect_gates_only(config: pytest.Config, path: Path) -> None:
    """With --tower the session collects gates.toml and nothing else."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = [str(path)]
        return
    for arg in config.args:
        target = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if target != path:
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


