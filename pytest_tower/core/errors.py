"""ConfigError: a broken gates.toml, told as file, line, table, key, expectation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class ConfigError(Exception):
    """gates.toml cannot be used. Rendered as one message, never a traceback."""

    path: Path | str
    problem: str
    table: str | None = None
    key: str | None = None
    expected: str | None = None
    suggestion: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = str(self.path) + (f":{self.line}" if self.line else "")
        parts = [f"{where}:"]
        if self.table is not None:
            parts.append(f"[{_short(self.table)}]" if self.table else "(top level)")
        if self.key is not None:
            parts.append(f"{_short(self.key)}:")
        text = " ".join(parts) + " " + self.problem.rstrip(".") + "."
        if self.expected:
            text += f" Expected {self.expected.rstrip('.')}."
        if self.suggestion:
            text += f" Did you mean {self.suggestion!r}?"
        return text


def _short(name: str, limit: int = 80) -> str:
    """A 5,000-character key stays one readable line: its start and its length."""
    return name if len(name) <= limit else f"{name[:60]}… ({len(name)} characters)"
