"""Migrations: ordered, transactional, idempotent, safe with several workers."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from tasktower import db
from tasktower.migrations import LATEST, MIGRATIONS, current_version, main, migrate


def columns(conn, table):
    return [row["name"] for row in conn.execute(f"PRAGMA table_info({table})")]


def test_fresh_database_reaches_latest(db_path):
    conn = db.connect(str(db_path))
    assert current_version(conn) == 0
    assert migrate(conn) == LATEST == len(MIGRATIONS) >= 2
    assert columns(conn, "tasks") == ["id", "title", "done", "created_at", "due", "completed_at"]
    versions = [row[0] for row in conn.execute("SELECT version FROM schema_version ORDER BY 1")]
    assert versions == list(range(1, LATEST + 1))


def test_migrate_is_idempotent(db_path):
    conn = db.connect(str(db_path))
    migrate(conn)
    assert migrate(conn) == LATEST
    assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == LATEST


def test_upgrade_keeps_existing_rows(db_path):
    conn = db.connect(str(db_path))
    assert migrate(conn, MIGRATIONS[:1]) == 1
    conn.execute("INSERT INTO tasks (title, created_at) VALUES ('old', '2020-01-01T00:00:00')")
    assert migrate(conn) == LATEST
    [task] = db.list_tasks(conn, None, 10)
    assert task["title"] == "old"
    assert task["due"] is None
    assert task["done"] is False


def test_failed_migration_rolls_back_whole(db_path):
    conn = db.connect(str(db_path))
    migrate(conn, MIGRATIONS[:1])
    broken = (*MIGRATIONS[:1], ("ALTER TABLE tasks ADD COLUMN due TEXT", "NOT SQL AT ALL"))
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, broken)
    assert current_version(conn) == 1
    assert "due" not in columns(conn, "tasks")
    assert migrate(conn) == LATEST


def test_concurrent_starts_apply_each_migration_once(db_path):
    results, errors = [], []

    def start():
        conn = db.connect(str(db_path))
        try:
            results.append(migrate(conn))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results == [LATEST] * 6
    conn = db.connect(str(db_path))
    assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == LATEST


def test_app_migrates_on_first_request_only(client, db_path, monkeypatch):
    calls = []
    real = migrate

    def counting(conn):
        calls.append(1)
        return real(conn)

    monkeypatch.setattr("tasktower.app.migrate", counting)
    for _ in range(3):
        assert client.get("/tasks").status == 200
    assert calls == [1]
    assert current_version(db.connect(str(db_path))) == LATEST


def test_cli_migrates_the_given_database(db_path, capsys):
    assert main(["--db", str(db_path)]) == 0
    assert f"schema version {LATEST}" in capsys.readouterr().out
    assert current_version(db.connect(str(db_path))) == LATEST


def test_cli_defaults_to_tasktower_db(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TASKTOWER_DB", str(tmp_path / "env.db"))
    assert main([]) == 0
    assert (tmp_path / "env.db").exists()


def test_failing_migration_keeps_the_release_unhealthy(client, monkeypatch, caplog):
    def broken(conn):
        raise sqlite3.OperationalError("no such table: nope")

    monkeypatch.setattr("tasktower.app.migrate", broken)
    response = client.get("/healthz")
    assert response.status == 503
    assert "no such table" not in response.body.decode()
    assert "health check failed" in caplog.text
    monkeypatch.undo()
    assert client.get("/healthz").status == 200
