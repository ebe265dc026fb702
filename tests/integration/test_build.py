"""The package check: a real wheel of the demo, built by python -m build."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from pytest_tower.checks.package import CHECK_TYPE
from pytest_tower.core.model import CheckContext, ToolError

DEMO = Path(__file__).resolve().parents[2] / "examples" / "tasktower"


def copy_demo(target: Path) -> Path:
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns(
        "__pycache__", ".tower", "*.db", ".pytest_cache", ".ruff_cache"))
    return target


def measure(root: Path, artifacts: Path, **options):
    ctx = CheckContext("build::package", root, {"path": ".", "isolated": True, **options},
                       300.0, artifacts, deadline=time.monotonic() + 300.0)
    return CHECK_TYPE.run(ctx)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The demo built once, in isolation (the backend comes from the package index)."""
    root = copy_demo(tmp_path_factory.mktemp("project") / "tasktower")
    return root, measure(root, root / ".tower" / "artifacts")


def test_metrics_artifact_and_sha256(built) -> None:
    root, result = built
    wheel = root / result.artifacts["wheel"]
    assert wheel.name == "tasktower-0.1.0-py3-none-any.whl" and wheel.is_file()
    assert result.metrics["size"] == wheel.stat().st_size
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert result.metrics["files"] == len(names) and "tasktower/app.py" in names
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert result.artifacts["sha256"] == digest and f"sha256 {digest}" in result.notes
    assert result.tool.startswith("build ")


def test_the_wheel_installs_and_imports(built, tmp_path) -> None:
    root, result = built
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q",
                    "--python", str(venv / "bin" / "python"), "install", "--no-deps",
                    "--no-index", str(root / result.artifacts["wheel"])], check=True)
    out = subprocess.run([str(venv / "bin" / "python"), "-c",
                          "import tasktower; print(tasktower.__version__)"],
                         capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "0.1.0"


def test_no_isolation_builds_the_same_files(built, tmp_path) -> None:
    root, isolated = built
    result = measure(root, tmp_path / "artifacts", isolated=False)
    assert result.metrics["files"] == isolated.metrics["files"]


def test_no_project_or_broken_backend_is_an_error(tmp_path) -> None:
    with pytest.raises(ToolError, match=r"no pyproject\.toml"):
        measure(tmp_path, tmp_path / "artifacts")
    broken = copy_demo(tmp_path / "broken")
    text = (broken / "pyproject.toml").read_text()
    (broken / "pyproject.toml").write_text(text.replace('"hatchling.build"', '"nohatch.build"'))
    with pytest.raises(ToolError, match="build exited with code 1") as failed:
        measure(broken, tmp_path / "artifacts", isolated=False)
    assert "nohatch" in str(failed.value)
    assert not list((tmp_path / "artifacts" / "dist").glob("*.whl"))


def test_package_gate_through_pytest_tower(pytester, gates, read_report) -> None:
    copy_demo(pytester.path / "app")
    gates("""
        [build.package]
        path = "app"
        isolated = false
        conditions = ["size < 5MB", "files > 5"]
    """)
    result = pytester.runpytest("--tower", "-p", "no:cacheprovider", "--tower-report", "r.json")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    check = read_report(pytester.path / "r.json")["checks"][0]
    assert check["verdict"] == "passed" and check["check"] == "package"
    wheel = pytester.path / check["artifacts"]["wheel"]
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() == check["artifacts"]["sha256"]
