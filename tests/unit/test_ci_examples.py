"""examples/ci/: the GitHub Actions workflow and the GitLab CI job stay valid and in
step with the plugin's options."""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "ci"
OUTPUTS = {"--tower-report": ".tower/tower-report.json", "--tower-sarif": ".tower/tower.sarif",
           "--tower-markdown": ".tower/tower-summary.md",
           "--tower-html": ".tower/tower-report.html", "--junitxml": ".tower/junit.xml"}


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES / name).read_text())
    assert isinstance(data, dict)
    return data


def gate_argv(script: str) -> list[str]:
    """The `pytest --tower …` command of a shell script (folded YAML: one line)."""
    (line,) = [s for s in script.splitlines() if "--tower" in s]
    argv = shlex.split(line)
    assert argv[:4] == ["python", "-m", "pytest", "--tower"], argv
    return argv


def options(argv: list[str]) -> dict[str, str]:
    return {a: b for a, b in itertools.pairwise(argv) if a.startswith("--")}


def github_steps() -> list[dict[str, Any]]:
    workflow = load("github-actions.yml")
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert "pull_request" in triggers and "push" in triggers
    assert workflow["permissions"]["security-events"] == "write"
    (job,) = workflow["jobs"].values()
    return job["steps"]


def test_github_workflow_runs_the_gate_with_every_output() -> None:
    steps = github_steps()
    (gate,) = [s for s in steps if "--tower" in s.get("run", "")]
    opts = options(gate_argv(gate["run"]))
    assert {k: opts.get(k) for k in OUTPUTS} == OUTPUTS
    assert int(opts["--tower-history-keep"]) > 0
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert uses.index("actions/checkout") < steps.index(gate)  # checked out before it runs


def test_github_workflow_uploads_sarif_and_keeps_artifacts_even_on_failure() -> None:
    steps = github_steps()
    by_action = {s["uses"].split("@")[0]: s for s in steps if "uses" in s}
    upload = by_action["github/codeql-action/upload-sarif"]
    assert upload["with"]["sarif_file"] == OUTPUTS["--tower-sarif"]
    assert upload["if"].startswith("always()")
    artifacts = by_action["actions/upload-artifact"]
    assert artifacts["with"]["path"] == ".tower/" and artifacts["if"] == "always()"
    assert by_action["actions/cache"]["with"]["path"] == ".tower/history.jsonl"


def test_gitlab_job_runs_the_gate_and_keeps_its_reports() -> None:
    ci = load("gitlab-ci.yml")
    job = ci["tower"]
    assert job["stage"] in ci["stages"]
    (command,) = [s for s in job["script"] if "--tower" in s]
    opts = options(gate_argv(command))
    assert {k: opts.get(k) for k in OUTPUTS} == OUTPUTS
    artifacts = job["artifacts"]
    assert artifacts["when"] == "always" and ".tower/" in artifacts["paths"]
    assert artifacts["reports"]["junit"] == OUTPUTS["--junitxml"]
    assert {"paths": [".tower/history.jsonl"]}.items() <= next(
        c for c in job["cache"] if "history" in c["key"]).items()


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml",
                                  "github-actions-shards.yml", "gitlab-ci-shards.yml"])
def test_every_option_the_examples_use_exists(name: str, pytester: pytest.Pytester) -> None:
    text = (EXAMPLES / name).read_text()
    used = set(re.findall(r"(--tower[a-z-]*)", text))
    assert used >= {"--tower", "--tower-sarif", "--tower-html", "--tower-markdown"}
    help_text = pytester.runpytest("--help").stdout.str()
    missing = sorted(o for o in used if not re.search(rf"{o}\b(?!-)", help_text))
    assert missing == []


def merge_argv(script: str) -> list[str]:
    (line,) = [s for s in script.splitlines() if "--tower-merge" in s]
    argv = shlex.split(line)
    assert argv[:4] == ["python", "-m", "pytest", "--tower-merge"], argv
    return argv


def test_github_matrix_shards_then_one_merge_that_always_runs() -> None:
    workflow = load("github-actions-shards.yml")
    shard, merge = workflow["jobs"]["shard"], workflow["jobs"]["merge"]
    matrix = shard["strategy"]["matrix"]["shard"]
    assert matrix == [1, 2, 3, 4] and shard["strategy"]["fail-fast"] is False
    assert shard["env"]["TOWER_SHARD"] == f"${{{{ matrix.shard }}}}/{len(matrix)}"
    (gate,) = [s for s in shard["steps"] if "--tower" in s.get("run", "")]
    argv = gate_argv(gate["run"])
    report = options(argv)["--tower-report"]
    assert options(argv)["--tower-shard"] == "auto"
    (upload,) = [s for s in shard["steps"] if s.get("uses", "").startswith(
        "actions/upload-artifact")]
    assert upload["if"] == "always()" and report.startswith(upload["with"]["path"])
    assert "${{ matrix.shard }}" in upload["with"]["name"]  # one artifact per shard
    assert merge["needs"] == "shard" and merge["if"] == "always()"
    uses = [s.get("uses", "").split("@")[0] for s in merge["steps"]]
    download = merge["steps"][uses.index("actions/download-artifact")]
    prefix = upload["with"]["name"].split("$")[0]
    assert download["with"]["pattern"] == prefix + "*"
    (run,) = [s for s in merge["steps"] if "--tower-merge" in s.get("run", "")]
    argv = merge_argv(run["run"])
    assert argv[4] == download["with"]["path"]
    assert "--tower-require-complete" in argv
    assert uses.index("actions/checkout") < uses.index("actions/download-artifact")


def test_gitlab_parallel_shards_then_one_merge_that_always_runs() -> None:
    ci = load("gitlab-ci-shards.yml")
    shard, verdict = ci["tower-shard"], ci["tower-verdict"]
    assert shard["parallel"] == 4
    assert ci["stages"].index(shard["stage"]) < ci["stages"].index(verdict["stage"])
    (command,) = [s for s in shard["script"] if "--tower" in s]
    opts = options(gate_argv(command))
    assert opts["--tower-shard"] == "auto"
    report = opts["--tower-report"]
    assert "$CI_NODE_INDEX" in report  # each job its own folder: downloads do not collide
    (kept,) = shard["artifacts"]["paths"]
    assert shard["artifacts"]["when"] == "always" and report.startswith(kept)
    assert verdict["when"] == "always"
    assert verdict["needs"] == [{"job": "tower-shard", "artifacts": True}]
    (merge,) = [s for s in verdict["script"] if "--tower-merge" in s]
    argv = merge_argv(merge)
    assert argv[4] == kept and "--tower-require-complete" in argv
