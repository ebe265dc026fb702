"""--tower-shard and --tower-merge on a real suite: each shard its own process in its own
working copy (as CI runners), merged in a third copy. The merge must equal the single run:
same test ids and outcomes, same counts, coverage exactly equal."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.integration.shardkit import (
    GATES,
    SKIP,
    gate,
    outcomes_of,
    read,
    run_shards,
    suite_files,
    write,
)

EXACT = ("tests", "passed", "failed", "errors", "skipped", "xfailed", "xpassed", "coverage",
         "line_coverage")


@pytest.fixture
def repo(pytester: pytest.Pytester) -> Path:
    project = pytester.path / "repo"
    write(project, {**suite_files(), "gates.toml": GATES})
    return project


def merge_job(repo: Path, name: str = "merge-job") -> Path:
    """A fresh checkout for the merge job (the shards' paths do not exist there)."""
    job = repo.parent / name
    shutil.copytree(repo, job, ignore=shutil.ignore_patterns(*SKIP))
    return job


def stage_of(report: dict) -> dict:
    (check,) = [c for c in report["checks"] if c["check"] == "tests"]
    return check


@pytest.mark.parametrize("total", [2, 4])
def test_merged_shards_equal_the_single_run(repo: Path, total: int) -> None:
    single = gate(repo, "--tower-report=single.json")
    assert single.returncode == 0, single.stdout + single.stderr
    alone = read(repo / "single.json")
    whole = outcomes_of(repo / stage_of(alone)["artifacts"]["events"])
    assert len(whole) == 55 and set(whole.values()) == {"passed", "skipped", "xfailed"}

    job = merge_job(repo)
    shards = run_shards(repo, total, job / "artifacts")
    seen: dict[str, str] = {}
    for index, path in enumerate(shards, 1):
        report = read(path)
        assert report["shard"] == f"{index}/{total}" and report["complete"] is False
        assert f"[shard {index}/{total}: one part" in report["summary"]
        lint = next(c for c in report["checks"] if c["check"] == "files")
        assert (lint["verdict"] == "skipped") == (index != 1), lint  # shard 1 only
        data = report["shard_data"]["unit::tests"]
        mine = outcomes_of(path.parent / data["files"]["events"])
        assert mine and not set(mine) & set(seen)  # every shard ran some, none twice
        seen.update(mine)
    assert seen == whole  # same ids, same outcomes

    merged = gate(job, "--tower-merge", "artifacts", "--tower-report=merged.json",
                  "--tower-markdown=merged.md", "--tower-html=merged.html",
                  "--tower-sarif=merged.sarif")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    report = read(job / "merged.json")
    assert report["verdict"] == "passed" and report["complete"] is True
    assert report["merged"]["shards"] == total
    ours, theirs = stage_of(report)["metrics"], stage_of(alone)["metrics"]
    assert {k: ours[k] for k in EXACT} == {k: theirs[k] for k in EXACT}
    assert 50 < ours["coverage"] < 100  # a figure that could differ, not a trivial 100
    for output in ("merged.md", "merged.html", "merged.sarif"):
        assert (job / output).stat().st_size > 0
    assert "TOWER GATE PASSED: 2 of 2 checks passed" in merged.stdout


def test_durations_balance_the_shards(repo: Path) -> None:
    """--tower-store-durations writes per-test times; shards then split by them."""
    stored = gate(repo, "--tower-report=single.json", "--tower-store-durations",
                  "--tower-durations=durations.json")
    assert stored.returncode == 0, stored.stdout + stored.stderr
    durations = read(repo / "durations.json")
    assert len(durations["unit::tests"]) == 55
    job = merge_job(repo)
    shards = run_shards(repo, 2, job / "artifacts", "--tower-durations=durations.json")
    for path in shards:
        items = read(path.parent / read(path)["shard_data"]["unit::tests"]["files"]
                     ["shard_items"])
        assert items["balanced_by"] == "durations" and items["durations_known"] == 55
    merged = gate(job, "--tower-merge", "artifacts", "--tower-report=merged.json",
                  "--tower-durations=durations.json")
    assert merged.returncode == 0, merged.stdout + merged.stderr


def test_jobs_split_by_stage_merge_into_one_verdict(repo: Path) -> None:
    job = merge_job(repo)
    for name, selection in (("lint", "lint"), ("tests", "unit")):
        copy = merge_job(repo, f"job-{name}")
        done = gate(copy, "-k", selection, f"--tower-report=report-{name}.json")
        assert done.returncode == 0, done.stdout + done.stderr
        (job / "artifacts").mkdir(exist_ok=True)
        shutil.copy(copy / f"report-{name}.json", job / "artifacts")
    partial = gate(job, "--tower-merge", "artifacts/report-lint.json",
                   "--tower-report=partial.json")
    assert partial.returncode == 0, partial.stdout
    assert read(job / "partial.json")["complete"] is False
    assert "(partial: 1 of 2 checks selected)" in partial.stdout
    strict = gate(job, "--tower-merge", "artifacts/report-lint.json",
                  "--tower-report=strict.json", "--tower-require-complete")
    assert strict.returncode == 1 and "partial merge, and require_complete" in strict.stdout
    assert read(job / "strict.json")["verdict"] == "failed"
    both = gate(job, "--tower-merge", "artifacts", "--tower-report=both.json")
    assert both.returncode == 0, both.stdout
    report = read(job / "both.json")
    assert report["complete"] is True and report["merged"]["shards"] == 0


@pytest.mark.parametrize(("env", "expected"), [
    ({"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2"}, "2/2"),
    ({"TOWER_SHARD": "1/2"}, "1/2"),
])
def test_shard_auto_reads_the_ci_variables(run_tower, env: dict[str, str],
                                           expected: str) -> None:
    run = run_tower(GATES, "--tower-shard=auto", files=suite_files(), env=env)
    assert run.report is not None and run.report["shard"] == expected, run.output
    assert run.rc == 0, run.output


@pytest.mark.parametrize(("value", "env", "said"), [
    ("5/4", {}, "the shard must be 1 to 4"),
    ("0/2", {}, "the shard must be 1 to 2"),
    ("two", {}, "is not a shard: expected K/N"),
    ("auto", {}, "neither $CI_NODE_INDEX and $CI_NODE_TOTAL"),
    ("auto", {"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "2"}, "the shard must be 1 to 2"),
    ("auto", {"TOWER_SHARD": "1-2"}, "$TOWER_SHARD: '1-2' is not a shard"),
])
def test_bad_shard_is_a_usage_error(run_tower, value: str, env: dict[str, str],
                                    said: str) -> None:
    run = run_tower(GATES, f"--tower-shard={value}", files=suite_files(), env=env)
    assert run.rc == 4 and said in run.output, run.output
    assert run.report is not None and run.report["verdict"] == "failed"
    assert run.clean


def test_a_check_pinned_beyond_the_shards_is_a_usage_error(run_tower) -> None:
    gates = GATES.replace('required = ["pyproject.toml"]',
                          'required = ["pyproject.toml"]\nshard = 3')
    run = run_tower(gates, "--tower-shard=1/2", files=suite_files())
    assert run.rc == 4 and "[lint.files] shard = 3, but this run has 2 shards" in run.output


def test_a_pinned_check_runs_in_its_shard_only(run_tower) -> None:
    gates = GATES.replace('required = ["pyproject.toml"]',
                          'required = ["pyproject.toml"]\nshard = 2')
    run = run_tower(gates, "--tower-shard=2/2", files=suite_files())
    assert run.rc == 0, run.output
    verdicts = {c["check"]: c["verdict"] for c in run.report["checks"]}
    assert verdicts == {"files": "passed", "tests": "passed"}


def test_a_failing_test_in_one_shard_fails_the_merge(repo: Path) -> None:
    (repo / "tests" / "test_part3.py").write_text(
        (repo / "tests" / "test_part3.py").read_text()
        + "\n\ndef test_broken():\n    assert add(1, 1) == 3\n")
    job = merge_job(repo)
    shards = run_shards(repo, 2, job / "artifacts")
    failed = [read(p)["verdict"] for p in shards]
    assert sorted(failed) == ["failed", "passed"]  # the shard that ran it fails on its own
    merged = gate(job, "--tower-merge", "artifacts", "--tower-report=merged.json")
    assert merged.returncode == 1, merged.stdout
    check = stage_of(read(job / "merged.json"))
    assert check["verdict"] == "failed" and check["metrics"]["failed"] == 1
    assert check["metrics"]["tests"] == 56
    assert any(f["path"].endswith("test_part3.py::test_broken") for f in check["findings"])


def test_a_shard_under_xdist_runs_its_share(repo: Path) -> None:
    """-n 2 on the gate itself: each worker drops the other shard's checks the same way."""
    done = gate(repo, "--tower-shard=2/2", "--tower-report=shard.json", "-n", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    report = read(repo / "shard.json")
    verdicts = {c["check"]: c["verdict"] for c in report["checks"]}
    assert verdicts == {"files": "skipped", "tests": "passed"}
    assert "not in shard 2/2: runs in shard 1/2" in report["checks"][0]["message"]
    assert 0 < stage_of(report)["metrics"]["tests"] < 55


def test_merge_and_shard_together_is_a_usage_error(repo: Path) -> None:
    done = gate(repo, "--tower-merge", ".", "--tower-shard=1/2")
    assert done.returncode == 4 and "--tower-merge runs no gate" in done.stderr
