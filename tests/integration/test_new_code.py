"""New-code metrics ("clean as you code") on a real git repository with a known diff.

The repository: `main` holds pkg/core.py with two F401 and one bandit B307;
the feature branch commits a `sign` function and scripts/shell.py (F401,
B404, B602), then adds a staged test, an unstaged F401 and an untracked
module with an F841. `main` moves on after the branch point (its change to
line 1 of core.py must not count: the diff is against the merge base).
"""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_tower.checks.newcode import changed_lines
from pytest_tower.core.model import CheckContext, ToolError

CORE = """\
import os
import sys


def add(a, b):
    return a + b


def risky(cmd):
    return eval(cmd)
"""
SIGN = """\


def sign(x):
    if x > 0:
        return 1
    return -1
"""
SHELL = """\
import json
import subprocess


def run(cmd):
    return subprocess.call(cmd, shell=True)
"""
PROBE = """\


def probe():
    import glob
    return 1
"""
EXTRA = """\
def double(x):
    unused = 0
    if x:
        return 2 * x
"""
TESTS = """\
from pkg.core import add, sign
from pkg.extra import double


def test_add():
    assert add(1, 2) == 3


def test_sign():
    assert sign(5) == 1


def test_double():
    assert double(0) is None
"""
GATES = """\
[lint.ruff]
paths = ["pkg", "scripts"]
select = ["F"]
base = "{base}"
conditions = ["new_violations == 0"]

[security.bandit]
paths = ["pkg", "scripts"]
base = "{base}"
conditions = ["new_findings == 0"]

[unit.tests]
paths = ["tests"]
source = ["pkg"]
base = "{base}"
conditions = ["new_coverage >= 80%"]
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture(autouse=True)
def git_env(monkeypatch: pytest.MonkeyPatch, pytester: pytest.Pytester) -> None:
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Tower Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "tower@example.invalid")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")  # no signing hooks, no aliases
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(pytester.path.parent))


def write(root: Path, name: str, text: str, append: bool = False) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a" if append else "w") as f:
        f.write(textwrap.dedent(text))


@pytest.fixture
def repo(pytester: pytest.Pytester) -> Path:
    root = pytester.path
    git(root, "init", "-q", "-b", "main")
    write(root, ".gitignore", ".tower/\nreport.json\n__pycache__/\n.pytest_cache/\n"
          ".coverage*\n.cache/\n")
    write(root, "pkg/__init__.py", "")
    write(root, "pkg/core.py", CORE)
    write(root, "tests/test_core.py", "from pkg.core import add\n\n\n"
          "def test_add():\n    assert add(1, 2) == 3\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    write(root, "pkg/core.py", SIGN, append=True)  # lines 11-16
    write(root, "scripts/shell.py", SHELL)  # new file, lines 1-6
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feature")
    git(root, "checkout", "-q", "main")  # main moves on: not new code on the branch
    write(root, "pkg/core.py", "import os.path\n" + CORE.split("\n", 1)[1])
    git(root, "commit", "-q", "-am", "main moves on")
    git(root, "checkout", "-q", "feature")
    git(root, "remote", "add", "origin", str(root / "nowhere.git"))
    git(root, "update-ref", "refs/remotes/origin/main", "main")
    write(root, "tests/test_core.py", TESTS)
    git(root, "add", "tests/test_core.py")  # staged
    write(root, "scripts/shell.py", PROBE, append=True)  # unstaged, lines 7-11
    write(root, "pkg/extra.py", EXTRA)  # untracked
    return root


def by_name(report: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The report's checks by check name."""
    assert report is not None
    return {c["id"].split("::")[-1]: c for c in report["checks"]}


def test_changed_lines_of_the_known_diff(repo: Path) -> None:
    ctx = CheckContext("x", repo, {}, 30.0, repo / ".tower")
    changed = changed_lines(repo, "origin/main", ctx.run)
    assert changed["pkg/core.py"] == set(range(11, 17))  # not line 1, which main changed
    assert changed["scripts/shell.py"] == set(range(1, 12))  # committed + unstaged
    assert changed["pkg/extra.py"] == {1, 2, 3, 4}  # untracked
    staged = changed["tests/test_core.py"]  # which blank line is "added" is git's choice
    assert {1, 2} | set(range(8, 15)) <= staged <= {1, 2} | set(range(6, 15))
    assert "pkg/__init__.py" not in changed


