"""The lint gate with the real ruff: exact counts, clean code, nothing linted."""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

import pytest

DIRTY = "import os\nimport sys\n\n\ndef f():\n    x = 1\n    return sys.argv\n"
# F401 (os unused) and F841 (x unused) under select = ["F"]


@pytest.fixture
def dirty(pytester: pytest.Pytester) -> None:
    pkg = pytester.mkpydir("pkg")
    (pkg / "a.py").write_text(DIRTY)
    (pkg / "b.py").write_text("import json\n")  # F401


def test_known_violations_exact_counts(dirty, run_tower) -> None:
    run = run_tower('[lint.ruff]\npaths = ["pkg"]\nselect = ["F"]\n')
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    check = run.check
    assert check["verdict"] == "failed"
    assert check["metrics"] == {"violations": 3, "fixable": 2, "files": 3, "rules": 43,
                                "suppressed": 0, "not_linted": 0,
                                "violations[F401]": 2, "violations[F841]": 1}
    assert check["tool"] == f"ruff {version('ruff')}"  # the installed one (CI: the lowest too)
    out = run.stdout.str()
    assert "pkg/a.py:1:8 F401 `os` imported but unused" in out
    assert "pkg/a.py:6:5 F841 Local variable `x` is assigned to but never used" in out
    assert "FAIL  violations == 0  (measured 3)" in out
    assert "TOWER GATE FAILED: 1 of 1 checks failed (1 failed)" in out


def test_per_rule_conditions_and_warnings(dirty, run_tower) -> None:
    run = run_tower('[lint.ruff]\npaths = ["pkg"]\nselect = ["F"]\n'
                    'conditions = ["violations[F811] == 0", "violations[F841] <= 1", '
                    '"files == 3"]\nwarn = ["violations[F401] == 0"]\n')
    assert run.rc == pytest.ExitCode.OK
    levels = [(c["expr"], c["passed"], c["level"]) for c in run.check["conditions"]]
    assert levels == [("violations[F811] == 0", True, "fail"),
                      ("violations[F841] <= 1", True, "fail"),
                      ("files == 3", True, "fail"),
                      ("violations[F401] == 0", False, "warn")]
    assert "warn  violations[F401] == 0  (measured 2)" in run.stdout.str()
    assert "TOWER GATE PASSED: 1 of 1 checks passed" in run.stdout.str()


def test_clean_project_passes(pytester, run_tower) -> None:
    pytester.mkpydir("pkg")
    (pytester.path / "pkg" / "ok.py").write_text('"""Fine."""\n\nVALUE = 1\n')
    run = run_tower('[lint.ruff]\npaths = ["pkg"]\n')
    assert run.rc == pytest.ExitCode.OK
    assert run.report["verdict"] == "passed"
    assert run.check["metrics"]["violations"] == 0
    assert run.check["metrics"]["files"] == 2


def test_the_projects_own_ruff_config_is_used(pytester, dirty, run_tower) -> None:
    pytester.makepyprojecttoml('[tool.ruff.lint]\nselect = ["F841"]\n')
    run = run_tower('[lint.ruff]\npaths = ["pkg"]\n')
    assert run.check["metrics"]["violations"] == 1


def test_ignore_is_passed_through(dirty, run_tower) -> None:
    run = run_tower('[lint.ruff]\npaths = ["pkg"]\nselect = ["F"]\nignore = ["F401"]\n')
    assert run.check["metrics"]["violations"] == 1


def test_no_python_files_is_an_error_not_a_pass(pytester, run_tower) -> None:
    (pytester.path / "docs").mkdir()
    (pytester.path / "docs" / "x.txt").write_text("hi")
    run = run_tower('[lint.ruff]\npaths = ["docs"]\n')
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    assert run.check["verdict"] == "error"
    out = run.stdout.str()
    assert "ruff found no Python files to lint under docs" in out
    assert "ERROR at setup of lint::ruff" in out
    assert "TOWER GATE FAILED: 1 of 1 checks failed (1 error)" in out


def test_an_excluded_tree_is_nothing_linted(pytester, run_tower) -> None:
    for excluded in ("venv", "dist", "node_modules"):
        folder = pytester.path / "proj" / excluded
        folder.mkdir(parents=True)
        (folder / "m.py").write_text("import os\n")
    run = run_tower('[lint.ruff]\npaths = ["proj"]\n')
    assert run.check["verdict"] == "error"


def test_a_missing_path_is_an_error(dirty, run_tower) -> None:
    run = run_tower('[lint.ruff]\npaths = ["pkg", "srcc"]\n')
    assert run.check["verdict"] == "error"
    assert "nothing to lint at 'srcc'" in run.stdout.str()


