"""Where a table or key stands in a TOML text: tomllib gives no positions but for
syntax errors, and a config error is much easier to act on with its line."""

from __future__ import annotations

import re


class TomlLines:
    """Best effort: a [table] header line, and a `key =` line inside that table."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def locate(self, table: str | None, key: str | None) -> int | None:
        """The line of [table] (or its first sub-table), and of key inside it."""
        if table is None:
            if key is None:
                return None
            return self._key_line(0, key)
        for number, line in enumerate(self.lines):
            header = _header(line)
            if header == table or (header or "").startswith(table + "."):
                if key is None or header != table:
                    return number + 1 if key is None else None
                return self._key_line(number + 1, key) or number + 1
        return None

    def _key_line(self, start: int, key: str) -> int | None:
        pattern = re.compile(rf'^\s*["\']?{re.escape(key)}["\']?\s*=')
        for number in range(start, len(self.lines)):
            if _header(self.lines[number]) is not None:
                return None
            if pattern.match(self.lines[number]):
                return number + 1
        return None


def _header(line: str) -> str | None:
    match = re.match(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$", line)
    if not match:
        return None
    return re.sub(r"[\s\"']", "", match.group(1))
