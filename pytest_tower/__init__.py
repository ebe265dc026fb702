"""pytest-tower: a project's whole release pipeline as one pytest quality gate.

Public API for plugins that add check types: CheckType, CheckContext,
MetricSpec, Option, Measurement, Finding, ToolError. They are loaded on
first use, so that pytest loading this plugin without --tower costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "CheckContext",
    "CheckType",
    "Finding",
    "Measurement",
    "MetricSpec",
    "Option",
    "ToolError",
    "__version__",
]

if TYPE_CHECKING:
    from pytest_tower.core.model import (
        CheckContext,
        CheckType,
        Finding,
        Measurement,
        MetricSpec,
        Option,
        ToolError,
    )


def __getattr__(name: str) -> Any:
    if name in __all__:
        import importlib  # through sys.modules, so a re-imported model is the one used

        return getattr(importlib.import_module("pytest_tower.core.model"), name)
    raise AttributeError(f"module 'pytest_tower' has no attribute {name!r}")
