"""Conditions against the accepted baseline: recorded only from a passing run."""

from __future__ import annotations

import json
import subprocess

import pytest


@pytest.fixture
def project(pytester: pytest.Pytester, gates) -> pytest.Pytester:
    pkg = pytester.mkpydir("pkg")
    (pkg / "m.py").write_text("import os\n")  # one F401
    gates('[lint.ruff]\npaths = ["pkg"]\nselect = ["F"]\nconditions = ["violations <= baseline"]\n')
    return pytester


def test_missing_baseline_is_an_error_not_a_pass(project, read_report) -> None:
    result = project.runpytest("--tower", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    check = read_report(project.path / "r.json")["checks"][0]
    assert check["verdict"] == "error"
    assert "no accepted baseline for violations" in check["message"]
    assert "--tower-update-baseline" in result.stdout.str()


def test_record_then_ratchet(project) -> None:
    result = project.runpytest("--tower", "--tower-update-baseline")
    assert result.ret == pytest.ExitCode.OK
    assert "baseline recorded in" in result.stdout.str()
    baseline = json.loads((project.path / ".tower" / "baseline.json").read_text())
    assert baseline["checks"]["lint::ruff"]["violations"] == 1
    # Same code: holds. One more violation: fails against the recorded baseline.
    assert project.runpytest("--tower").ret == pytest.ExitCode.OK
    (project.path / "pkg" / "n.py").write_text("import sys\n")
    result = project.runpytest("--tower")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "violations <= baseline  (measured 2, baseline 1 -> threshold 1)" in (
        result.stdout.str())


def test_a_failing_run_never_becomes_the_baseline(project, gates) -> None:
    project.runpytest("--tower", "--tower-update-baseline")
    gates('[lint.ruff]\npaths = ["pkg"]\nselect = ["F"]\nconditions = ["violations <= baseline"]'
          '\n[strict.ruff]\npaths = ["pkg"]\nselect = ["F"]\n')
    result = project.runpytest("--tower", "--tower-update-baseline")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "baseline not updated: the gate did not pass" in result.stdout.str()
    baseline = json.loads((project.path / ".tower" / "baseline.json").read_text())
    assert set(baseline["checks"]) == {"lint::ruff"}


def test_a_corrupt_baseline_errors_the_conditions_that_need_it(project, gates, read_report) -> None:
    (project.path / ".tower").mkdir()
    (project.path / ".tower" / "baseline.json").write_text("{not json")
    result = project.runpytest("--tower", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    check = read_report(project.path / "r.json")["checks"][0]
    assert check["verdict"] == "error"
    assert "baseline.json cannot be used (Expecting property name" in check["message"]
    # A check that does not compare with the baseline is not held hostage by it.
    gates('[lint.ruff]\npaths = ["pkg"]\nselect = ["F"]\nconditions = ["violations <= 1"]\n')
    assert project.runpytest("--tower").ret == pytest.ExitCode.OK


def test_a_non_finite_baseline_value_is_never_compared(project, read_report) -> None:
    """`violations <= Infinity` holds for anything: the value is unusable, not a pass."""
    (project.path / ".tower").mkdir()
    (project.path / ".tower" / "baseline.json").write_text(
        '{"schema": 1, "checks": {"lint::ruff": {"violations": Infinity, "other": 3}}}')
    result = project.runpytest("--tower", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    check = read_report(project.path / "r.json")["checks"][0]
    assert check["verdict"] == "error"
    assert "the accepted baseline of violations for lint::ruff" in check["message"]
    assert "is inf, not a finite number" in check["message"]


def test_recording_over_a_broken_baseline_writes_strict_json(project) -> None:
    (project.path / ".tower").mkdir()
    path = project.path / ".tower" / "baseline.json"
    path.write_text('{"schema": 1, "checks": {"lint::ruff": {"violations": NaN}}}')
    assert project.runpytest("--tower", "--tower-update-baseline").ret == pytest.ExitCode.OK
    text = path.read_text()
    assert "NaN" not in text
    assert json.loads(text)["checks"]["lint::ruff"]["violations"] == 1


def test_without_a_file_the_last_passing_run_on_the_base_branch_is_the_baseline(
        project, monkeypatch) -> None:
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "t")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "t@example.invalid")
    git = ["git", "-C", str(project.path)]

    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    # No baseline yet: the first run cannot be judged (and is not a passing run).
    assert project.runpytest("--tower").ret == pytest.ExitCode.TESTS_FAILED
    # A passing run on main (ratchet off for a moment) goes into the history...
    gates = project.path / "gates.toml"
    ratchet = gates.read_text()
    gates.write_text(ratchet.replace('["violations <= baseline"]', '["violations <= 1"]'))
    assert project.runpytest("--tower").ret == pytest.ExitCode.OK
    gates.write_text(ratchet)
    # ...and is the baseline the ratchet compares with.
    result = project.runpytest("--tower")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert "baseline: the last passing run on main" in result.stdout.str()
    (project.path / "pkg" / "n.py").write_text("import sys\n")
    result = project.runpytest("--tower")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "(measured 2, baseline 1 -> threshold 1)" in result.stdout.str()
    assert not (project.path / ".tower" / "baseline.json").exists()


def test_a_clean_key_records_its_zero_and_holds_it(pytester: pytest.Pytester, gates) -> None:
    """A rule with no violation is recorded as 0: 0 -> 5 is a regression, not "new"."""
    (pytester.mkpydir("pkg") / "m.py").write_text("X = 1\n")
    gates('[lint.ruff]\npaths = ["pkg"]\nselect = ["F"]\n'
          'conditions = ["violations[F401] <= baseline"]\n')
    assert pytester.runpytest("--tower", "--tower-update-baseline").ret == pytest.ExitCode.OK
    path = pytester.path / ".tower" / "baseline.json"
    assert json.loads(path.read_text())["checks"]["lint::ruff"]["violations[F401]"] == 0
    (pytester.path / "pkg" / "m.py").write_text("import os, sys, json, re, glob\n")
    result = pytester.runpytest("--tower", "--tower-update-baseline")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    assert "violations[F401] <= baseline  (measured 5, baseline 0 -> threshold 0)" in out
    assert "baseline not updated: the gate did not pass" in out
    assert json.loads(path.read_text())["checks"]["lint::ruff"]["violations[F401]"] == 0


def test_a_baseline_recorded_without_the_key_reads_it_as_zero(pytester: pytest.Pytester,
                                                               gates, read_report) -> None:
    """Older baselines hold only the codes that were seen; the others were 0, not unknown."""
    (pytester.mkpydir("pkg") / "m.py").write_text("import os\n")
    gates('[lint.ruff]\npaths = ["pkg"]\nselect = ["F"]\n'
          'conditions = ["violations[F401] <= baseline", "violations <= baseline"]\n')
    (pytester.path / ".tower").mkdir()
    (pytester.path / ".tower" / "baseline.json").write_text(
        '{"schema": 1, "checks": {"lint::ruff": {"files": 1}}}')
    result = pytester.runpytest("--tower", "--tower-report=r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    check = read_report(pytester.path / "r.json")["checks"][0]
    assert check["verdict"] == "error"  # `violations` itself is missing: no baseline, an error
    assert "no accepted baseline for violations (" in check["message"]
    keyed = next(c for c in check["conditions"] if c["metric"] == "violations[F401]")
    assert (keyed["baseline"], keyed["passed"]) == (0, False)


def test_a_partial_update_records_only_the_checks_that_ran(pytester: pytest.Pytester,
                                                           gates) -> None:
    (pytester.mkpydir("pkg") / "m.py").write_text("import os\n")
    gates('[lint.ruff]\npaths = ["pkg"]\nselect = ["F"]\nconditions = ["violations <= 5"]\n\n'
          '[other.ruff]\npaths = ["pkg"]\nselect = ["F"]\nconditions = ["violations <= 5"]\n')
    assert pytester.runpytest("--tower", "--tower-update-baseline").ret == pytest.ExitCode.OK
    (pytester.path / "pkg" / "n.py").write_text("import sys\n")
    result = pytester.runpytest("--tower", "--tower-update-baseline", "-k", "other")
    assert result.ret == pytest.ExitCode.OK
    assert ("baseline recorded in" in result.stdout.str()
            and "for other::ruff (partial run: only the checks that ran were recorded; "
            "not run, so their baseline was left as it was: gates.toml::lint::ruff)"
            in result.stdout.str())
    checks = json.loads((pytester.path / ".tower" / "baseline.json").read_text())["checks"]
    assert (checks["lint::ruff"]["violations"], checks["other::ruff"]["violations"]) == (1, 2)
