"""Fault cases: the ruff gate."""

from __future__ import annotations

from tests.integration.faults import FaultCase

CASES = [
    FaultCase(
        id="ruff-violation",
        gates='[lint.ruff]\npaths = ["a.py"]\n',
        files={"a.py": "import os\n"},
        expect="F401",
    ),
]
