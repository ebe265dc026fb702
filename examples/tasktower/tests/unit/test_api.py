"""Every route of the API through the WSGI interface, on a fresh database."""

from __future__ import annotations

import logging

import pytest

from tasktower import __version__
from tasktower.app import TaskTower
from tasktower.migrations import LATEST


def test_health_reports_version_and_schema(client):
    response = client.get("/healthz")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "version": __version__, "schema_version": LATEST}


def test_health_is_503_when_the_database_cannot_open(tmp_path, caplog, client_for):
    broken = client_for(TaskTower(str(tmp_path)))  # a directory is no database
    response = broken.get("/healthz")
    assert response.status == 503
    assert response.json()["status"] == "error"
    assert any(r.levelno == logging.ERROR for r in caplog.records)


def test_create_returns_201_and_the_task(client):
    response = client.post("/tasks", json_body={"title": "  buy milk ", "due": "2030-01-31"})
    assert response.status == 201
    task = response.json()
    assert task["title"] == "buy milk"
    assert task["due"] == "2030-01-31"
    assert task["done"] is False
    assert task["completed_at"] is None
    assert isinstance(task["id"], int)
    assert task["created_at"]


def test_create_without_due(client):
    task = client.post("/tasks", json_body={"title": "x"}).json()
    assert task["due"] is None


def test_get_one_task(client, make_task):
    task = make_task()
    response = client.get(f"/tasks/{task['id']}")
    assert response.status == 200
    assert response.json() == task


def test_list_newest_first_with_done_filter_and_limit(client, make_task):
    first, second, third = make_task("a"), make_task("b"), make_task("c")
    client.post(f"/tasks/{second['id']}/complete")
    listed = client.get("/tasks").json()
    assert [t["id"] for t in listed["tasks"]] == [third["id"], second["id"], first["id"]]
    assert listed["count"] == 3
    done = client.get("/tasks", query="done=true").json()["tasks"]
    assert [t["id"] for t in done] == [second["id"]]
    open_ = client.get("/tasks", query="done=false").json()["tasks"]
    assert [t["id"] for t in open_] == [third["id"], first["id"]]
    limited = client.get("/tasks", query="limit=1").json()["tasks"]
    assert [t["id"] for t in limited] == [third["id"]]


def test_list_empty(client):
    assert client.get("/tasks").json() == {"tasks": [], "count": 0}


@pytest.mark.parametrize(
    ("query", "field"), [("done=yes", "done"), ("limit=0", "limit"), ("limit=x", "limit")]
)
def test_list_rejects_bad_query(client, query, field):
    response = client.get("/tasks", query=query)
    assert response.status == 400
    assert response.json()["field"] == field


def test_patch_changes_only_given_fields(client, make_task):
    task = make_task("old", due="2030-01-01")
    response = client.patch(f"/tasks/{task['id']}", json_body={"title": "new"})
    assert response.status == 200
    assert response.json()["title"] == "new"
    assert response.json()["due"] == "2030-01-01"
    cleared = client.patch(f"/tasks/{task['id']}", json_body={"due": None}).json()
    assert cleared["due"] is None
    assert cleared["title"] == "new"


def test_complete_is_idempotent(client, make_task):
    task = make_task()
    first = client.post(f"/tasks/{task['id']}/complete")
    assert first.status == 200
    assert first.json()["done"] is True
    assert first.json()["completed_at"]
    again = client.post(f"/tasks/{task['id']}/complete").json()
    assert again["completed_at"] == first.json()["completed_at"]