def test_new_code_metrics_are_exact(pytester: pytest.Pytester, repo: Path, run_tower) -> None:
    run = run_tower(GATES.format(base="origin/main"))
    assert run.clean, run.output
    checks = by_name(run.report)
    out = run.stdout.str()
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    ruff = checks["ruff"]["metrics"]
    assert (ruff["violations"], ruff["new_violations"]) == (5, 3), ruff
    assert ruff["new_violations[F401]"] == 2 and ruff["new_violations[F841]"] == 1
    assert ruff["violations[F401]"] == 4
    bandit = checks["bandit"]["metrics"]
    assert (bandit["findings"], bandit["new_findings"]) == (3, 2), bandit
    assert bandit["new_findings[B602]"] == 1 and bandit["new_findings[B404]"] == 1
    assert "new_findings[B307]" not in bandit
    tests = checks["tests"]["metrics"]
    # core.py: sign's 4 lines, `return -1` not run; extra.py: 4 lines, `return 2 * x` not run
    assert (tests["new_lines"], tests["new_missing"], tests["new_coverage"]) == (8, 2, 75.0)
    assert "FAIL  new_violations == 0  (measured 3)" in out
    assert "FAIL  new_coverage >= 80%  (measured 75" in out
    # the new ones are listed first and marked
    ruff_findings = [f"{f['path']}:{f['line']} {f['code']}" for f in checks["ruff"]["findings"]]
    assert ruff_findings[:3] == ["pkg/extra.py:2 F841", "scripts/shell.py:1 F401",
                                 "scripts/shell.py:10 F401"]
    assert checks["ruff"]["findings"][0]["message"].startswith("new: ")
    assert not checks["ruff"]["findings"][3]["message"].startswith("new: ")
    assert [f["code"] for f in checks["bandit"]["findings"]][:2] == ["B602", "B404"]
    uncovered = [(f["path"], f["line"], f["message"]) for f in checks["tests"]["findings"]
                 if f["code"] == "NEW-COVERAGE"]
    assert uncovered == [("pkg/core.py", 16, "3 of 4 changed lines covered; not covered: 16"),
                         ("pkg/extra.py", 4, "3 of 4 changed lines covered; not covered: 4")]
    assert checks["tests"]["findings"][0]["code"] == "NEW-COVERAGE"
    assert "new code: 3 of 5 violations on changed lines; " in out
    assert "the merge base of origin/main and HEAD (uncommitted and untracked" in out
    assert "new code: 2 of 8 changed executable lines not run" in out


def test_no_changed_code_is_fully_covered_new_code(pytester: pytest.Pytester,
                                                   repo: Path, run_tower) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "all in")
    run = run_tower(GATES.format(base="HEAD") + 'warn = ["new_lines > 0"]\n')
    assert run.clean, run.output
    checks = by_name(run.report)
    tests = checks["tests"]["metrics"]
    assert (tests["new_lines"], tests["new_missing"], tests["new_coverage"]) == (0, 0, 100.0)
    assert checks["ruff"]["metrics"]["new_violations"] == 0
    assert checks["bandit"]["metrics"]["new_findings"] == 0
    assert run.rc == pytest.ExitCode.OK, run.stdout.str()


def test_unknown_base_is_an_error_with_the_fix(pytester: pytest.Pytester, repo: Path,
                                               run_tower) -> None:
    run = run_tower(GATES.format(base="origin/release").split("[sec")[0])
    assert run.clean, run.output
    checks = by_name(run.report)
    out = run.stdout.str()
    assert checks["ruff"]["verdict"] == "error"
    assert "base = 'origin/release' is not a commit in this repository" in out
    assert "fix: fetch the base: git fetch origin release" in out
    assert run.rc == pytest.ExitCode.TESTS_FAILED


def test_no_common_history_is_an_error(pytester: pytest.Pytester, repo: Path, run_tower) -> None:
    git(repo, "checkout", "-q", "--orphan", "island")
    git(repo, "commit", "-q", "-m", "unrelated")
    git(repo, "checkout", "-q", "feature")
    run = run_tower(GATES.format(base="island").split("[sec")[0])
    assert run.clean, run.output
    checks = by_name(run.report)
    assert checks["ruff"]["verdict"] == "error"
    out = run.stdout.str()
    assert "HEAD and base = 'island' have no common commit" in out
    assert "fix: fetch full history (git fetch --unshallow" in out


def test_not_a_git_repository_is_an_error(pytester: pytest.Pytester, run_tower) -> None:
    write(pytester.path, "pkg/a.py", "X = 1\n")
    write(pytester.path, "scripts/b.py", "Y = 2\n")
    run = run_tower(GATES.format(base="origin/main").split("[sec")[0])
    assert run.clean, run.output
    checks = by_name(run.report)
    assert checks["ruff"]["verdict"] == "error"
    assert "is not in a git work tree" in run.stdout.str()
    assert "fix: run the gate in a git checkout" in run.stdout.str()
    assert run.rc == pytest.ExitCode.TESTS_FAILED


