"""The fault battery's cases: hostile inputs that must never end in a pass.

Each area keeps its own table (a module here exporting `CASES`); the battery
(`tests/integration/test_fault_battery.py`) runs them all through one
parametrised test with the same four assertions: exit code not 0, no
`TOWER GATE PASSED` line, the report not `passed` (a stale passing report is
planted first, so a run that leaves it behind is caught), no traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class FaultCase:
    """One hostile case.

    `gates` is the gates.toml text and `files` other files of the project
    (both dedented). `setup(project_dir)` may do anything else before the
    run (make a folder unwritable, plant history...). `args` follow
    `--tower --tower-report=report.json`, so they can override it.
    `expect` is a piece of the output that says what happened: the message a
    user acts on. `subprocess` runs pytest in a child process (needed for
    signals and for anything that must not touch this process).
    `signal_when` = (signal number, path relative to the project): once that
    file exists, the signal is sent to the run (subprocess only).
    `rc` pins the exit code when it matters (4 for config errors, 2 for
    interrupts); None accepts any non-zero code.
    """

    id: str
    gates: str
    expect: str
    files: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    setup: Callable[[Path], None] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    subprocess: bool = False
    signal_when: tuple[int, str] | None = None
    rc: int | None = None
    timeout: float = 120.0
