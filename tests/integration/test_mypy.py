"""The mypy check type with the real mypy on small projects."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TYPED = {"src/app/__init__.py": "", "src/app/ok.py": "def f(x: int) -> int:\n    return x\n"}
BROKEN = {**TYPED,
          "src/app/bad.py": 'x: int = "a"\n\n\ndef g(y):\n    return y\n\n\nreveal_type(x)\n'}


def test_errors_notes_and_files_are_measured(run_tower) -> None:
    run = run_tower("""
        [types.mypy]
        paths = ["src"]
    """, files=BROKEN)
    check = run.check
    assert check["verdict"] == "failed", run.output
    assert check["metrics"] == {"errors": 1, "errors[assignment]": 1, "files": 3, "notes": 1}
    assert check["tool"].startswith("mypy ")
    run.stdout.fnmatch_lines([
        "findings (2):",
        '  src/app/bad.py:1:10 assignment Incompatible types in assignment (expression has '
        'type "str", variable has type "int")',
        '  src/app/bad.py:8:13 misc note Revealed type is "*int"',
    ])
    assert run.rc == pytest.ExitCode.TESTS_FAILED


def test_the_project_s_own_mypy_config_is_used(run_tower) -> None:
    """[tool.mypy] strict = true in pyproject.toml: the untyped def is an error too."""
    run = run_tower("""
        [types.mypy]
        paths = ["src"]
        conditions = ["errors[no-untyped-def] == 0"]
        warn = ["errors == 0"]
    """, files={**BROKEN, "pyproject.toml": "[tool.mypy]\nstrict = true\n"})
    check = run.check
    assert check["metrics"]["errors[no-untyped-def]"] == 1, run.output
    assert check["metrics"]["errors"] == 2
    assert check["verdict"] == "failed"


def test_a_clean_project_passes_and_a_config_file_can_be_named(run_tower) -> None:
    run = run_tower("""
        [types.mypy]
        config = "tools/mypy.ini"
        conditions = ["errors == 0", "files == 2"]
    """, files={**TYPED, "tools/mypy.ini": "[mypy]\nfiles = src\nstrict = True\n"})
    assert run.rc == pytest.ExitCode.OK, run.output
    assert run.check["metrics"] == {"errors": 0, "files": 2, "notes": 0}


def test_an_error_code_mypy_does_not_know_is_an_error_not_zero(run_tower) -> None:
    run = run_tower("""
        [types.mypy]
        paths = ["src"]
        conditions = ["errors[asignment] == 0"]
    """, files=TYPED)
    check = run.check
    assert check["verdict"] == "error", run.output
    assert "asignment" in check["message"]


def test_a_syntax_error_stops_mypy_and_is_an_error(run_tower) -> None:
    run = run_tower("""
        [types.mypy]
        paths = ["src"]
    """, files={**TYPED, "src/app/broken.py": "def (\n"})
    check = run.check
    assert check["verdict"] == "error", run.output
    assert "mypy stopped before it type-checked (exit 2)" in check["message"]
    assert "src/app/broken.py:1" in check["message"]  # mypy >= 1.12 says it in JSON,
    assert "[syntax]" in check["message"]             # 1.11 in text on stdout


def test_a_folder_without_python_files_is_an_error(run_tower) -> None:
    run = run_tower("""
        [types.mypy]
        paths = ["docs"]
    """, files={"docs/readme.txt": "hello\n"})
    check = run.check
    assert check["verdict"] == "error", run.output
    assert "There are no .py[i] files in directory 'docs'" in check["message"]


def test_no_paths_and_no_config_files_is_an_error(run_tower) -> None:
    run = run_tower("""
        [types.mypy]
    """, files=TYPED)
    check = run.check
    assert check["verdict"] == "error", run.output
    assert "mypy stopped" in check["message"]


def test_an_interpreter_without_mypy_is_an_error(run_tower, tmp_path: Path) -> None:
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    run = run_tower(f"""
        [types.mypy]
        paths = ["src"]
        python = "{venv}/bin/python"
    """, files=TYPED)
    check = run.check
    assert check["verdict"] == "error", run.output
    assert f"mypy is not installed for {venv}/bin/python" in check["message"]
    assert "pip install 'mypy>=" in check["message"]


@pytest.mark.parametrize("arg", ["-O", "--output=json", "--html-report", "--linecount-report"])
def test_args_may_not_take_over_the_output(pytester, gates, arg: str) -> None:
    gates(f'[types.mypy]\npaths = ["src"]\nargs = ["{arg}"]\n')
    result = pytester.runpytest("--tower")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "is set by the check itself" in result.stdout.str() + result.stderr.str()


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_new_errors_since_base(run_tower, pytester, monkeypatch) -> None:
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Tower Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "tower@example.invalid")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(pytester.path.parent))
    root = pytester.path
    (root / "src").mkdir()
    (root / "src/old.py").write_text('a: int = "old"\n')
    (root / ".gitignore").write_text(".tower/\nreport.json\n.mypy_cache/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    (root / "src/new.py").write_text('b: str = 1\n')
    run = run_tower("""
        [types.mypy]
        paths = ["src"]
        base = "main"
        conditions = ["new_errors == 0"]
        warn = ["errors == 0"]
    """)
    check = run.check
    assert check["metrics"]["errors"] == 2, run.output
    assert check["metrics"]["new_errors"] == 1
    assert check["metrics"]["new_errors[assignment]"] == 1
    assert check["findings"][0]["path"] == "src/new.py"
    assert check["findings"][0]["message"].startswith("new: ")
    assert check["verdict"] == "failed"