@pytest.mark.parametrize(("table", "words"), [
    ('[lint.ruff]\nconditions = ["new_violations[F401] == 0"]\n', 'set base = "origin/main"'),
    ('[security.bandit]\nwarn = ["new_findings == 0"]\n', 'set base = "origin/main"'),
    ('[unit.tests]\nconditions = ["new_coverage >= 90%"]\n', 'set base = "origin/main"'),
    ('[unit.tests]\nbase = "origin/main"\ncoverage = false\n', "needs coverage = true"),
    ('[lint.ruff]\nbase = "--output=x"\n', "is not a git ref"),
])
def test_new_code_misconfigured_is_a_config_error(pytester: pytest.Pytester, table: str,
                                                  words: str) -> None:
    pytester.makefile(".toml", gates=table)
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert words in result.stderr.str()


def test_changed_lines_renames_odd_names_deletions_and_a_subfolder(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    project = root / "proj"
    project.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    write(project, "old.py", "a = 1\nb = 2\nc = 3\n")
    write(project, "gone.py", "x = 1\n")
    write(root, "outside.py", "o = 1\n")
    write(project, 'odd "ü".py', "u = 1\n")
    write(project, ".gitignore", "ignored.py\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    git(root, "mv", "proj/old.py", "proj/new name.py")  # rename, then edit line 2
    write(project, "new name.py", "a = 1\nb = 20\nc = 3\n")
    git(root, "rm", "-q", "proj/gone.py")
    write(project, 'odd "ü".py', "u = 1\n\nv = 2")  # a name git quotes
    write(project, "tab\tü.py", "t = 1\nt = 2")  # untracked, no final newline
    (project / "blob.bin").write_bytes(b"\x89PNG\r\n\x1a\n\0\0")  # untracked binary: no lines
    write(project, "nul.py", "import os  # \0\n")  # a NUL, but text ruff reads: new code
    write(project, "ignored.py", "i = 1\n")
    write(root, "outside.py", "o = 2\n")  # outside the check's root
    ctx = CheckContext("x", project, {}, 30.0, project / ".tower")
    assert changed_lines(project, "HEAD", ctx.run) == {
        "new name.py": {2}, 'odd "ü".py': {2, 3}, "tab\tü.py": {1, 2}, "nul.py": {1}}


@pytest.mark.parametrize("attributes", ["*.py -diff\n", "*.py binary\n", "*.py diff=blank\n"])
def test_gitattributes_cannot_hide_changed_lines(repo: Path, attributes: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`-diff`/`binary` make git print "Binary files differ", a textconv rewrites the text:
    either would read as no changed line at all."""
    ctx = CheckContext("x", repo, {}, 30.0, repo / ".tower")
    before = changed_lines(repo, "origin/main", ctx.run)
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "diff.blank.textconv")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "true")
    write(repo, ".gitattributes", attributes)
    git(repo, "add", ".gitattributes")
    after = changed_lines(repo, "origin/main", ctx.run)
    assert after.pop(".gitattributes") == {1}
    assert after == before


def test_a_real_binary_file_changes_no_line(repo: Path) -> None:
    """--text makes git show a binary file as text: an image is dropped, but not a .py file
    that only has a NUL byte (git's binary test), which ruff and bandit still read."""
    (repo / "logo.bin").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\n")
    write(repo, "pkg/nul.py", "import os  # \0\n")  # git calls it binary; ruff lints it
    git(repo, "add", "logo.bin", "pkg/nul.py")
    ctx = CheckContext("x", repo, {}, 30.0, repo / ".tower")
    changed = changed_lines(repo, "origin/main", ctx.run)
    assert "logo.bin" not in changed
    assert changed["pkg/nul.py"] == {1}


def test_a_shallow_clone_without_the_merge_base_is_an_error(repo: Path, tmp_path: Path) -> None:
    """CI's default depth-1 checkout: no common commit is found, and the fix says so."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "all in")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch=feature", repo.as_uri(), "clone")
    git(clone, "fetch", "-q", "--depth=1", "origin", "main:refs/remotes/origin/main")
    ctx = CheckContext("x", clone, {}, 30.0, clone / ".tower")
    with pytest.raises(ToolError) as caught:
        changed_lines(clone, "origin/main", ctx.run)
    assert "have no common commit in this shallow clone" in str(caught.value)
    assert "fetch-depth: 0" in caught.value.fix
