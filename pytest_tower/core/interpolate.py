"""`${NAME}` and `${NAME:-default}` in gates.toml's string values, from the environment. Pure.

Why: one gates.toml serves every CI job and laptop (a base branch, a report
folder, a deploy URL that differ by job), the way docker compose and GitLab CI
read variables. Hand-written because no kept library fails closed:
`os.path.expandvars` leaves an unset `$NAME` in place silently and has no
default, `string.Template` has no default either.

The rules:
- every string value is expanded (nested tables, arrays, arrays of tables);
  keys are not, nor numbers or booleans (TOML types stay what they are);
- `${NAME}` is the variable's value (set but empty is empty);
  `${NAME:-default}` takes `default` when NAME is unset or empty, as POSIX
  shells do; the default is literal text (no `}` and no nesting);
- `$${` is a literal `${` (a shell snippet in a command); a `$` not followed
  by `{` is itself;
- an unset name without a default, an unclosed `${` or a bad name is a
  configuration error naming the variable (never a value), the file, table,
  key and line;
- `{env:NAME}` is untouched: it keeps its meaning (a secret resolved late,
  when the command runs, and masked).

A value taken from the environment into a key whose name says it is a secret
(`token`, `password`, `secret`, `api_key`, `credentials`, ...) is remembered;
`masked` hides it (and any long piece of it, as a value cut short for display)
in a configuration error, so no error echoes it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_tower.core.errors import ConfigError
from pytest_tower.core.secrets import MASK

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_KEY = re.compile(
    r"secret|token|passw|passphrase|pwd|credential|auth|cookie|private|api[_-]?key|"
    r"access[_-]?key|(?:^|[_.-])key$", re.IGNORECASE)
_SHORTEST_PIECE = 6  # a cut-short display of a secret still shows this much of it
Locate = Callable[[str | None, str | None], int | None]


@dataclass(frozen=True)
class Expanded:
    """The data with every `${...}` replaced, and the environment values put into
    secret keys (to hide in messages)."""

    data: dict[str, Any]
    secrets: frozenset[str]


def expand(data: Mapping[str, Any], path: Path, locate: Locate,
           environ: Mapping[str, str]) -> Expanded:
    """Expand `${NAME}` / `${NAME:-default}` in every string value of parsed TOML."""
    secrets: set[str] = set()

    def walk(value: Any, where: tuple[str | int, ...]) -> Any:
        if isinstance(value, str):
            return _expand_text(value, where, path, locate, environ, secrets)
        if isinstance(value, dict):
            return {k: walk(v, (*where, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*where, n)) for n, v in enumerate(value)]
        return value

    return Expanded(walk(dict(data), ()), frozenset(secrets))


def is_secret_key(where: tuple[str | int, ...]) -> bool:
    """Whether a value at this key path holds a secret: its own key (or the key of the
    array it is in) names one."""
    names = [w for w in where if isinstance(w, str)]
    return bool(names) and _SECRET_KEY.search(names[-1]) is not None


def masked(error: ConfigError, secrets: frozenset[str]) -> ConfigError:
    """The error with every secret value (and any long piece of one) replaced by ***."""
    if not secrets:
        return error
    def hide(text: str | None) -> str | None:
        return None if text is None else mask(text, secrets)

    return dataclasses.replace(error, problem=mask(error.problem, secrets),
                               expected=hide(error.expected), suggestion=hide(error.suggestion))


def mask(text: str, secrets: frozenset[str]) -> str:
    """Replace each secret, and each piece of one of at least 6 characters (a value
    shown cut short, `'s3cr3t-t…'`), longest first."""
    for secret in sorted(secrets, key=len, reverse=True):
        if not secret:
            continue
        shortest = min(len(secret), _SHORTEST_PIECE)
        for size in range(len(secret), shortest - 1, -1):
            for start in range(len(secret) - size + 1):
                piece = secret[start:start + size]
                if piece in text:
                    text = text.replace(piece, MASK)
    return text


def _expand_text(text: str, where: tuple[str | int, ...], path: Path, locate: Locate,
                 environ: Mapping[str, str], secrets: set[str]) -> str:
    if "$" not in text:
        return text
    out: list[str] = []
    taken: list[str] = []
    i = 0
    while True:
        j = text.find("$", i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        if text.startswith("$${", j):
            out.append("${")
            i = j + 3
            continue
        if not text.startswith("${", j):
            out.append("$")
            i = j + 1
            continue
        end = text.find("}", j + 2)
        if end < 0:
            raise _error(path, where, locate, "an unclosed `${` (no `}` after it)",
                         "`${NAME}`, `${NAME:-default}`, or `$${` for a literal `${`")
        name, has_default, default = text[j + 2:end].partition(":-")
        if not _NAME.fullmatch(name):
            shown = name if len(name) <= 40 else name[:30] + "…"
            raise _error(path, where, locate, f"`${{{shown}}}` does not name an environment "
                         "variable", "a name of letters, digits and '_' such as `${API_URL}` "
                         "or `${API_URL:-http://127.0.0.1:8000}`; `$${` for a literal `${`")
        value = environ.get(name)
        if value is None or (has_default and value == ""):
            if not has_default:
                raise _error(path, where, locate, f"environment variable {name} is not set "
                             f"(used as `${{{name}}}`)", f"{name} set in the environment, "
                             f"or a default: `${{{name}:-...}}`")
            value = default
        else:
            taken.append(value)
        out.append(value)
        i = end + 1
    if taken and is_secret_key(where):
        secrets.update(taken)
    return "".join(out)


def _error(path: Path, where: tuple[str | int, ...], locate: Locate, problem: str,
           expected: str) -> ConfigError:
    """A ConfigError at the string's table and key: [lint.x] `exceptions[0].package`."""
    first_index = next((n for n, w in enumerate(where) if isinstance(w, int)), len(where))
    start = max(first_index - 1, 0)
    table = ".".join(map(str, where[:start])) or None
    key = "".join(f"[{w}]" if isinstance(w, int) else (f".{w}" if n > start else w)
                  for n, w in enumerate(where[start:], start)) or None
    line = None
    for cut in range(start, 0 if where else -1, -1):  # an inline table: its outer key's line
        line = locate(".".join(map(str, where[:cut])) or None, str(where[cut]))
        if line is not None:
            break
    return ConfigError(path, problem, table=table, key=key, expected=expected, line=line)
