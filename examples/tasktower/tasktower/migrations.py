"""Ordered schema migrations, applied on start so a release carries its own schema.

Each migration runs in one transaction together with its `schema_version`
row, so a crash leaves the database at the previous version, never half way.
`BEGIN IMMEDIATE` takes the write lock first: several gunicorn workers starting
at once apply each migration exactly once.
"""

from __future__ import annotations

import argparse
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

# Append only: a released migration is never edited, a fix is a new entry.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE tasks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            title TEXT NOT NULL,
            done INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        )""",
    ),
    ("ALTER TABLE tasks ADD COLUMN due TEXT",),
    (
        "ALTER TABLE tasks ADD COLUMN completed_at TEXT",
        "CREATE INDEX tasks_done ON tasks (done, id)",
    ),
)

LATEST = len(MIGRATIONS)


def current_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the database (0 for a new one)."""
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if row is None:
        return 0
    (version,) = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    return int(version)


def migrate(conn: sqlite3.Connection, migrations: Sequence[Sequence[str]] = MIGRATIONS) -> int:
    """Apply every pending migration; return the resulting version.

    The connection must be in autocommit mode (isolation_level=None) so the
    explicit transactions below are the only ones.
    """
    # WAL lets readers in other workers go on while one request writes; it
    # is a property of the file, so setting it once here is enough.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = current_version(conn)
            if version >= len(migrations):
                conn.execute("COMMIT")
                return version
            for statement in migrations[version]:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                (version + 1, datetime.now(UTC).isoformat(timespec="seconds")),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def main(argv: Sequence[str] | None = None) -> int:
    """`tasktower-migrate`: migrate a database ahead of starting the server."""
    from tasktower.db import connect, database_path

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--db", default=None, help="database file (default: $TASKTOWER_DB)")
    args = parser.parse_args(argv)
    path = args.db or database_path()
    conn = connect(path)
    try:
        version = migrate(conn)
    finally:
        conn.close()
    print(f"{path}: schema version {version}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
