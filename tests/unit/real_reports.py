"""Real schema-1 reports, made by running `pytest --tower` on tmp projects."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

DIRTY = "import os\nimport subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n"
RUFF_ONLY = '[lint.ruff]\npaths = ["src"]\nselect = ["F"]\nconditions = ["violations == 0"]\n'
RUFF_AND_BANDIT = RUFF_ONLY + textwrap.dedent("""\
    [security.bandit]
    paths = ["src"]
    conditions = ["high == 0"]
    warn = ["low == 0"]
    """)


def real_report(pytester: pytest.Pytester, gates: str, source: str = DIRTY,
                name: str = "src/app.py") -> dict[str, Any]:
    """Write `source` and gates.toml, run the gate, return the JSON report it wrote."""
    path = pytester.path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    (pytester.path / "gates.toml").write_text(gates)
    result = pytester.runpytest("--tower", "-p", "no:cacheprovider", "--tower-report", "r.json")
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), result.stdout.str()
    return json.loads((pytester.path / "r.json").read_text())
