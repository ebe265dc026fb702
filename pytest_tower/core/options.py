"""Typed validation of the keys of a `[stage.check]` table. Pure.

Each `Option` kind has one reader; a reader returns the value (normalised)
or raises OptionError with what was expected, in words a user can act on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from pytest_tower.core.model import Option
from pytest_tower.core.units import UnitError, parse_duration

MAX_INT = 1_000_000  # counts of users, workers, releases...: beyond this it is a typo


class OptionError(ValueError):
    """A value of the wrong type or out of range; `expected` says what fits."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise OptionError(f"a string, got {_show(value)}")
    if "\0" in value:  # no file name, argument or URL can hold it: the OS refuses it later
        raise OptionError(f"a string without NUL characters, got {_show(value)}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(f"a whole number, got {_show(value)}")
    if not 0 <= value <= MAX_INT:
        raise OptionError(f"a whole number from 0 to {MAX_INT:,}, got {_show(value)}")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OptionError(f"a number, got {_show(value)}")
    # nan, inf, 1e999 (inf) and huge integers (float() overflows) are never meant
    if (isinstance(value, int) and abs(value) > MAX_INT) or not math.isfinite(value) \
            or not 0 <= value <= MAX_INT:
        raise OptionError(f"a finite number from 0 to {MAX_INT:,}, got {_show(value)}")
    return float(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise OptionError(f"true or false, got {_show(value)}")
    return value


def _str_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise OptionError(f'a list of strings such as ["a", "b"], got {_show(value)}')
    return [_str(v) for v in value]


def _duration(value: Any) -> float:
    try:
        return parse_duration(value)
    except UnitError as exc:
        raise OptionError(f'a duration such as "60s" or "500ms" ({exc})') from None


def _int_or_auto(value: Any) -> int | str:
    if value == "auto":
        return "auto"
    if type(value) is int and 1 <= value <= MAX_INT:
        return int(value)
    raise OptionError(f'a number from 1 to {MAX_INT:,}, or "auto", got {_show(value)}')


def _table_list(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise OptionError(f"a list of tables such as [{{ id = \"X\" }}], got {_show(value)}")
    return [dict(v) for v in value]


def _int_list(value: Any) -> list[int]:
    if not isinstance(value, list) or not value:
        raise OptionError(f"a non-empty list of whole numbers such as [0, 1], got {_show(value)}")
    return [_int(v) for v in value]


def _str_or_list(value: Any) -> str | list[str]:
    """One string or a list of strings, kept as given (a command: a shell line or an argv)."""
    if isinstance(value, str):
        return _str(value)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise OptionError(f'one string or a list of strings such as ["npm", "ci"], got '
                          f"{_show(value)}")
    return _str_list(value)


def _table(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise OptionError(f'a table of strings such as {{ NAME = "value" }}, got {_show(value)}')
    return {_str(k): _str(v) for k, v in value.items()}


READERS: dict[str, Callable[[Any], Any]] = {
    "str": _str,
    "int": _int,
    "number": _number,
    "bool": _bool,
    "str_list": _str_list,
    "duration": _duration,
    "table_list": _table_list,
    "int_or_auto": _int_or_auto,
    "int_list": _int_list,
    "str_or_list": _str_or_list,
    "table": _table,
}


def read_option(option: Option, value: Any) -> Any:
    """Validate one option value against its declaration."""
    result = READERS[option.kind](value)
    if option.choices and result not in option.choices:
        raise OptionError("one of " + ", ".join(repr(c) for c in option.choices))
    return result


def _show(value: Any) -> str:
    kind = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)
    if isinstance(value, dict):
        return kind
    shown = repr(value)
    if len(shown) > 40:  # a 400-digit number or a pasted file: its start and its length
        shown = f"{shown[:20]}… ({len(shown)} characters)"
    return f"{kind} ({shown})"
