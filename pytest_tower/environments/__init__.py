"""Environments: deploy targets that checks and tests reach as fixtures.

`open_environment(spec, root, state_dir)` gives the strategy's Environment;
its state lives in state_dir/<name>/ (state.json, lock, releases/).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_tower.environments.base import Environment
    from pytest_tower.environments.model import (
        DeployError,
        Deployment,
        EnvError,
        EnvLockedError,
        RollbackError,
        RollbackResult,
    )
    from pytest_tower.environments.spec import (
        ENVIRONMENT_OPTIONS,
        EnvConfigError,
        EnvironmentSpec,
        parse_environment,
    )

# Loaded on first use: reading gates.toml imports environments.config, and a pipeline
# without environments should not pay for the strategies (subprocess, http, psutil...).
_WHERE = {
    "Environment": "base",
    "DeployError": "model", "Deployment": "model", "EnvError": "model",
    "EnvLockedError": "model", "RollbackError": "model", "RollbackResult": "model",
    "ENVIRONMENT_OPTIONS": "spec", "EnvConfigError": "spec", "EnvironmentSpec": "spec",
    "parse_environment": "spec",
}
__all__ = [
    "ENVIRONMENT_OPTIONS",
    "DeployError",
    "Deployment",
    "EnvConfigError",
    "EnvError",
    "EnvLockedError",
    "Environment",
    "EnvironmentSpec",
    "RollbackError",
    "RollbackResult",
    "open_environment",
    "parse_environment",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_environment(spec: EnvironmentSpec, root: Path, state_dir: Path) -> Environment:
    """The Environment for spec's strategy; nothing runs until deploy()."""
    if spec.strategy == "command":
        from pytest_tower.environments.command import CommandEnvironment

        return CommandEnvironment(spec, root, state_dir)
    from pytest_tower.environments.local import LocalEnvironment

    return LocalEnvironment(spec, root, state_dir)
