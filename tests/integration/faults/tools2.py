"""Fault cases: which tool runs and what it hides — a ruff or bandit earlier on PATH
or outside the supported versions, conditions on bandit test ids that do not exist,
suppressions (`# noqa`, `# nosec`, excluded modules), required files that live
outside the project."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from tests.integration.faults import FaultCase
from tests.integration.faults.lint import executable

BANDIT = '[security.bandit]\npaths = ["src"]\n'
SHELL = {"src/app.py": "import subprocess\n\n\ndef run(x):\n"
                       "    return subprocess.call(x, shell=True)\n"}
NOSEC = {"src/app.py": "import subprocess  # nosec\n\n\ndef run(x):\n"
                       "    return subprocess.call(x, shell=True)  # nosec\n"}
RUFF = '[lint.ruff]\npaths = ["src"]\n'
UNUSED = {"src/app.py": "import os\n"}
REAL_BANDIT = str(Path(sys.executable).with_name("bandit"))


def fake_ruff(version: str, lint: str = "echo '[]'") -> str:
    """A ruff that answers like ruff (files, settings from the real one) but lints `lint`."""
    real = Path(sys.executable).with_name("ruff")
    return (f'#!/bin/sh\ncase "$*" in\n  --version) echo "{version}"; exit 0;;\n'
            f'  *--show-files*|*--show-settings*) exec {real} "$@";;\n'
            f"  *) {lint}; exit 0;;\nesac\n")


def outside_symlink(name: str, folder: bool = False) -> Callable[[Path], None]:
    """`name` in the project links to a file (or folder) outside it."""
    def setup(root: Path) -> None:
        target = Path(tempfile.mkdtemp(prefix="tower-outside-"))
        if not folder:
            target = target / "LICENSE"
            target.write_text("MIT License\n\nPermission is hereby granted, free of charge\n")
        else:
            (target / "index.md").write_text("# Documentation of the project, at length\n")
        (root / name).symlink_to(target)
    return setup


def path_first(folder: str) -> dict[str, str]:
    return {"PATH": folder + os.pathsep + os.environ.get("PATH", "")}


CASES = [
    # bandit: a condition on a test id bandit does not have reads 0 forever
    FaultCase(id="tools2-bandit-key-letter-o", gates=BANDIT + 'conditions = '
              '["findings[B6O2] == 0"]\n', files=SHELL, rc=4,
              expect="findings[B6O2]: bandit has no test 'B6O2', so the condition could only "
                     "ever measure 0; did you mean 'B602'?"),
    FaultCase(id="tools2-bandit-key-lower-case", gates=BANDIT + 'warn = ["findings[b602] == 0"]\n',
              files=SHELL, rc=4, expect="did you mean 'B602'?"),
    FaultCase(id="tools2-bandit-new-findings-key-typo", gates=BANDIT + 'base = "HEAD"\n'
              'conditions = ["new_findings[B6O2] == 0"]\n', files=SHELL, rc=4,
              expect="new_findings[B6O2]: bandit has no test 'B6O2'"),
    FaultCase(id="tools2-bandit-key-no-such-test", gates=BANDIT + 'conditions = '
              '["findings[B999] == 0"]\n', files=SHELL,
              expect="'B999' is not a key the tool knows for findings"),
    # which tool runs: not one earlier on PATH, never one outside the supported range
    FaultCase(id="tools2-ruff-fake-earlier-on-path", gates=RUFF, files={
        **UNUSED, "bin/ruff": fake_ruff("ruff 0.17.6")}, setup=executable("bin/ruff"),
        env=path_first("bin"), expect="FAIL  violations == 0  (measured 1)"),
    FaultCase(id="tools2-ruff-old-version", gates=RUFF + 'executable = "bin/ruff"\n', files={
        **UNUSED, "bin/ruff": fake_ruff("ruff 0.1.0")}, setup=executable("bin/ruff"),
        expect="is not a supported version: pytest-tower reads ruff>=0.15,<0.18"),
    FaultCase(id="tools2-ruff-says-no-version", gates=RUFF + 'executable = "bin/ruff"\n', files={
        **UNUSED, "bin/ruff": fake_ruff("ruff")}, setup=executable("bin/ruff"),
        expect="did not say which version it is"),
    FaultCase(id="tools2-bandit-old-version", gates=BANDIT + 'executable = "bin/bandit"\n',
              files={**SHELL, "bin/bandit": (
                  '#!/bin/sh\ncase "$1" in --version) echo "bandit 1.7.0"; exit 0;; esac\n'
                  f'exec {REAL_BANDIT} "$@"\n')}, setup=executable("bin/bandit"),
              expect="bandit 1.7.0 ("),
    # suppressions: measured, noted, and a condition on them holds the line
    FaultCase(id="tools2-bandit-nosec-everywhere", gates=BANDIT + 'conditions = '
              '["high == 0", "suppressed == 0"]\n', files=NOSEC,
              expect="suppressed by `# nosec` comments and not counted"),
    FaultCase(id="tools2-ruff-noqa-everywhere", gates=RUFF + 'conditions = '
              '["violations == 0", "suppressed == 0"]\n',
              files={"src/app.py": "import os  # noqa\nimport sys  # noqa: F401\n"},
              expect="2 violation(s) suppressed by `# noqa` comments"),
    FaultCase(id="tools2-ruff-real-module-excluded", gates=RUFF + 'conditions = '
              '["violations == 0", "not_linted == 0"]\n',
              files={**UNUSED, "src/empty.py": "X = 1\n",
                     "pyproject.toml": '[tool.ruff]\nextend-exclude = ["src/app.py"]\n'},
              expect="ruff did not lint 1 Python file(s) under `paths`"),
    # required files: a symlink out of the project is not the project's file
    FaultCase(id="tools2-files-license-links-outside",
              gates='[compliance.files]\nrequired = ["LICENSE"]\n',
              setup=outside_symlink("LICENSE"), expect="outside the project"),
    FaultCase(id="tools2-files-folder-links-outside",
              gates='[compliance.files]\nrequired = ["docs/*.md"]\n',
              setup=outside_symlink("docs", folder=True), expect="outside the project"),
]
