"""Shared helpers: tmp projects with a gates.toml, fake tools for fault injection."""

from __future__ import annotations

import json
import os
import stat
import textwrap
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def gates(pytester: pytest.Pytester):
    """Write gates.toml into the pytester project from a dedented string."""

    def write(text: str) -> Path:
        return pytester.makefile(".toml", gates=textwrap.dedent(text))

    return write


@pytest.fixture
def fake_tool(pytester: pytest.Pytester):
    """An executable script standing in for a tool, only to inject a fault."""

    def make(name: str, body: str) -> Path:
        folder = pytester.path / "fakebin"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return path

    return make


def read_report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def no_traceback(text: str) -> bool:
    return "Traceback" not in text and "INTERNALERROR" not in text


def isolated_env() -> dict[str, str]:
    """Environment for subprocess runs that must not see the dev's PATH tweaks."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
