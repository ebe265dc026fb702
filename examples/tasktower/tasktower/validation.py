"""Request validation: every client mistake becomes a 400 naming the field,
before anything reaches the database.

The rules are exactly the OpenAPI document's (openapi.py), no looser and no
stricter, so an API fuzzer finds neither invalid data accepted nor valid data
refused: a title's length is counted as sent (before stripping), a date is
only YYYY-MM-DD, a number in the query is only ASCII digits, a query
parameter is given at most once.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

TITLE_MAX = 200
LIMIT_DEFAULT = 100
LIMIT_MAX = 1000
_FIELDS = frozenset({"title", "due"})
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"-?[0-9]{1,9}")


class ValidationError(ValueError):
    """A client error in one field; `field` is None for the body as a whole."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationError("the body must be a JSON object")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(unknown)}", unknown[0])
    return data


def _title(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError("title must be a string", "title")
    if not 1 <= len(value) <= TITLE_MAX or not value.strip():
        raise ValidationError(f"title must be 1 to {TITLE_MAX} characters, not all blank", "title")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") cannot be stored
        raise ValidationError("title must be valid Unicode text", "title") from None
    return value.strip()


def _due(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValidationError("due must be an ISO date (YYYY-MM-DD) or null", "due")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValidationError("due must be an ISO date (YYYY-MM-DD) or null", "due") from None


def new_task(data: Any) -> dict[str, Any]:
    """The body of POST /tasks: a title, an optional due date."""
    body = _object(data)
    if "title" not in body:
        raise ValidationError("title is required", "title")
    return {"title": _title(body["title"]), "due": _due(body.get("due"))}


def task_changes(data: Any) -> dict[str, Any]:
    """The body of PATCH /tasks/<id>: only the fields given change; due=null clears."""
    body = _object(data)
    if not body:
        raise ValidationError("nothing to change: give title and/or due")
    changes: dict[str, Any] = {}
    if "title" in body:
        changes["title"] = _title(body["title"])
    if "due" in body:
        changes["due"] = _due(body["due"])
    return changes


def _once(values: list[str], name: str) -> str | None:
    """The one value of a query parameter; given twice is a mistake, not a choice."""
    if len(values) > 1:
        raise ValidationError(f"{name} must be given at most once", name)
    return values[0] if values else None


def done_filter(values: list[str]) -> bool | None:
    """`?done=true|false`; absent means every task."""
    value = _once(values, "done")
    if value is None:
        return None
    if value in ("true", "false"):
        return value == "true"
    raise ValidationError("done must be true or false", "done")


def limit(values: list[str]) -> int:
    """`?limit=N`: bounds the list so its cost stays flat as tasks pile up."""
    value = _once(values, "limit")
    if value is None:
        return LIMIT_DEFAULT
    # not int(): it also takes " 5", "+5", "5_0" and non-ASCII digits
    number = int(value) if _NUMBER.fullmatch(value) else 0
    if not 1 <= number <= LIMIT_MAX:
        raise ValidationError(f"limit must be an integer from 1 to {LIMIT_MAX}", "limit")
    return number
