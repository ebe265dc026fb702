"""Request validation: every client mistake becomes a 400 naming the field,
before anything reaches the database."""

from __future__ import annotations

from datetime import date
from typing import Any

TITLE_MAX = 200
LIMIT_DEFAULT = 100
LIMIT_MAX = 1000
_FIELDS = frozenset({"title", "due"})


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
    title = value.strip()
    if not 1 <= len(title) <= TITLE_MAX:
        raise ValidationError(f"title must be 1 to {TITLE_MAX} characters", "title")
    return title


def _due(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 10:
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


def done_filter(values: list[str]) -> bool | None:
    """`?done=true|false`; absent means every task."""
    if not values:
        return None
    if values[-1] in ("true", "false"):
        return values[-1] == "true"
    raise ValidationError("done must be true or false", "done")


def limit(values: list[str]) -> int:
    """`?limit=N`: bounds the list so its cost stays flat as tasks pile up."""
    if not values:
        return LIMIT_DEFAULT
    try:
        number = int(values[-1])
    except ValueError:
        number = 0
    if not 1 <= number <= LIMIT_MAX:
        raise ValidationError(f"limit must be an integer from 1 to {LIMIT_MAX}", "limit")
    return number