def test_findings_are_capped_in_the_terminal(pytester, run_tower, no_traceback) -> None:
    pkg = pytester.mkpydir("pkg")
    (pkg / "many.py").write_text("".join(f"import m{i}\n" for i in range(30)))
    run = run_tower('[lint.ruff]\npaths = ["pkg"]\nselect = ["F401"]\n')
    assert run.check["metrics"]["violations"] == 30
    assert len(run.check["findings"]) == 30
    assert "… and 10 more" in run.stdout.str()
    assert no_traceback(run.stdout.str())


@pytest.mark.parametrize("config", [
    '[tool.ruff.lint]\nselect = []\n',
    '[tool.ruff.lint]\nignore = ["ALL"]\n',
    '[tool.ruff.lint]\nselect = ["F"]\nper-file-ignores = {"*.py" = ["ALL"]}\n',
], ids=["select-nothing", "ignore-all", "per-file-ignores-all"])
def test_no_rule_enabled_is_an_error(pytester, dirty, config, run_tower) -> None:
    pytester.makepyprojecttoml(config)
    run = run_tower('[lint.ruff]\npaths = ["pkg"]\n')
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    assert run.check["verdict"] == "error"
    assert "ruff has no rule enabled for any of the 3 linted file(s)" in run.stdout.str()


def test_a_check_that_ignores_everything_is_an_error(dirty, run_tower) -> None:
    run = run_tower('[lint.ruff]\npaths = ["pkg"]\nignore = ["ALL"]\n')
    assert run.check["verdict"] == "error"
    assert "nothing was checked" in run.stdout.str()


def test_blanket_noqa_in_every_file_is_an_error(pytester, run_tower) -> None:
    pkg = pytester.mkpydir("pkg")
    (pkg / "__init__.py").write_text("# ruff: noqa\n")
    (pkg / "a.py").write_text("# flake8: noqa\nimport os\n")
    run = run_tower('[lint.ruff]\npaths = ["pkg"]\n')
    assert run.check["verdict"] == "error"
    assert "`# ruff: noqa` exempt every file" in run.stdout.str()


def test_files_without_rules_are_named_and_counted(pytester, dirty, run_tower) -> None:
    pytester.makepyprojecttoml('[tool.ruff.lint]\nselect = ["F"]\n'
                               'per-file-ignores = {"pkg/b.py" = ["ALL"]}\n')
    run = run_tower('[lint.ruff]\npaths = ["pkg"]\nconditions = ["violations[F841] == 1"]\n'
                    'warn = ["rules >= 1"]\n')
    check = run.check
    assert check["verdict"] == "passed"
    assert check["metrics"]["rules"] == 0 and check["metrics"]["violations[F401]"] == 1
    assert "1 linted file(s) get no ruff rule at all" in run.stdout.str()
    assert "pkg/b.py" in run.stdout.str()


@pytest.mark.parametrize(("key", "words"), [
    ("F4O1", ["ruff has no rule 'F4O1'", "did you mean 'F401'?"]),
    ("E999", ["ruff removed E999 in 0.8.0", "did you mean 'invalid-syntax'?"]),
    ("unused-import", ["name of rule F401", "did you mean 'F401'?"]),
])
def test_a_condition_on_an_unknown_rule_is_a_config_error(pytester, gates, dirty, key, words,
                                                          no_traceback
                                                         ) -> None:
    gates(f'[lint.ruff]\npaths = ["pkg"]\nwarn = ["new_violations[{key}] == 0"]\nbase = "x"\n')
    result = pytester.runpytest("--tower")
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "gates.toml:1: [lint.ruff] warn:" in out
    for word in words:
        assert word in out
    assert no_traceback(out)


def test_syntax_errors_count_under_invalid_syntax_even_without_rules(pytester, run_tower
                                                                     ) -> None:
    (pytester.path / "ok.py").write_text("X = 1\n")
    (pytester.path / "bad.py").write_text("def f(:\n")
    run = run_tower('[lint.ruff]\npaths = ["ok.py", "bad.py"]\nselect = ["F401"]\n'
                    'conditions = ["violations[invalid-syntax] == 0"]\n')
    assert run.rc == pytest.ExitCode.TESTS_FAILED
    assert run.check["metrics"]["violations[invalid-syntax]"] == 2
    assert "bad.py:1:7 invalid-syntax" in run.stdout.str()


