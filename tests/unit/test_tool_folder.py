"""Tool venvs live in the project, or in one folder named by $TOWER_TOOLS (a CI cache)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pytest_tower.checks.toolenv import MARKER, tool_python, tools_folder, venv_for
from pytest_tower.core.model import CheckContext, ToolError


def context(root: Path) -> CheckContext:
    return CheckContext("perf::load", root, {}, 10.0, root / ".tower" / "tmp",
                        deadline=time.monotonic() + 10.0)


def test_the_project_folder_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOWER_TOOLS", raising=False)
    assert tools_folder(context(tmp_path)) == tmp_path.resolve() / ".tower" / "tools"


def test_a_shared_folder_is_reused_by_every_project(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "cache"
    monkeypatch.setenv("TOWER_TOOLS", str(shared))
    one, two = tmp_path / "one", tmp_path / "two"
    assert tools_folder(context(one)) == tools_folder(context(two)) == shared.resolve()
    # a complete venv made for project one (its marker written) is project two's too:
    # no second build, nothing under two/.tower
    venv = venv_for(context(one), "fake", ["fake-tool==1"])
    assert venv.parent == shared.resolve()
    venv.mkdir(parents=True)
    (venv / MARKER).write_text(json.dumps({"requirements": ["fake-tool==1"]}))
    assert tool_python(context(two), "fake", ["fake-tool==1"]) == venv / "bin" / "python"
    assert not (two / ".tower").exists()
    # another Python version or requirement is another venv
    assert venv_for(context(two), "fake", ["fake-tool==2"]) != venv


def test_a_file_where_the_tool_folder_should_be_is_an_error_naming_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOWER_TOOLS", raising=False)
    (tmp_path / ".tower").mkdir()
    (tmp_path / ".tower" / "tools").write_text("not a folder")
    with pytest.raises(ToolError) as caught:
        tool_python(context(tmp_path), "fake", ["fake-tool==1"])
    assert "cannot make the tool folder" in str(caught.value)
    assert "TOWER_TOOLS" in (caught.value.fix or "")


def test_a_link_to_a_missing_folder_is_made_where_it_points(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOWER_TOOLS", raising=False)
    (tmp_path / ".tower").mkdir()
    (tmp_path / ".tower" / "tools").symlink_to(tmp_path / "cache")
    venv = venv_for(context(tmp_path), "fake", ["fake-tool==1"])
    assert venv.parent == (tmp_path / "cache").resolve()


def test_a_linked_tool_folder_is_named_by_its_target(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # a venv's scripts name their interpreter by the folder's path: made through a
    # link into a temporary project, they broke once that project was gone
    monkeypatch.delenv("TOWER_TOOLS", raising=False)
    (tmp_path / "cache").mkdir()
    project = tmp_path / "project"
    (project / ".tower").mkdir(parents=True)
    (project / ".tower" / "tools").symlink_to(tmp_path / "cache")
    assert tools_folder(context(project)) == (tmp_path / "cache").resolve()