def test_delete_returns_204_then_404(client, make_task):
    task = make_task()
    response = client.delete(f"/tasks/{task['id']}")
    assert response.status == 204
    assert response.body == b""
    assert "Content-Type" not in response.headers
    assert client.get(f"/tasks/{task['id']}").status == 404
    assert client.delete(f"/tasks/{task['id']}").status == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/tasks/999"),
        ("PATCH", "/tasks/999"),
        ("POST", "/tasks/999/complete"),
        ("DELETE", "/tasks/999"),
        ("GET", "/nope"),
        ("GET", "/tasks/abc"),
        ("GET", "/tasks/"),
        ("GET", "/tasks/1234567890123456789012"),
    ],
)
def test_not_found_is_json_404(client, method, path):
    response = client.request(method, path, json_body={"title": "x"})
    assert response.status == 404
    assert "error" in response.json()


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/tasks", "GET, POST"),
        ("PUT", "/tasks/1", "DELETE, GET, PATCH"),
        ("GET", "/tasks/1/complete", "POST"),
        ("POST", "/healthz", "GET"),
    ],
)
def test_wrong_method_is_405_with_allow(client, method, path, allow):
    response = client.request(method, path)
    assert response.status == 405
    assert response.headers["Allow"] == allow


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_non_json_body_is_415(client, content_type):
    response = client.post("/tasks", body=b'{"title": "x"}', content_type=content_type)
    assert response.status == 415


def test_json_with_charset_is_accepted(client):
    body = b'{"title": "x"}'
    response = client.post("/tasks", body=body, content_type="application/json; charset=utf-8")
    assert response.status == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": 5}, "title"),
        ({"title": "x", "due": "tomorrow"}, "due"),
        ({"title": "x", "due": "2030-02-30"}, "due"),
        ({"title": "x", "due": 20300101}, "due"),
        ({"title": "x", "done": True}, "done"),
    ],
)
def test_create_validation_errors_name_the_field(client, body, field):
    response = client.post("/tasks", json_body=body)
    assert response.status == 400
    assert response.json()["field"] == field


def test_title_of_200_characters_is_fine(client):
    assert client.post("/tasks", json_body={"title": "x" * 200}).status == 201


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b'"title"', b""])
def test_broken_or_non_object_json_is_400(client, body):
    response = client.post("/tasks", body=body, content_type="application/json")
    assert response.status == 400
    assert response.json()["error"]


def test_patch_validation(client, make_task):
    task = make_task()
    path = f"/tasks/{task['id']}"
    assert client.patch(path, json_body={}).status == 400
    assert client.patch(path, json_body={"title": ""}).json()["field"] == "title"
    assert client.patch(path, json_body={"due": "31/01/2030"}).json()["field"] == "due"
    assert client.patch(path, body=b"x", content_type="text/plain").status == 415


def test_oversized_body_is_413(client):
    body = b'{"title": "' + b"x" * (70 * 1024) + b'"}'
    assert client.post("/tasks", body=body, content_type="application/json").status == 413


def test_invalid_content_length_is_400(client):
    from wsgiref.util import setup_testing_defaults

    environ = {"REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": "/tasks"}
    environ["CONTENT_LENGTH"] = "abc"
    environ["CONTENT_TYPE"] = "application/json"
    setup_testing_defaults(environ)
    statuses = []
    body = b"".join(client.app(environ, lambda status, headers: statuses.append(status)))
    assert statuses == ["400 Bad Request"]
    assert b"Content-Length" in body


def test_unhandled_error_is_500_and_logged(client, make_task, monkeypatch, caplog):
    task = make_task()

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("tasktower.db.get_task", boom)
    with caplog.at_level(logging.ERROR, logger="tasktower"):
        response = client.get(f"/tasks/{task['id']}")
    assert response.status == 500
    assert response.json() == {"error": "internal server error"}
    assert "disk on fire" not in response.body.decode()
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "unhandled error in GET /tasks/" in record.getMessage()
    assert record.exc_info is not None


def test_module_app_uses_tasktower_db(tmp_path, monkeypatch, client_for):
    from tasktower import app as app_module

    monkeypatch.setenv("TASKTOWER_DB", str(tmp_path / "env.db"))
    client = client_for(app_module.TaskTower())
    assert client.post("/tasks", json_body={"title": "x"}).status == 201
    assert (tmp_path / "env.db").exists()
    assert app_module.app.db_path.endswith("env.db")


def test_default_database_is_in_the_cwd(tmp_path, monkeypatch):
    monkeypatch.delenv("TASKTOWER_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert TaskTower().db_path == "tasktower.db"
