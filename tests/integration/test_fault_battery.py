"""The fault battery: every hostile case of every area, with the same four assertions.

A case passes here only if the gate did not pass: exit code not 0, no
`TOWER GATE PASSED` line, the report (a stale passing one is planted first)
not `passed`, no traceback — and the output says what happened.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import textwrap

import pytest

from tests.integration import faults
from tests.integration.faults import FaultCase

STALE_PASS = {"schema": 1, "verdict": "passed", "summary": "TOWER GATE PASSED: stale",
              "checks": [], "environments": []}


def _all_cases() -> list[FaultCase]:
    cases: list[FaultCase] = []
    for module in sorted(m.name for m in pkgutil.iter_modules(faults.__path__)):
        cases.extend(importlib.import_module(f"{faults.__name__}.{module}").CASES)
    return cases


CASES = _all_cases()


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault_never_passes(case: FaultCase, run_tower) -> None:
    run = run_tower(case.gates, *case.args, files=case.files, setup=case.setup, env=case.env,
                    subprocess=case.subprocess, signal_when=case.signal_when,
                    timeout=case.timeout, plant_report=json.dumps(STALE_PASS))
    where = f"\n--- output of {case.id} ---\n{run.output}"
    assert run.rc != 0, where
    if case.rc is not None:
        assert run.rc == case.rc, where
    assert not any(line.strip("= ").startswith("TOWER GATE PASSED")
                   for line in run.output.splitlines()), where
    if run.report is not None:
        assert run.report.get("verdict") != "passed", where
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output, where
    assert textwrap.dedent(case.expect) in run.output, where
