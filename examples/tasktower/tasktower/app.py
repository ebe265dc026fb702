"""The WSGI application: routing by hand, no framework, so the demo depends on
nothing but gunicorn to serve it (`gunicorn tasktower.app:app`)."""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from tasktower import __version__, db, openapi, pages, validation
from tasktower.migrations import current_version, migrate
from tasktower.web import HTTPError, StartResponse, read_json, respond

logger = logging.getLogger("tasktower")

Result = tuple[int, Any]
Handler = Callable[..., Result]

# What a path parameter may be: an id is 1 to 18 ASCII digits (fits SQLite's
# 64-bit integer); anything else is no resource (404), never a crash.
PATH_PARAMETERS = {"task_id": r"[0-9]{1,18}"}


def _configure_logging() -> None:
    """ERROR lines on stderr in gunicorn's own format: without a handler Python
    would print a bare message with no level, invisible to a log watcher."""
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s")
        )
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


_configure_logging()


class TaskTower:
    """The API and the page that uses it. The database is opened per request and
    migrated on first use, so importing the module (as gunicorn and the tests do)
    touches no file."""

    def __init__(self, db_path: str | None = None, static_dir: str | Path | None = None) -> None:
        self._db_path = db_path
        self._migrated: set[str] = set()
        self._lock = threading.Lock()
        # The routing table: path template -> method -> handler. openapi.py
        # documents exactly these (tests/unit/test_openapi.py holds them equal).
        self.routes: dict[str, dict[str, Handler]] = {
            "/healthz": {"GET": self.health},
            "/openapi.json": {"GET": self.openapi},
            "/tasks": {"GET": self.list_tasks, "POST": self.create_task},
            "/tasks/{task_id}": {
                "GET": self.get_task,
                "PATCH": self.update_task,
                "DELETE": self.delete_task,
            },
            "/tasks/{task_id}/complete": {"POST": self.complete},
        }
        # The tasks page and its assets (pages.py): HTML, JS, CSS, not the JSON API,
        # so routed here but not documented in /openapi.json.
        self.site = pages.Site(static_dir)
        self.pages: dict[str, dict[str, Handler]] = {
            "/": {"GET": self.site.page},
            **{path: {"GET": partial(self.site.asset, path=path)} for path in pages.ASSETS},
        }
        self._patterns = [
            (_pattern(path), methods) for path, methods in {**self.routes, **self.pages}.items()
        ]

    @property
    def db_path(self) -> str:
        return self._db_path or db.database_path()

    def connect(self) -> sqlite3.Connection:
        """A fresh connection; the first one per database file runs the migrations."""
        path = self.db_path
        conn = db.connect(path)
        try:
            if path not in self._migrated:
                with self._lock:
                    if path not in self._migrated:
                        version = migrate(conn)
                        logger.info("database %s at schema version %d", path, version)
                        self._migrated.add(path)
        except BaseException:
            conn.close()
            raise
        return conn

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "") or "/"
        try:
            handler, params = self._route(method, path)
            status, body = handler(environ, **params)
            return respond(start_response, status, body)
        except HTTPError as exc:
            return respond(start_response, exc.status, exc.body(), exc.headers)
        except Exception:
            logger.exception("unhandled error in %s %s", method, path)
            return respond(start_response, 500, {"error": "internal server error"})

    def _route(self, method: str, path: str) -> tuple[Handler, dict[str, Any]]:
        for pattern, methods in self._patterns:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if method not in methods:
                allow = ", ".join(sorted(methods))
                raise HTTPError(405, f"{method} not allowed", headers=[("Allow", allow)])
            params = {key: int(value) for key, value in match.groupdict().items()}
            return methods[method], params
        raise HTTPError(404, f"no such resource: {path}")

    def _with_db(self, action: Callable[[sqlite3.Connection], Any]) -> Any:
        conn = self.connect()
        try:
            return action(conn)
        finally:
            conn.close()

    # -- handlers: each returns (status, JSON body or None) -------------------

    def health(self, environ: dict[str, Any]) -> Result:
        """Healthy means the database answers at the schema this release expects."""
        try:
            version = self._with_db(current_version)
        except (sqlite3.Error, OSError):
            logger.exception("health check failed: database %s", self.db_path)
            return 503, {"status": "error", "version": __version__, "error": "database unavailable"}
        return 200, {"status": "ok", "version": __version__, "schema_version": version}

    def openapi(self, environ: dict[str, Any]) -> Result:
        """The OpenAPI 3 document of this API, for clients and API fuzzers."""
        return 200, openapi.DOCUMENT

    def list_tasks(self, environ: dict[str, Any]) -> Result:
        # blank values kept: "?limit=" is a bad limit, not an absent one
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        try:
            done = validation.done_filter(query.get("done", []))
            limit = validation.limit(query.get("limit", []))
        except validation.ValidationError as exc:
            raise HTTPError(400, exc.message, field=exc.field) from None
        tasks = self._with_db(lambda conn: db.list_tasks(conn, done, limit))
        return 200, {"tasks": tasks, "count": len(tasks)}

    def create_task(self, environ: dict[str, Any]) -> Result:
        fields = _validated(validation.new_task, read_json(environ))
        return 201, self._with_db(lambda conn: db.create_task(conn, **fields))

    def get_task(self, environ: dict[str, Any], task_id: int) -> Result:
        return 200, _found(self._with_db(lambda conn: db.get_task(conn, task_id)), task_id)

    def update_task(self, environ: dict[str, Any], task_id: int) -> Result:
        changes = _validated(validation.task_changes, read_json(environ))
        task = self._with_db(lambda conn: db.update_task(conn, task_id, changes))
        return 200, _found(task, task_id)

    def complete(self, environ: dict[str, Any], task_id: int) -> Result:
        return 200, _found(self._with_db(lambda conn: db.complete_task(conn, task_id)), task_id)

    def delete_task(self, environ: dict[str, Any], task_id: int) -> Result:
        _found(self._with_db(lambda conn: db.delete_task(conn, task_id)) or None, task_id)
        return 204, None


def _pattern(template: str) -> re.Pattern[str]:
    """A path template ("/tasks/{task_id}") as a regex, one named group per parameter."""
    parts = re.split(r"\{(\w+)\}", template)  # literal, name, literal, name, ...
    return re.compile(
        "".join(
            f"(?P<{part}>{PATH_PARAMETERS[part]})" if index % 2 else re.escape(part)
            for index, part in enumerate(parts)
        )
    )


def _validated(parse: Callable[[Any], dict[str, Any]], data: Any) -> dict[str, Any]:
    try:
        return parse(data)
    except validation.ValidationError as exc:
        raise HTTPError(400, exc.message, field=exc.field) from None


def _found(task: Any, task_id: int) -> Any:
    if task is None:
        raise HTTPError(404, f"no task {task_id}")
    return task


app = TaskTower()
