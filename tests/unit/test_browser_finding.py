"""The Chromium a browser check launches: an explicit path, PATH, Playwright's own
browsers, in that order; none is an error with the install commands, never a download."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_tower.checks.browser import INSTALL_HINT, find_chromium
from pytest_tower.core.model import ToolError


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No browser anywhere: an empty PATH and an empty Playwright cache."""
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "ms-playwright"))
    return tmp_path


def test_none_found_names_what_was_tried_and_how_to_install(bare: Path) -> None:
    with pytest.raises(ToolError) as caught:
        find_chromium()
    assert "no Chromium found" in caught.value.what
    assert str(bare / "ms-playwright") in caught.value.what
    assert caught.value.fix == INSTALL_HINT and "apt-get install chromium" in INSTALL_HINT


def test_path_then_playwrights_own_browsers(bare: Path) -> None:
    downloaded = executable(bare / "ms-playwright" / "chromium-1200" / "chrome-linux64" / "chrome")
    assert find_chromium() == str(downloaded)
    on_path = executable(bare / "bin" / "chromium-browser")
    assert find_chromium() == str(on_path)


def test_an_explicit_path_wins_and_must_exist(bare: Path) -> None:
    executable(bare / "bin" / "chromium")
    mine = executable(bare / "opt" / "chrome")
    assert find_chromium(str(mine)) == str(mine)
    assert find_chromium("opt/chrome", root=bare) == str(mine)
    with pytest.raises(ToolError, match="browser_path = '/nowhere/chrome': no such executable"):
        find_chromium("/nowhere/chrome")
    (bare / "opt" / "chrome").chmod(0o644)
    with pytest.raises(ToolError, match="no such executable"):
        find_chromium(str(mine))
