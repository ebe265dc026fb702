"""Fault cases: the ruff gate — nothing linted, no rule enabled, conditions on codes
ruff does not know, a ruff that lies or talks nonsense."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

from tests.integration.faults import FaultCase

GATE = '[lint.ruff]\npaths = ["pkg"]\n'
PKG = {"pkg/__init__.py": "", "pkg/a.py": "import os\n"}
NO_RULES = "ruff has no rule enabled for any of the 2 linted file(s): nothing was checked"
# A fake ruff that lists the files like ruff and reports "clean"; what it says to
# --show-settings is the fault.
FAKE = """\
#!/bin/sh
case "$*" in
  *--show-files*) echo "$PWD/pkg/a.py"; exit 0;;
  *--show-settings*) {settings};;
  *--version*) echo "ruff 0.17.6"; exit 0;;
  *CPY001*) echo '[{{"code": "CPY001", "filename": "'"$PWD"'/pkg/a.py", "message": "x"}}]'
    exit 0;;
  *) echo '[]'; exit 0;;
esac
"""


def executable(*names: str) -> Callable[[Path], None]:
    """Make the named project files executable (fake tools written through `files`)."""
    def setup(root: Path) -> None:
        for name in names:
            path = root / name
            path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return setup


def unknown_key(case_id: str, condition: str, expect: str, key: str = "conditions"
                ) -> FaultCase:
    return FaultCase(id=case_id, gates=GATE + f'{key} = ["{condition}"]\nbase = "HEAD"\n',
                     files=PKG, expect=expect, rc=4)


CASES = [
    FaultCase(id="ruff-select-nothing", gates=GATE, expect=NO_RULES,
              files={**PKG, "pyproject.toml": "[tool.ruff.lint]\nselect = []\n"}),
    FaultCase(id="ruff-ignore-all-in-project", gates=GATE, expect=NO_RULES,
              files={**PKG, "pyproject.toml": '[tool.ruff.lint]\nignore = ["ALL"]\n'}),
    FaultCase(id="ruff-ignore-all-in-check", gates=GATE + 'ignore = ["ALL"]\n', expect=NO_RULES,
              files=PKG),
    FaultCase(id="ruff-ruff-toml-selects-nothing", gates=GATE, expect=NO_RULES,
              files={**PKG, "pkg/ruff.toml": "[lint]\nselect = []\n"}),
    FaultCase(id="ruff-per-file-ignores-everything", gates=GATE, expect=NO_RULES,
              files={**PKG, "pyproject.toml": '[tool.ruff.lint]\nselect = ["F"]\n'
                     '[tool.ruff.lint.per-file-ignores]\n"pkg/*" = ["ALL"]\n'}),
    FaultCase(id="ruff-blanket-noqa-everywhere", gates=GATE, expect=NO_RULES,
              files={"pkg/__init__.py": "# ruff: noqa\n", "pkg/a.py": "# ruff: noqa\nimport os\n"}),
    unknown_key("ruff-unknown-code", "violations[F4O1] == 0",
                "[lint.ruff] conditions: violations[F4O1]: ruff has no rule 'F4O1'"),
    unknown_key("ruff-unknown-code-did-you-mean", "violations[F4O1] == 0",
                "did you mean 'F401'?"),
    unknown_key("ruff-removed-code-in-warn", "violations[E999] == 0",
                "ruff removed E999 in 0.8.0", key="warn"),
    unknown_key("ruff-rule-name-as-new-key", "new_violations[unused-import] == 0",
                "'unused-import' is the name of rule F401"),
    FaultCase(id="ruff-condition-on-a-rule-not-enabled", gates=GATE + 'select = ["E"]\n'
              'conditions = ["violations == 0", "violations[F401] == 0"]\n', files=PKG, rc=4,
              expect="violations[F401]: rule F401 is not enabled in the ruff configuration"),
    FaultCase(id="ruff-syntax-error-counts-without-rules",
              gates=GATE + 'select = ["F401"]\nignore = ["F401"]\n',
              files={"pkg/a.py": "def f(:\n", "pkg/b.py": "X = 1\n"},
              expect="ruff has no rule enabled"),
    FaultCase(id="ruff-syntax-error-key", gates=GATE + 'select = ["F401"]\n'
              'conditions = ["violations[invalid-syntax] == 0"]\n',
              files={"pkg/a.py": "def f(:\n"},
              expect="FAIL  violations[invalid-syntax] == 0  (measured 2)"),
    FaultCase(id="ruff-violation", gates=GATE, files=PKG, expect="F401"),
    FaultCase(id="ruff-only-excluded-folders", gates='[lint.ruff]\npaths = ["proj"]\n',
              files={"proj/venv/m.py": "import os\n", "proj/dist/n.py": "import os\n"},
              expect="ruff found no Python files to lint under proj"),
    FaultCase(id="ruff-only-pyproject-linted", gates='[lint.ruff]\npaths = ["pyproject.toml"]\n',
              files={"pyproject.toml": '[project]\nname = "x"\nversion = "1"\n'},
              expect="ruff found no Python files to lint under pyproject.toml"),
    FaultCase(id="ruff-missing-path", gates='[lint.ruff]\npaths = ["pkg", "srcc"]\n',
              files=PKG, expect="nothing to lint at 'srcc'"),
    # Few ruff processes: the noqa lint runs only over files with a suppression comment,
    # the probe only when a config excludes files from the linter. Each shortcut holds:
    FaultCase(id="ruff-range-suppression-hides-everything",
              gates=GATE + 'conditions = ["violations == 0", "suppressed == 0"]\n',
              files={"pkg/__init__.py": "", "pkg/a.py": "# ruff: disable[F401]\nimport os\n"},
              expect="1 violation(s) suppressed by `# noqa` comments"),
    FaultCase(id="ruff-noqa-in-a-notebook-only",
              gates=GATE + 'conditions = ["violations == 0", "suppressed == 0"]\n',
              files={"pkg/__init__.py": "", "pkg/n.ipynb": (
                  '{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, '
                  '"outputs": [], "source": ["import os  \\u0023 \\u006eoqa\\n"]}], '
                  '"metadata": {}, "nbformat": 4, "nbformat_minor": 5}')},
              expect="1 violation(s) suppressed by `# noqa` comments"),
    FaultCase(id="ruff-nested-config-lint-excludes-its-files",
              gates='[lint.ruff]\npaths = ["pkg"]\nconditions = ["violations == 0", '
              '"not_linted == 0"]\n',
              files={"pkg/__init__.py": "", "pkg/sub/__init__.py": "",
                     "pkg/sub/bad.py": "import os\n",
                     "pyproject.toml": '[tool.ruff.lint]\nselect = ["F"]\n',
                     "pkg/sub/ruff.toml": '[lint]\nselect = ["F"]\nexclude = ["bad.py"]\n'},
              expect="FAIL  not_linted == 0  (measured 1)"),
    FaultCase(id="ruff-fake-without-settings",
              gates=GATE + 'executable = "fake/ruff"\n',
              files={**PKG, "fake/ruff": FAKE.format(settings="exit 0")},
              setup=executable("fake/ruff"),
              expect="ruff --show-settings did not list the enabled rules"),
    FaultCase(id="ruff-fake-settings-with-no-rule",
              gates=GATE + 'executable = "fake/ruff"\n',
              files={**PKG, "fake/ruff": FAKE.format(
                  settings="echo 'linter.rules.enabled = []'; exit 0")},
              setup=executable("fake/ruff"),
              expect="ruff has no rule enabled for any of the 1 linted file(s)"),
]
