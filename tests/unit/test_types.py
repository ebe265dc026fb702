"""Types are shipped and kept: py.typed in the wheel, and the report schema.

`mypy --strict pytest_tower` itself is our own gate's [types.mypy] check
(gates.toml, through the mypy check type), no longer a test here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints, is_typeddict

from pytest_tower.report.json_report import write_config_error
from pytest_tower.report.schema import ReportDict

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_py_typed(tmp_path: Path) -> None:
    """PEP 561: without py.typed, type checkers ignore our annotations in users' code."""
    run = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation",
                          "-o", str(tmp_path), str(ROOT)],
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "pytest_tower/py.typed" in names
    assert "pytest_tower/report/schema.py" in names


def shape_errors(value: Any, hint: Any, where: str) -> list[str]:
    """Where `value` (parsed JSON) has keys its TypedDict `hint` does not allow, or lacks
    required ones; walks lists, dicts and Optional down to every nested TypedDict."""
    if is_typeddict(hint):
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__}, expected an object"]
        errors = [f"{where}: lacks {k!r}" for k in sorted(hint.__required_keys__ - set(value))]
        allowed = hint.__required_keys__ | hint.__optional_keys__
        errors += [f"{where}: unexpected {k!r}" for k in sorted(set(value) - allowed)]
        hints = get_type_hints(hint)
        for key in sorted(set(value) & allowed):
            errors += shape_errors(value[key], hints[key], f"{where}.{key}")
        return errors
    origin, args = get_origin(hint), get_args(hint)
    if origin is list and isinstance(value, list):
        return [e for n, item in enumerate(value) for e in shape_errors(item, args[0],
                                                                       f"{where}[{n}]")]
    if origin is dict and isinstance(value, dict):
        return [e for k, item in value.items() for e in shape_errors(item, args[1],
                                                                   f"{where}.{k}")]
    if value is not None and any(is_typeddict(a) for a in args):  # X | None
        return shape_errors(value, next(a for a in args if is_typeddict(a)), where)
    return []


def test_shape_errors_sees_a_wrong_key() -> None:
    """The checker below must be able to fail."""
    report = {"schema": 1, "verdict": "failed", "summary": "", "complete": False, "not_run": [],
              "checks": [{"id": "x", "conditions": [{"expr": "a < 1", "oops": 1}]}],
              "environments": []}
    errors = shape_errors(report, ReportDict, "report")
    assert "report.checks[0].conditions[0]: unexpected 'oops'" in errors
    assert "report.checks[0]: lacks 'verdict'" in errors


def test_real_report_matches_the_schema(run_tower: Any) -> None:
    """A real report of a gate with findings, warnings and failures fits ReportDict."""
    result = run_tower("""
        [lint.ruff]
        paths = ["src"]
        select = ["F"]
        conditions = ["violations == 0"]

        [security.bandit]
        paths = ["src"]
        conditions = ["high == 0"]
        warn = ["low == 0"]
        """, files={"src/app.py": "import os\nimport subprocess\n\n\ndef run(cmd):\n"
                    "    subprocess.call(cmd, shell=True)\n"})
    report = result.report
    assert report is not None, result.output
    checks = report["checks"]
    assert [c["check"] for c in checks] == ["ruff", "bandit"], result.output
    assert all(c["findings"] and c["conditions"] for c in checks), checks
    assert shape_errors(report, ReportDict, "report") == []


def test_config_error_report_matches_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    write_config_error(path, "gates.toml: no such stage")
    report = json.loads(path.read_text())
    assert report["error"] == "gates.toml: no such stage"
    assert shape_errors(report, ReportDict, "report") == []
