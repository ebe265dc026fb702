"""The deps check type: real `pip check` on a real venv with broken requirements, real
deptry on small projects (run in this environment, where it maps imports to packages)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.integration.venvs import make_venv

PROJECT = """\
[project]
name = "app"
version = "0.1"
dependencies = ["pytest", "packaging"]

[dependency-groups]
dev = ["PyYAML"]
"""
# packaging is declared, never imported (DEP002); pluggy only comes with pytest (DEP003);
# yaml is a dev dependency imported by the code (DEP004); nowhere_pkg is declared by
# nothing and installed nowhere (DEP001)
SOURCES = {"pyproject.toml": PROJECT,
           "src/app/__init__.py": "import pytest\nimport pluggy\nimport yaml\n"
                                  "import nowhere_pkg\n"}
DEPTRY_ONLY = '[deps.hygiene]\ntool = "deps"\npip_check = false\npaths = ["src"]\n'


@pytest.fixture(scope="module")
def broken_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with pip whose packages break each other's requirements (installed with
    --no-deps, as a hand-made environment can be)."""
    python = make_venv(tmp_path_factory.mktemp("broken"), {
        "tower-needy": 'dependencies = ["tower-absent>=1"]',
        "tower-picky": 'dependencies = ["tower-base>=2"]',
        "tower-base": "",
    })
    subprocess.run([str(python), "-m", "ensurepip", "--default-pip"], check=True,
                   capture_output=True)
    return python


def test_pip_check_names_each_broken_requirement(broken_venv: Path, run_tower) -> None:
    run = run_tower(f"""
        [install.deps]
        deptry = false
        python = "{broken_venv}"
        conditions = ["conflicts == 0"]
    """)
    check = run.check
    assert check["verdict"] == "failed", run.output
    assert check["metrics"] == {"conflicts": 2}
    run.stdout.fnmatch_lines([
        "findings (2):",
        "  tower-needy 1.0 missing-requirement requires tower-absent, which is not "
        "installed.",
        "  tower-picky 1.0 conflict has requirement tower-base>=2, but you have tower-base "
        "1.0.",
    ])
    assert run.rc == pytest.ExitCode.TESTS_FAILED


def test_an_environment_without_pip_is_an_error(tmp_path_factory, run_tower) -> None:
    python = make_venv(tmp_path_factory.mktemp("nopip"), {"tower-base": ""})
    run = run_tower(f"""
        [install.deps]
        deptry = false
        python = "{python}"
        conditions = ["conflicts == 0"]
    """)
    check = run.check
    assert check["verdict"] == "error", run.output
    assert f"pip is not installed in the environment of {python}" in check["message"]


def test_this_environment_has_no_conflicts(run_tower) -> None:
    run = run_tower("""
        [install.deps]
        deptry = false
        conditions = ["conflicts == 0"]
    """)
    assert run.rc == pytest.ExitCode.OK, run.output
    assert run.check["metrics"] == {"conflicts": 0}


def test_deptry_finds_missing_unused_transitive_and_misplaced(run_tower) -> None:
    run = run_tower(DEPTRY_ONLY + 'conditions = ["issues == 0"]\n', files=SOURCES)
    check = run.check
    assert check["verdict"] == "failed", run.output
    metrics = check["metrics"]
    assert (metrics["missing"], metrics["unused"], metrics["transitive"],
            metrics["misplaced_dev"], metrics["stdlib"]) == (1, 1, 1, 1, 0), metrics
    assert metrics["issues"] == 4
    assert metrics["issues[DEP002]"] == 1
    assert metrics["files"] == 1
    assert "conflicts" not in metrics  # pip check was not run: no number for it
    codes = {(f["code"], f["path"]) for f in check["findings"]}
    assert codes == {("DEP001", "src/app/__init__.py"), ("DEP002", "pyproject.toml"),
                     ("DEP003", "src/app/__init__.py"), ("DEP004", "src/app/__init__.py")}
    assert "'pluggy' imported but it is a transitive dependency" in run.output


def test_per_code_conditions(run_tower) -> None:
    run = run_tower(DEPTRY_ONLY + 'conditions = ["missing == 0", "issues[DEP003] <= 1"]\n'
                    'warn = ["unused == 0"]\n', files={
                        **SOURCES, "src/app/__init__.py": "import pytest\nimport pluggy\n"})
    check = run.check
    assert check["verdict"] == "passed", run.output
    assert check["metrics"]["unused"] == 1


def test_a_clean_project_passes_both_parts(run_tower) -> None:
    run = run_tower("""
        [install.deps]
        paths = ["src"]
    """, files={"pyproject.toml": PROJECT.replace('"pytest", "packaging"', '"packaging"'),
                "src/app/__init__.py": "import packaging\n"})
    assert run.rc == pytest.ExitCode.OK, run.output
    assert run.check["metrics"]["conflicts"] == 0
    assert run.check["metrics"]["issues"] == 0


def test_an_unknown_issue_code_is_an_error_not_zero(run_tower) -> None:
    run = run_tower(DEPTRY_ONLY + 'conditions = ["issues[DEP010] == 0"]\n', files=SOURCES)
    assert run.check["verdict"] == "error", run.output
    assert "DEP010" in run.check["message"]


def test_deptry_scanning_no_file_is_an_error(run_tower) -> None:
    run = run_tower(DEPTRY_ONLY + 'conditions = ["issues == 0"]\n',
                    files={"pyproject.toml": PROJECT, "src/README.txt": "no code\n"})
    check = run.check
    assert check["verdict"] == "error", run.output
    assert "deptry scanned no Python file under src" in check["message"]


def test_a_project_without_declared_dependencies_is_an_error(run_tower) -> None:
    run = run_tower(DEPTRY_ONLY + 'conditions = ["issues == 0"]\n',
                    files={"src/app/__init__.py": "import os\n"})
    check = run.check
    assert check["verdict"] == "error", run.output
    assert "deptry failed (exit 1) and wrote no report" in check["message"]


@pytest.mark.parametrize(("table", "message"), [
    ("pip_check = false\ndeptry = false", "pip_check and deptry are both false"),
    ("pip_check = false", "with pip_check = false, state the conditions"),
    ('deptry = false\nconditions = ["unused == 0"]',
     "condition 'unused == 0' needs deptry, which is false here"),
])
def test_bad_parts_are_config_errors(pytester, gates, table: str, message: str) -> None:
    gates("[install.deps]\n" + table + "\n")
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stdout.str() + result.stderr.str()
