"""SQLite storage: one short-lived connection per request, so gunicorn's
threads and worker processes never share a connection."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from typing import Any

DEFAULT_DB = "tasktower.db"


def database_path() -> str:
    """Where the database lives: $TASKTOWER_DB, else tasktower.db in the cwd."""
    return os.environ.get("TASKTOWER_DB") or DEFAULT_DB


def connect(path: str) -> sqlite3.Connection:
    """A connection in autocommit mode that waits (not fails) on a busy lock."""
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _task(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    task = dict(row)
    task["done"] = bool(task["done"])
    return task


def list_tasks(conn: sqlite3.Connection, done: bool | None, limit: int) -> list[dict[str, Any]]:
    """Newest first, so a fresh task shows up even in a long list."""
    rows = conn.execute(
        "SELECT id, title, due, done, created_at, completed_at FROM tasks "
        "WHERE (:done IS NULL OR done = :done) ORDER BY id DESC LIMIT :limit",
        {"done": None if done is None else int(done), "limit": limit},
    ).fetchall()
    return [task for task in map(_task, rows) if task is not None]


def get_task(conn: sqlite3.Connection, task_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT id, title, due, done, created_at, completed_at FROM tasks WHERE id = ?",
        (task_id,),
    ).fetchone()
    return _task(row)


def create_task(conn: sqlite3.Connection, title: str, due: str | None) -> dict[str, Any]:
    cursor = conn.execute(
        "INSERT INTO tasks (title, due, created_at) VALUES (?, ?, ?)", (title, due, _now())
    )
    task = get_task(conn, int(cursor.lastrowid or 0))
    if task is None:  # pragma: no cover - just inserted in autocommit mode
        raise RuntimeError("created task vanished")
    return task


def update_task(
    conn: sqlite3.Connection, task_id: int, changes: dict[str, Any]
) -> dict[str, Any] | None:
    """Apply the validated `changes` (title and/or due) with one fixed statement."""
    task = get_task(conn, task_id)
    if task is None:
        return None
    task.update(changes)
    conn.execute(
        "UPDATE tasks SET title = ?, due = ? WHERE id = ?", (task["title"], task["due"], task_id)
    )
    return get_task(conn, task_id)


def complete_task(conn: sqlite3.Connection, task_id: int) -> dict[str, Any] | None:
    """Idempotent: completing twice keeps the first completion time."""
    conn.execute(
        "UPDATE tasks SET done = 1, completed_at = COALESCE(completed_at, ?) WHERE id = ?",
        (_now(), task_id),
    )
    return get_task(conn, task_id)


def delete_task(conn: sqlite3.Connection, task_id: int) -> bool:
    cursor = conn.execute("DELETE FROM tasks WHERE id = ?", (task_id,))
    return cursor.rowcount > 0
