"""The API's OpenAPI 3 document, served at /openapi.json.

Written by hand, not generated from the routing table: it is the contract,
and tests/unit/test_openapi.py holds it and the app's routing table equal
(every route and method in both), so neither can drift alone. The tasks page
and its assets (`TaskTower.pages`: `/`, /static/...) are HTML, JS and CSS,
not API, and are deliberately not in it. Its rules are
validation.py's exactly, so an API fuzzer (schemathesis, in the gate's
[security-testing.api]) can tell valid data from invalid as the app does. The links
on POST /tasks let a fuzzer chain calls (create, then read, change,
complete, delete) to find use-after-delete bugs.
"""

from __future__ import annotations

from typing import Any

from tasktower import __version__
from tasktower.validation import LIMIT_MAX, TITLE_MAX


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return _json(description, _ref("Error"))


TASK_ID = {
    "name": "task_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999_999},
}
TITLE = {"type": "string", "minLength": 1, "maxLength": TITLE_MAX, "pattern": r"\S"}
DUE = {"type": "string", "format": "date", "nullable": True}
NO_TASK = _error("no task with this id")
BAD_BODY = {
    "400": _error("the body is not JSON, not an object, or a field is invalid"),
    "413": _error("the body is over 64 KiB"),
    "415": _error("the body is not Content-Type: application/json"),
}
ON_NEW_TASK = {"task_id": "$response.body#/id"}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Task Tower",
        "version": __version__,
        "description": "A small task-management JSON API, the pytest-tower demo.",
    },
    "paths": {
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "Whether the service and its database answer",
                "responses": {
                    "200": _json("healthy", _ref("Health")),
                    "503": _json("the database does not answer", _ref("Unhealthy")),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {"200": _json("the OpenAPI document", {"type": "object"})},
            }
        },
        "/tasks": {
            "get": {
                "operationId": "listTasks",
                "summary": "Tasks, newest first",
                "parameters": [
                    {
                        "name": "done",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["true", "false"]},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX},
                    },
                ],
                "responses": {
                    "200": _json("the tasks", _ref("TaskList")),
                    "400": _error("a query parameter is invalid or given twice"),
                },
            },
            "post": {
                "operationId": "createTask",
                "summary": "Create a task",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("NewTask")}},
                },
                "responses": {
                    "201": {
                        **_json("the task created", _ref("Task")),
                        "links": {
                            "GetTask": {"operationId": "getTask", "parameters": ON_NEW_TASK},
                            "UpdateTask": {
                                "operationId": "updateTask",
                                "parameters": ON_NEW_TASK,
                            },
                            "CompleteTask": {
                                "operationId": "completeTask",
                                "parameters": ON_NEW_TASK,
                            },
                            "DeleteTask": {
                                "operationId": "deleteTask",
                                "parameters": ON_NEW_TASK,
                            },
                        },
                    },
                    **BAD_BODY,
                },
            },
        },
        "/tasks/{task_id}": {
            "parameters": [TASK_ID],
            "get": {
                "operationId": "getTask",
                "summary": "One task",
                "responses": {"200": _json("the task", _ref("Task")), "404": NO_TASK},
            },
            "patch": {
                "operationId": "updateTask",
                "summary": "Change the title and/or due date (due: null clears it)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("TaskChanges")}},
                },
                "responses": {
                    "200": _json("the task changed", _ref("Task")),
                    "404": NO_TASK,
                    **BAD_BODY,
                },
            },
            "delete": {
                "operationId": "deleteTask",
                "summary": "Delete a task",
                "responses": {"204": {"description": "deleted"}, "404": NO_TASK},
            },
        },
        "/tasks/{task_id}/complete": {
            "parameters": [TASK_ID],
            "post": {
                "operationId": "completeTask",
                "summary": "Mark a task done (idempotent)",
                "responses": {"200": _json("the task, done", _ref("Task")), "404": NO_TASK},
            },
        },
    },
    "components": {
        "schemas": {
            "Task": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "title", "due", "done", "created_at", "completed_at"],
                "properties": {
                    "id": {"type": "integer", "minimum": 1},
                    "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX},
                    "due": DUE,
                    "done": {"type": "boolean"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "completed_at": {"type": "string", "format": "date-time", "nullable": True},
                },
            },
            "TaskList": {
                "type": "object",
                "additionalProperties": False,
                "required": ["tasks", "count"],
                "properties": {
                    "tasks": {"type": "array", "items": _ref("Task")},
                    "count": {"type": "integer", "minimum": 0},
                },
            },
            "NewTask": {
                "type": "object",
                "additionalProperties": False,
                "required": ["title"],
                "properties": {"title": TITLE, "due": DUE},
            },
            "TaskChanges": {
                "type": "object",
                "additionalProperties": False,
                "minProperties": 1,
                "properties": {"title": TITLE, "due": DUE},
            },
            "Health": {
                "type": "object",
                "additionalProperties": False,
                "required": ["status", "version", "schema_version"],
                "properties": {
                    "status": {"type": "string", "enum": ["ok"]},
                    "version": {"type": "string"},
                    "schema_version": {"type": "integer"},
                },
            },
            "Unhealthy": {
                "type": "object",
                "additionalProperties": False,
                "required": ["status", "version", "error"],
                "properties": {
                    "status": {"type": "string", "enum": ["error"]},
                    "version": {"type": "string"},
                    "error": {"type": "string"},
                },
            },
            "Error": {
                "type": "object",
                "additionalProperties": False,
                "required": ["error"],
                "properties": {"error": {"type": "string"}, "field": {"type": "string"}},
            },
        }
    },
}