def test_a_condition_on_a_rule_that_is_not_enabled_is_a_config_error(pytester, gates, dirty
                                                                     ) -> None:
    pytester.makepyprojecttoml('[tool.ruff.lint]\nselect = ["E"]\n')
    gates('[lint.ruff]\npaths = ["pkg"]\nconditions = ["violations[F401] == 0"]\n')
    result = pytester.runpytest("--tower")
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "violations[F401]: rule F401 is not enabled in the ruff configuration for pkg" in out
    gates('[lint.ruff]\npaths = ["pkg"]\nselect = ["F"]\nconditions = ["violations[F401] == 0"]\n')
    assert pytester.runpytest("--tower").ret == pytest.ExitCode.TESTS_FAILED  # enabled: counts 2


def test_noqa_suppressions_are_counted_and_noted(pytester, run_tower) -> None:
    pkg = pytester.mkpydir("pkg")
    (pkg / "a.py").write_text("import os  # noqa\nimport sys  # noqa: F401\nimport json\n")
    run = run_tower('[lint.ruff]\npaths = ["pkg"]\nselect = ["F"]\n')
    check = run.check
    assert (check["metrics"]["violations"], check["metrics"]["suppressed"]) == (1, 2)
    assert "2 violation(s) suppressed by `# noqa` comments and not counted" in \
        run.stdout.str()


def test_files_under_paths_that_ruff_excludes_are_named(pytester, run_tower) -> None:
    pkg = pytester.mkpydir("pkg")
    (pkg / "real.py").write_text("import os\n")
    (pkg / ".venv").mkdir()
    (pkg / ".venv" / "skip.py").write_text("import os\n")  # ruff's default exclude: no note
    pytester.makepyprojecttoml('[tool.ruff]\nextend-exclude = ["pkg/real.py"]\n')
    run = run_tower('[lint.ruff]\npaths = ["pkg"]\nselect = ["F"]\n'
                    'warn = ["not_linted == 0"]\n')
    check = run.check
    assert check["metrics"]["not_linted"] == 1 and check["metrics"]["violations"] == 0
    out = run.stdout.str()
    assert "ruff did not lint 1 Python file(s) under `paths`" in out
    assert "pkg/real.py" in out and "skip.py" not in out
    assert "warn  not_linted == 0  (measured 1)" in out


@pytest.fixture
def ruff_log(pytester, fake_tool) -> tuple[str, Path]:
    """The real ruff behind a wrapper that logs each command line it is given."""
    real = Path(sys.executable).with_name("ruff")
    log = pytester.path / "ruff-calls.log"
    wrapper = fake_tool("ruff", f'echo "$*" >> "{log}"\nexec "{real}" "$@"\n')
    return str(wrapper), log


def test_a_plain_project_costs_four_ruff_processes(pytester, ruff_log, run_tower) -> None:
    """No noqa comment, no lint-only exclude: version, files, settings, lint — nothing
    more (bench/bench_core.py measures what each extra process costs)."""
    wrapper, log = ruff_log
    pkg = pytester.mkpydir("pkg")
    (pkg / "a.py").write_text("import os\n")
    run = run_tower(f'[lint.ruff]\npaths = ["pkg"]\nselect = ["F"]\nexecutable = "{wrapper}"\n')
    assert run.check["metrics"]["violations"] == 1
    calls = log.read_text().splitlines()
    assert len(calls) == 4, calls
    assert not [c for c in calls if "--ignore-noqa" in c or "CPY001" in c]


def test_the_noqa_lint_reads_only_files_with_a_suppression(pytester, ruff_log,
                                                           run_tower) -> None:
    wrapper, log = ruff_log
    pkg = pytester.mkpydir("pkg")
    (pkg / "a.py").write_text("import os\n")
    (pkg / "b.py").write_text("import os  # NoQA: F401\n")
    (pkg / "c.py").write_text("# ruff: disable[F401]\nimport os\n")
    run = run_tower(f'[lint.ruff]\npaths = ["pkg"]\nselect = ["F"]\nexecutable = "{wrapper}"\n')
    assert (run.check["metrics"]["violations"], run.check["metrics"]["suppressed"]) == (1, 2)
    (raw,) = [c for c in log.read_text().splitlines() if "--ignore-noqa" in c]
    assert raw.endswith(" -- " + " ".join(str(pkg / n) for n in ("b.py", "c.py")))


def test_a_lint_only_exclude_brings_the_probe_back(pytester, ruff_log, run_tower) -> None:
    wrapper, log = ruff_log
    pkg = pytester.mkpydir("pkg")
    (pkg / "a.py").write_text("import os\n")
    pytester.makepyprojecttoml('[tool.ruff.lint]\nselect = ["F"]\nexclude = ["pkg/a.py"]\n')
    run = run_tower(f'[lint.ruff]\npaths = ["pkg"]\nexecutable = "{wrapper}"\n')
    assert run.check["metrics"]["not_linted"] == 1
    assert [c for c in log.read_text().splitlines() if "CPY001" in c]
