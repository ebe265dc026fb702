"""Quantities with units: condition values, durations, sizes. Pure."""

from __future__ import annotations

import math
import re

from pytest_tower.core.model import BYTES, COUNT, MILLISECONDS, PERCENT, SECONDS

_NUMBER = re.compile(r"^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z%]*)$")

_TIME = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_SIZE = {
    "B": 1,
    "kB": 1000,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
}
MAX_DURATION = 7 * 24 * 3600.0  # a week: beyond it a timeout is a typo, and some waits overflow
UNIT_NAMES = {
    COUNT: "a plain number",
    PERCENT: "a percentage (e.g. 90%)",
    SECONDS: "a duration (e.g. 2s, 500ms)",
    MILLISECONDS: "a duration (e.g. 200ms, 1.5s)",
    BYTES: "a size (e.g. 5MB, 300MiB)",
}


class UnitError(ValueError):
    """A value that is not a number in a unit of the expected kind."""


def split_number(text: str) -> tuple[float, str]:
    """'200ms' -> (200.0, 'ms'); raises UnitError when it is not a number."""
    match = _NUMBER.match(text.strip())
    if not match:
        raise UnitError(f"{text!r} is not a number")
    return finite(float(match.group(1)), text), match.group(2)


def finite(number: float, text: object = None) -> float:
    """`number` if it is a real, finite number; `1e999` reads as inf and must not pass."""
    if not math.isfinite(number):
        shown = number if text is None else text
        raise UnitError(f"{shown!r} is not a finite number")
    return number


def to_unit(text: str, unit: str) -> float:
    """Read `text` as a value of a metric measured in `unit`, converting."""
    number, suffix = split_number(text)
    return finite(_convert(number, suffix, text, unit), text)


def _convert(number: float, suffix: str, text: str, unit: str) -> float:
    if unit == COUNT:
        if suffix:
            raise UnitError(f"this metric is a count: write a plain number, not {text!r}")
        return number
    if unit == PERCENT:
        if suffix != "%":
            raise UnitError(f"this metric is a percentage: write {number:g}%")
        return number
    if unit in (SECONDS, MILLISECONDS):
        if suffix not in _TIME:
            raise UnitError(f"this metric is a duration: write {number:g}s or {number:g}ms")
        seconds = number * _TIME[suffix]
        return seconds if unit == SECONDS else seconds * 1000.0
    if unit == BYTES:
        if suffix not in _SIZE:
            raise UnitError(f"this metric is a size: write it with a unit, e.g. {number:g}MB")
        return number * _SIZE[suffix]
    raise UnitError(f"unknown unit {unit!r}")


def parse_duration(value: object) -> float:
    """A timeout: '60s', '2m', '500ms', or a number of seconds; must be > 0."""
    if isinstance(value, bool):
        raise UnitError("expected a duration such as \"60s\", not a boolean")
    if isinstance(value, (int, float)):
        try:
            seconds = finite(float(value), value)
        except OverflowError:
            raise UnitError(f"a {len(str(value))}-digit number is too large for a duration"
                            ) from None
    elif isinstance(value, str):
        seconds = to_unit(value, SECONDS)
    else:
        raise UnitError(f"expected a duration such as \"60s\", not {type(value).__name__}")
    if seconds <= 0:
        raise UnitError("a duration must be greater than zero")
    if seconds > MAX_DURATION:
        raise UnitError(f"{seconds:g} seconds is more than the longest duration accepted "
                        f"({MAX_DURATION:g}s, a week)")
    return seconds


def format_value(value: float | None, unit: str = COUNT) -> str:
    """A metric value as a person reads it: 3, 87.5%, 1.24s, 120ms, 4.2MB."""
    if value is None:
        return "no value"
    if not math.isfinite(value):  # a tool or a hand-edited file said so: show it, never crash
        return str(value)
    if unit == BYTES:
        for name, factor in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
            if abs(value) >= factor:
                return f"{value / factor:.3g}{name}"
        return f"{value:g}B"
    if unit == SECONDS:
        return f"{value:.3g}s" if value < 100 else f"{value:.0f}s"
    text = f"{value:.4g}" if value != int(value) else str(int(value))
    return text + (unit if unit in (PERCENT, MILLISECONDS) else "")
