"""Environments: deploy targets that checks and tests reach as fixtures.

`open_environment(spec, root, state_dir)` gives the strategy's Environment;
its state lives in state_dir/<name>/ (state.json, lock, releases/).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_tower.core.env_spec import (
        ENVIRONMENT_OPTIONS,
        EnvConfigError,
        EnvironmentSpec,
        parse_environment,
    )
    from pytest_tower.environments.base import Environment
    from pytest_tower.environments.model import (
        DeployError,
        Deployment,
        EnvError,
        EnvLockedError,
        RollbackError,
        RollbackResult,
    )

# Loaded on first use: a pipeline without environments should not pay for the
# strategies (subprocess, http, psutil...). The table readers live in core/env_spec.py.
_SPEC = "pytest_tower.core.env_spec"
_WHERE = {
    "Environment": f"{__name__}.base",
    **{name: f"{__name__}.model" for name in (
        "DeployError", "Deployment", "EnvError", "EnvLockedError", "RollbackError",
        "RollbackResult")},
    **{name: _SPEC for name in (
        "ENVIRONMENT_OPTIONS", "EnvConfigError", "EnvironmentSpec", "parse_environment")},
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
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_environment(spec: EnvironmentSpec, root: Path, state_dir: Path) -> Environment:
    """The Environment for spec's strategy; nothing runs until deploy()."""
    if spec.strategy == "command":
        from pytest_tower.environments.command import CommandEnvironment

        return CommandEnvironment(spec, root, state_dir)
    from pytest_tower.environments.local import LocalEnvironment

    return LocalEnvironment(spec, root, state_dir)
