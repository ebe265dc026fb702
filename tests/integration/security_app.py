"""A small API for the security-testing checks, run as its own process on 127.0.0.1.

`python security_app.py [FLAG,...] [--port N]` binds 127.0.0.1 (a free port unless
given) and prints the port.
Clean (no flags) it answers like a hardened service: an OpenAPI 3 document at
/openapi.json that matches its routes, 405 with `Allow` for undeclared
methods (TRACE and OPTIONS included), 4xx for malformed input, and the
security headers a DAST scanner looks for. Each flag breaks one thing:

- `server-error`: POST /tasks answers 500 to a body that is not a task
- `no-headers`: drops CSP, X-Frame-Options, X-Content-Type-Options, Referrer-Policy
- `trace`: answers TRACE with 200, echoing the request (as old servers did)
- `no-schema`: /openapi.json is a 404

POST /tasks needs the header `X-Api-Key: <SECURITY_APP_KEY>` (declared as an
apiKey security scheme), so the checks' `{env:NAME}` headers are exercised.
Stdlib only: the tests start it with the interpreter running pytest.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

KEY = os.environ.get("SECURITY_APP_KEY", "s3cret-key")
SECURITY_HEADERS = [
    ("Content-Security-Policy", "default-src 'none'; script-src 'self'; object-src 'none'; "
     "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
]
ERROR = {"type": "object", "required": ["error"], "additionalProperties": False,
         "properties": {"error": {"type": "string"}}}
TASK = {"type": "object", "required": ["id", "title"], "additionalProperties": False,
        "properties": {"id": {"type": "integer"}, "title": {"type": "string"}}}
NEW_TASK = {"type": "object", "required": ["title"], "additionalProperties": False,
            "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 50}}}


def _json(schema: dict[str, Any], why: str) -> dict[str, Any]:
    return {"description": why, "content": {"application/json": {"schema": schema}}}


SCHEMA: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "security test app", "version": "1.0"},
    "components": {"securitySchemes": {
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}}},
    "paths": {
        "/tasks": {
            "get": {"operationId": "listTasks", "responses": {
                "200": _json({"type": "array", "items": TASK}, "all tasks")}},
            "post": {
                "operationId": "createTask", "security": [{"apiKey": []}],
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": NEW_TASK}}},
                "responses": {"201": _json(TASK, "created"), "400": _json(ERROR, "malformed"),
                              "401": _json(ERROR, "no or wrong key"),
                              "415": _json(ERROR, "not JSON")}},
        },
        "/tasks/{task_id}": {
            "get": {"operationId": "getTask",
                    "parameters": [{"name": "task_id", "in": "path", "required": True,
                                    "schema": {"type": "integer", "minimum": 1,
                                               "maximum": 1000000}}],
                    "responses": {"200": _json(TASK, "the task"),
                                  "400": _json(ERROR, "not an id"),
                                  "404": _json(ERROR, "no such task")}},
        },
    },
}
PAGE = (b"<!doctype html><html><head><title>tasks</title></head><body>"
        b'<a href="/tasks">tasks</a> <a href="/tasks/1">first task</a></body></html>')


class App:
    def __init__(self, flags: set[str]) -> None:
        self.flags = flags
        self.tasks: dict[int, str] = {1: "first"}
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        status, headers, body = self.route(method, path, environ)
        if "no-headers" not in self.flags:
            headers = headers + SECURITY_HEADERS
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body] if method != "HEAD" else []

    def route(self, method: str, path: str, environ: dict[str, Any]
              ) -> tuple[str, list[tuple[str, str]], bytes]:
        if method == "TRACE" and "trace" in self.flags:
            echo = f"TRACE {path} HTTP/1.1\r\nHost: {environ.get('HTTP_HOST', '')}\r\n"
            return "200 OK", [("Content-Type", "message/http")], echo.encode()
        allowed = self.allowed(path)
        if not allowed:
            return _error("404 Not Found", "no such path")
        if method == "HEAD" and "GET" in allowed:
            method = "GET"
        if method not in allowed:
            status, headers, body = _error("405 Method Not Allowed", "method not allowed")
            return status, [*headers, ("Allow", ", ".join(sorted(allowed)))], body
        if path == "/":
            return "200 OK", [("Content-Type", "text/html; charset=utf-8")], PAGE
        if path == "/openapi.json":
            return _ok("200 OK", SCHEMA)
        if path == "/tasks" and method == "GET":
            with self.lock:
                return _ok("200 OK", [{"id": i, "title": t} for i, t in self.tasks.items()])
        if path == "/tasks":
            return self.create(environ)
        raw = path.removeprefix("/tasks/")
        if not raw.isdigit() or not raw.isascii():
            return _error("400 Bad Request", "task_id must be a whole number")
        with self.lock:
            title = self.tasks.get(int(raw))
        if title is None:
            return _error("404 Not Found", "no such task")
        return _ok("200 OK", {"id": int(raw), "title": title})

    def allowed(self, path: str) -> set[str]:
        if path == "/openapi.json" and "no-schema" in self.flags:
            return set()
        if path in ("/", "/openapi.json") or (path.startswith("/tasks/") and path.count("/") == 2
                                               and len(path) > len("/tasks/")):
            return {"GET", "HEAD"}
        if path == "/tasks":
            return {"GET", "HEAD", "POST"}
        return set()

    def create(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        if environ.get("HTTP_X_API_KEY") != KEY:
            return _error("401 Unauthorized", "a valid X-Api-Key is required")
        if not environ.get("CONTENT_TYPE", "").startswith("application/json"):
            return _error("415 Unsupported Media Type", "send application/json")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        if "server-error" in self.flags:  # the bug: the body is trusted to be a task
            try:
                title = json.loads(raw)["title"].strip()
            except Exception:
                return _error("500 Internal Server Error", "internal error")
        else:
            try:
                data = json.loads(raw)
            except ValueError:
                return _error("400 Bad Request", "the body is not JSON")
            title = data.get("title") if isinstance(data, dict) else None
            if (not isinstance(data, dict) or set(data) != {"title"}
                    or not isinstance(title, str) or not 1 <= len(title) <= 50):
                return _error("400 Bad Request", "the body must be {\"title\": 1-50 chars}")
        with self.lock:
            number = max(self.tasks, default=0) + 1
            if number <= 1_000_000:
                self.tasks[number] = title
        return _ok("201 Created", {"id": number, "title": title})


def _ok(status: str, data: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "application/json")], json.dumps(data).encode()


def _error(status: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    return _ok(status, {"error": message})


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    args = sys.argv[1:]
    port = int(args.pop(args.index("--port") + 1)) if "--port" in args else 0
    flags = {f for a in args if a != "--port" for f in a.split(",") if f}
    server = make_server("127.0.0.1", port, App(flags), server_class=_Server,
                         handler_class=_Quiet)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
