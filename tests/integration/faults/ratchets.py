"""Fault cases: ratchets against the baseline, new code against a git base, implied floors.

A recorded zero is a baseline; a missing one errors unless this run records
it; an update run that fails records nothing. New-code metrics see changed
lines whatever .gitattributes says, and a base git cannot resolve (no
repository, unknown ref, shallow history) is an error, never "0 new".
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.integration.faults import FaultCase

FIVE_F401 = {"src/a.py": "import os, sys, json, re, glob\n"}
TWO_F401 = "import os\nimport sys\nX = 1\n"
KEYED = ('[lint.ruff]\npaths = ["src"]\nselect = ["F"]\n'
         'conditions = ["violations[F401] <= baseline"]\n')
PLAIN = '[lint.ruff]\npaths = ["src"]\nselect = ["F"]\nconditions = ["violations <= baseline"]\n'
NEW = '[lint.ruff]\npaths = ["src"]\nselect = ["F"]\nbase = "main"\n' \
      'conditions = ["new_violations == 0"]\n'
NEW_BANDIT = '[security.bandit]\npaths = ["src"]\nbase = "main"\n' \
             'conditions = ["new_findings == 0"]\n'
COVERED = {"pkg/__init__.py": "", "pkg/m.py": "def a():\n    return 1\n\n\ndef b():\n"
           "    return 2\n", "tests/test_m.py": "from pkg.m import a, b\n\n\n"
           "def test_ab():\n    assert a() + b() == 3\n"}
GIT = ("git", "-c", "user.name=Tower Test", "-c", "user.email=tower@example.invalid",
       "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=cwd, check=True, capture_output=True)


def _baseline(checks: str) -> Callable[[Path], None]:
    """Plant .tower/baseline.json with `checks` as its (raw JSON) checks table."""
    def setup(project: Path) -> None:
        (project / ".tower").mkdir(exist_ok=True)
        (project / ".tower" / "baseline.json").write_text(
            '{"schema": 1, "commit": null, "checks": ' + checks + "}\n")

    return setup


def _feature(attributes: str = "", change: str = TWO_F401) -> Callable[[Path], None]:
    """main: src/a.py clean; feature: `change` to it (and `attributes` committed)."""
    def setup(project: Path) -> None:
        (project / ".gitignore").write_text(".tower/\nreport.json\n__pycache__/\n")
        _git(project, "init", "-q")
        _git(project, "add", "-A")
        _git(project, "commit", "-q", "-m", "base")
        _git(project, "checkout", "-q", "-b", "feature")
        (project / "src" / "a.py").write_text(change)
        if attributes:
            (project / ".gitattributes").write_text(attributes)
        _git(project, "add", "-A")
        _git(project, "commit", "-q", "-m", "feature")

    return setup


def _uncovered_feature(project: Path) -> None:
    """main: pkg/m.py with a() and b(), both tested; feature adds c(), never called."""
    (project / ".gitignore").write_text(".tower/\nreport.json\n__pycache__/\n.coverage*\n")
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "base")
    _git(project, "checkout", "-q", "-b", "feature")
    with (project / "pkg" / "m.py").open("a") as module:
        module.write("\n\ndef c():\n    return 3\n")
    _git(project, "commit", "-q", "-am", "feature")


def _shallow(project: Path) -> None:
    """The project as a depth-1 clone of feature, with main fetched at depth 1 too."""
    upstream = project.parent / f"{project.name}-upstream"
    upstream.mkdir()
    for path in project.rglob("*"):
        if path.is_file():
            target = upstream / path.relative_to(project)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    _feature()(upstream)
    (project / "src" / "a.py").write_text(TWO_F401)
    (project / ".gitignore").write_text(".tower/\nreport.json\n__pycache__/\n")
    _git(project, "init", "-q")
    _git(project, "fetch", "-q", "--update-head-ok", "--depth=1", upstream.as_uri(),
         "feature:feature", "main:main")
    _git(project, "symbolic-ref", "HEAD", "refs/heads/feature")
    _git(project, "reset", "-q")


def _empty_venv(project: Path) -> None:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(project / "v")],
                   check=True, capture_output=True)


CASES = [
    # -- a recorded zero is a baseline (F6) -------------------------------------------
    FaultCase(id="ratchet-zero-key-recorded-before-the-fix", gates=KEYED, files=FIVE_F401,
              setup=_baseline('{"lint::ruff": {"violations": 0, "files": 1}}'),
              args=("--tower-update-baseline",),
              expect="violations[F401] <= baseline  (measured 5, baseline 0 -> threshold 0)"),
    FaultCase(id="ratchet-zero-key-recorded", gates=KEYED, files=FIVE_F401,
              setup=_baseline('{"lint::ruff": {"violations": 0, "violations[F401]": 0}}'),
              args=("--tower-update-baseline",),
              expect="baseline not updated: the gate did not pass"),
    FaultCase(id="ratchet-zero-key-new-violations", files=FIVE_F401,
              gates=KEYED.replace('"violations[F401] <= baseline"',
                                  '"violations[F401] <= baseline", "violations[F841] <= '
                                  'baseline"'),
              setup=_baseline('{"lint::ruff": {"violations": 0}}'),
              expect="measured 5, baseline 0 -> threshold 0"),
    FaultCase(id="ratchet-zero-key-bandit", files={"src/a.py": "assert 1\nassert 2\n"},
              gates='[security.bandit]\npaths = ["src"]\n'
                    'conditions = ["findings[B101] <= baseline"]\n',
              setup=_baseline('{"security::bandit": {"findings": 0}}'),
              args=("--tower-update-baseline",),
              expect="findings[B101] <= baseline  (measured 2, baseline 0 -> threshold 0)"),
    # -- a missing baseline errors unless this run records it -------------------------
    FaultCase(id="ratchet-no-baseline-file", gates=PLAIN, files=FIVE_F401,
              expect="there is no accepted baseline for violations"),
    FaultCase(id="ratchet-baseline-lacks-the-metric", gates=PLAIN, files=FIVE_F401,
              setup=_baseline('{"lint::ruff": {"files": 1}}'),
              expect="there is no accepted baseline for violations"),
    FaultCase(id="ratchet-baseline-of-another-check", gates=PLAIN, files=FIVE_F401,
              setup=_baseline('{"lint::other": {"violations": 9}}'),
              expect="there is no accepted baseline for violations"),
    FaultCase(id="ratchet-update-run-with-a-failing-check", files=FIVE_F401,
              gates=PLAIN + '\n[strict.ruff]\npaths = ["src"]\nselect = ["F"]\n',
              args=("--tower-update-baseline",),
              expect="baseline not updated: the gate did not pass"),
    FaultCase(id="ratchet-update-run-partial-but-complete-required", files=FIVE_F401,
              gates=PLAIN + '\n[other.ruff]\npaths = ["src"]\nselect = ["E"]\n',
              args=("--tower-update-baseline", "--tower-require-complete", "-k", "other"),
              expect="baseline not updated: the gate did not pass"),
    # -- new code: .gitattributes cannot hide changed lines (F7) --------------------
    FaultCase(id="ratchet-new-code-attribute-minus-diff", gates=NEW,
              files={"src/a.py": "X = 1\n"}, setup=_feature("*.py -diff\n"),
              expect="new_violations == 0  (measured 2)"),
    FaultCase(id="ratchet-new-code-attribute-binary", gates=NEW,
              files={"src/a.py": "X = 1\n"}, setup=_feature("*.py binary\n"),
              expect="new_violations == 0  (measured 2)"),
    FaultCase(id="ratchet-new-code-attribute-textconv", gates=NEW,
              files={"src/a.py": "X = 1\n"},
              setup=_feature("*.py diff=blank\n"),
              env={"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "diff.blank.textconv",
                   "GIT_CONFIG_VALUE_0": "true"},
              expect="new_violations == 0  (measured 2)"),
    FaultCase(id="ratchet-new-code-nul-byte-in-a-comment", gates=NEW,
              files={"src/a.py": "X = 1\n"}, setup=_feature("", "import os  # \0\nX = 1\n"),
              expect="new_violations == 0  (measured 1)"),
    FaultCase(id="ratchet-new-findings-attribute-minus-diff", gates=NEW_BANDIT,
              files={"src/a.py": "X = 1\n"},
              setup=_feature("*.py -diff\n", "X = 1\nassert X\n"),
              expect="new_findings == 0  (measured 1)"),
    FaultCase(id="ratchet-new-coverage-git-diff-opts-context", files=COVERED,
              gates='[unit.tests]\npaths = ["tests"]\nsource = ["pkg"]\nbase = "main"\n'
                    'conditions = ["new_coverage >= 70%"]\n',
              setup=_uncovered_feature, env={"GIT_DIFF_OPTS": "--unified=3"},
              expect="new_coverage >= 70%  (measured 50"),
    # -- new code: a base git cannot resolve is an error -----------------------------
    FaultCase(id="ratchet-new-code-no-repository", gates=NEW, files=FIVE_F401,
              expect="is not in a git work tree"),
    FaultCase(id="ratchet-new-code-unknown-base", gates=NEW.replace('"main"', '"origin/main"'),
              files={"src/a.py": "X = 1\n"}, setup=_feature(),
              expect="base = 'origin/main' is not a commit in this repository"),
    FaultCase(id="ratchet-new-code-shallow-clone", gates=NEW, files={"src/a.py": "X = 1\n"},
              setup=_shallow, expect="fetch-depth: 0"),
    # -- an upper bound never removes the implied evidence floor (F18) ---------------
    FaultCase(id="ratchet-upper-bound-keeps-implied-floor",
              gates='[compliance.licenses]\npython = "v/bin/python"\nallow = ["MIT"]\n'
                    'conditions = ["denied == 0", "unknown == 0", "packages <= 300"]\n',
              setup=_empty_venv, expect="packages >= 1  (measured 0)"),
]
