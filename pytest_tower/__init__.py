"""pytest-tower: a project's whole release pipeline as one pytest quality gate.

Public API for plugins that add check types: CheckType, CheckContext,
MetricSpec, Option, Measurement, Finding, ToolError.
"""

from pytest_tower.model import (
    CheckContext,
    CheckType,
    Finding,
    Measurement,
    MetricSpec,
    Option,
    ToolError,
)

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
