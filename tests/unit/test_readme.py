"""The README says only what the code does: its reference is generated, its commands run in CI."""

from __future__ import annotations

import re
from pathlib import Path

from pytest_tower.reference import BEGIN, END, builtin_check_types, render_reference

README = Path(__file__).resolve().parents[2] / "README.md"


def test_reference_in_readme_is_current() -> None:
    text = README.read_text()
    embedded = text[text.index(BEGIN): text.index(END) + len(END)]
    assert embedded == render_reference(builtin_check_types()), (
        "README reference is stale: run python -m pytest_tower.reference and paste it")


def test_readme_has_both_commands_for_ci() -> None:
    text = README.read_text()
    for marker in ("<!-- tower:main-command -->", "<!-- tower:test-command -->"):
        block = re.search(re.escape(marker) + r"\n```sh\n(.+?)\n```", text, re.S)
        assert block is not None, marker
        assert "pip install -e '.[dev]'" in block.group(1)
