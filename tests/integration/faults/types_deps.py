"""Fault cases of the mypy and deps check types and of `${NAME}` in gates.toml: a tool
missing, crashing, lying (an exit code its output contradicts), printing what is not its
report, doing no work (0 modules, 0 files), too old; an environment without pip; a
variable that is not set."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

from tests.integration.faults import FaultCase

MYPY = '[types.mypy]\npaths = ["src"]\npython = "fake/python"\n'
DEPS = '[install.deps]\npython = "fake/python"\n'
PIP_ONLY = DEPS + 'deptry = false\nconditions = ["conflicts == 0"]\n'
DEPTRY_ONLY = DEPS + 'pip_check = false\nconditions = ["issues == 0"]\n'
SRC = {"src/app.py": "x: int = 1\n", "pyproject.toml": '[project]\nname = "a"\nversion = "0"\n'}

# What each fake step does by default: a working tool that found nothing.
MYPY_VERSION = 'echo "mypy 1.15.0 (compiled: yes)"'
MYPY_CODES = "echo '[\"arg-type\", \"assignment\", \"misc\"]'"
# writes a linecount report of one module, prints no error, exits 0
MYPY_RUN = ('mkdir -p "$report" && printf "      1       1      0      0 total\\n'
            '      1       1      0      0 app\\n" > "$report/linecount.txt"; exit 0')
PIP_RUN = 'echo "No broken requirements found."; exit 0'
DEPTRY_VERSION = 'echo "deptry 0.25.1"'
DEPTRY_RUN = 'echo "[]" > "$report"; echo "Scanning 1 file..."; exit 0'


def fake_python(*, mypy_version: str = MYPY_VERSION, mypy_run: str = MYPY_RUN,
                pip_run: str = PIP_RUN, deptry_version: str = DEPTRY_VERSION,
                deptry_run: str = DEPTRY_RUN) -> Callable[[Path], None]:
    """A `python` standing in for an interpreter, to inject one fault: `$report` is the
    folder or file the real tool would write its report to."""
    script = f"""#!/bin/sh
report=""
prev=""
for arg in "$@"; do
  case "$prev" in --linecount-report|--json-output) report="$arg";; esac
  prev="$arg"
done
case "$1 $2 $3" in
  "-m mypy --version") {mypy_version};;
  "-m deptry --version") {deptry_version};;
  "-m mypy "*) {mypy_run};;
  "-m pip "*) {pip_run};;
  "-m deptry "*) {deptry_run};;
  "-c "*) {MYPY_CODES};;
