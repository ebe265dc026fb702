"""The API as deployed: real server, real database, possibly shared with
other tests or load, so nothing here assumes an empty task list."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

MISSING = 999_999_999_999  # an id no test run reaches


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def listed_ids(api, query: str) -> set[int]:
    reply = api.request("GET", f"/tasks?{query}&limit=1000")
    assert reply.status == 200
    return {task["id"] for task in reply.body["tasks"]}


def test_health(api):
    reply = api.request("GET", "/healthz")
    assert reply.status == 200
    assert reply.body["status"] == "ok"
    assert reply.body["version"]
    assert reply.body["schema_version"] >= 2


def test_create_list_update_complete_delete(api):
    title = unique("round trip")
    created = api.request("POST", "/tasks", {"title": title, "due": "2030-06-01"})
    assert created.status == 201
    task = created.body
    assert task["title"] == title
    assert task["done"] is False
    path = f"/tasks/{task['id']}"

    assert task["id"] in listed_ids(api, "done=false")
    assert api.request("GET", path).body == task

    patched = api.request("PATCH", path, {"title": title + " (renamed)", "due": None})
    assert patched.status == 200
    assert patched.body["title"] == title + " (renamed)"
    assert patched.body["due"] is None

    completed = api.request("POST", path + "/complete")
    assert completed.status == 200
    assert completed.body["done"] is True
    assert task["id"] in listed_ids(api, "done=true")
    assert task["id"] not in listed_ids(api, "done=false")

    deleted = api.request("DELETE", path)
    assert deleted.status == 204
    assert deleted.body is None
    assert api.request("GET", path).status == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/tasks/{MISSING}"),
        ("PATCH", f"/tasks/{MISSING}"),
        ("POST", f"/tasks/{MISSING}/complete"),
        ("DELETE", f"/tasks/{MISSING}"),
        ("GET", "/no-such-page"),
    ],
)
def test_missing_is_404(api, method, path):
    reply = api.request(method, path, {"title": "x"} if method == "PATCH" else None)
    assert reply.status == 404
    assert reply.body["error"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "x", "due": "soon"}, "due"),
    ],
)
def test_validation_errors(api, body, field):
    reply = api.request("POST", "/tasks", body)
    assert reply.status == 400
    assert reply.body["field"] == field


def test_non_json_body_is_415(api):
    reply = api.request("POST", "/tasks", data=b"title=x", content_type="text/plain")
    assert reply.status == 415


def test_wrong_method_is_405_with_allow(api):
    reply = api.request("DELETE", "/tasks")
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET, POST"


def test_concurrent_creates_get_distinct_ids(api):
    titles = [unique("parallel") for _ in range(20)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda t: api.request("POST", "/tasks", {"title": t}), titles))
    assert [r.status for r in replies] == [201] * 20
    ids = {r.body["id"] for r in replies}
    assert len(ids) == 20
    for task_id in ids:
        assert api.request("DELETE", f"/tasks/{task_id}").status == 204