esac
"""

    def setup(root: Path) -> None:
        path = root / "fake" / "python"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(script)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return setup


NO_MODULE = 'echo "python: No module named {0}" >&2; exit 1'
ERROR_LINE = ('{"file": "src/app.py", "line": 1, "column": 0, "message": "boom", '
              '"hint": null, "code": "misc", "severity": "error"}')

CASES = [
    # mypy
    FaultCase("mypy-missing", MYPY, "mypy is not installed for fake/python", files=SRC,
              setup=fake_python(mypy_version=NO_MODULE.format("mypy"))),
    FaultCase("mypy-too-old", MYPY, "mypy 1.10.0 (fake/python) is not a supported version",
              files=SRC, setup=fake_python(mypy_version='echo "mypy 1.10.0"')),
    FaultCase("mypy-crashes", MYPY, "mypy stopped before it type-checked (exit 2)", files=SRC,
              setup=fake_python(mypy_run='echo "app.py: error: INTERNAL ERROR -- please '
                                'report a bug" >&2; exit 2')),
    FaultCase("mypy-prints-garbage", MYPY, "mypy printed output that is not its JSON report",
              files=SRC, setup=fake_python(mypy_run=MYPY_RUN.replace(
                  "exit 0", 'echo "Success: no issues found"; exit 0'))),
    FaultCase("mypy-exit-1-without-errors", MYPY, "mypy exited 1 but its JSON output lists 0 "
              "error(s)", files=SRC, setup=fake_python(mypy_run=MYPY_RUN.replace(
                  "exit 0", "exit 1"))),
    FaultCase("mypy-exit-0-with-errors", MYPY, "mypy exited 0 but its JSON output lists 1 "
              "error(s)", files=SRC, setup=fake_python(mypy_run=MYPY_RUN.replace(
                  "exit 0", f"echo '{ERROR_LINE}'; exit 0"))),
    FaultCase("mypy-checked-no-module", MYPY, "mypy type-checked no module under src",
              files=SRC, setup=fake_python(mypy_run=(
                  'mkdir -p "$report" && printf "      0       0      0      0 total\\n" > '
                  '"$report/linecount.txt"; exit 0'))),
    FaultCase("mypy-wrote-no-linecount", MYPY, "mypy wrote no linecount report", files=SRC,
              setup=fake_python(mypy_run="exit 0")),
    FaultCase("mypy-real-no-python-files", '[types.mypy]\npaths = ["docs"]\n',
              "There are no .py[i] files in directory 'docs'", files={"docs/a.txt": "x\n"}),
    FaultCase("mypy-real-syntax-error", '[types.mypy]\npaths = ["src"]\n', "[syntax]",
              files={"src/bad.py": "def (\n"}),
    # deps: pip check
    FaultCase("pip-missing", PIP_ONLY, "pip is not installed in the environment of "
              "fake/python", setup=fake_python(pip_run=NO_MODULE.format("pip"))),
    FaultCase("pip-check-unknown-line", PIP_ONLY, "pip check printed a line this check does "
              "not know", setup=fake_python(pip_run='echo "something is off"; exit 1')),
    FaultCase("pip-check-exit-1-naming-nothing", PIP_ONLY, "pip check exited 1 (broken "
              "requirements) but named none", setup=fake_python(
                  pip_run='echo "Error parsing dependencies of x" >&2; exit 1')),
    FaultCase("pip-check-exit-0-silent", PIP_ONLY, "pip check exited 0 but did not say",
              setup=fake_python(pip_run="exit 0")),
    FaultCase("pip-check-crashes", PIP_ONLY, "pip check failed (exit 2)",
              setup=fake_python(pip_run='echo "ERROR: unknown command" >&2; exit 2')),
    # deps: deptry
    FaultCase("deptry-missing", DEPTRY_ONLY, "deptry is not installed for fake/python",
              files=SRC, setup=fake_python(deptry_version=NO_MODULE.format("deptry"))),
    FaultCase("deptry-writes-no-report", DEPTRY_ONLY, "deptry failed (exit 0) and wrote no "
              "report", files=SRC, setup=fake_python(deptry_run="exit 0")),
    FaultCase("deptry-garbage-report", DEPTRY_ONLY, "deptry's JSON report cannot be read",
              files=SRC, setup=fake_python(deptry_run='echo "{" > "$report"; exit 1')),
    FaultCase("deptry-exit-1-empty-report", DEPTRY_ONLY, "deptry exited 1 but its report "
              "lists 0 issue(s)", files=SRC, setup=fake_python(
                  deptry_run=DEPTRY_RUN.replace("exit 0", "exit 1"))),
    FaultCase("deptry-silent-about-files", DEPTRY_ONLY, "deptry did not say how many files "
              "it scanned", files=SRC, setup=fake_python(deptry_run='echo "[]" > "$report"')),
    FaultCase("deptry-real-scans-nothing", '[install.deps]\npip_check = false\n'
              'paths = ["src"]\nconditions = ["issues == 0"]\n',
              "deptry scanned no Python file under src",
              files={"pyproject.toml": SRC["pyproject.toml"], "src/notes.txt": "x\n"}),
    # ${NAME} in gates.toml
    FaultCase("env-variable-unset", '[lint.ruff]\nbase = "${TOWER_FAULT_UNSET_REF}"\n',
              "[lint.ruff] base: environment variable TOWER_FAULT_UNSET_REF is not set",
              rc=4),
    FaultCase("env-variable-unclosed", '[lint.ruff]\npaths = ["${SRC"]\n',
              "an unclosed `${`", rc=4),
]
