"""The API answers like a hardened service: 405 with `Allow` for any method a
route does not declare (TRACE included), a 4xx and never a 5xx for malformed
input, and the browser security headers on every response, errors included.

The routes and their methods come from the app's own routing tables (the
API's and the page's), so a new route is covered without editing this file.
"""

from __future__ import annotations

import json
import re

import pytest

from tasktower.app import TaskTower
from tasktower.web import CONTENT_SECURITY_POLICY, PAGE_CONTENT_SECURITY_POLICY

_APP = TaskTower(":memory:")
ROUTES = {**_APP.routes, **_APP.pages}
UNDECLARED = ["TRACE", "PUT", "OPTIONS", "HEAD", "CONNECT", "QUERY", "PROPFIND"]


def concrete(template: str) -> str:
    return re.sub(r"\{\w+\}", "1", template)


def assert_hardened(response, *, page: bool = False) -> None:
    """The security headers, once each. `page`: the tasks page's CSP, which lets the
    page load its own script and stylesheet (from this origin only); every other
    response's allows no script at all."""
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert csp == (PAGE_CONTENT_SECURITY_POLICY if page else CONTENT_SECURITY_POLICY)
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["frame-ancestors"] == "'none'"
    assert directives["default-src"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["script-src"] == ("'self'" if page else "'none'")  # never inline
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    names = [name.lower() for name, _ in response.raw_headers]
    assert len(names) == len(set(names)), "a header is sent twice"


# wsgiref's validator knows only the RFC 2616 methods; the app must answer any
@pytest.mark.filterwarnings("ignore:Unknown REQUEST_METHOD")
@pytest.mark.parametrize(
    ("template", "method"),
    [(t, m) for t, methods in ROUTES.items() for m in UNDECLARED if m not in methods],
)
def test_undeclared_method_is_405_with_allow(client, template, method):
    response = client.request(method, concrete(template))
    assert response.status == 405
    assert response.headers["Allow"] == ", ".join(sorted(ROUTES[template]))
    assert "error" in response.json()
    assert_hardened(response)


def test_trace_never_echoes_the_request(client):
    response = client.request("TRACE", "/tasks")
    assert response.status == 405
    assert b"TRACE /tasks" not in response.body


def test_headers_on_success_responses(client, make_task):
    task = make_task()
    for response in (
        client.get("/healthz"),
        client.get("/openapi.json"),
        client.get("/tasks"),
        client.post("/tasks", json_body={"title": "x"}),
        client.post(f"/tasks/{task['id']}/complete"),
        client.delete(f"/tasks/{task['id']}"),
        client.get("/static/dist/app.js"),
        client.get("/static/dist/style.css"),
        client.get("/static/favicon.svg"),
    ):
        assert response.status < 300
        assert_hardened(response)
    assert_hardened(client.get("/"), page=True)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/nothing", {}, 404),
        ("GET", "/static/dist/nothing.js", {}, 404),
        ("GET", "/tasks/999", {}, 404),
        ("PUT", "/tasks", {}, 405),
        ("GET", "/tasks", {"query": "limit=x"}, 400),
        ("POST", "/tasks", {"body": b"{", "content_type": "application/json"}, 400),
        ("POST", "/tasks", {"body": b"x" * 70_000, "content_type": "application/json"}, 413),
        ("POST", "/tasks", {"body": b"{}", "content_type": "text/plain"}, 415),
    ],
)
def test_headers_on_error_responses(client, method, path, kwargs, status):
    response = client.request(method, path, **kwargs)
    assert response.status == status
    assert_hardened(response)


def test_headers_on_a_500(client, make_task, monkeypatch):
    task = make_task()
    monkeypatch.setattr("tasktower.db.get_task", lambda *a: 1 / 0)
    response = client.get(f"/tasks/{task['id']}")
    assert response.status == 500
    assert_hardened(response)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 60_000,  # nests deeper than the JSON parser recurses
        b'{"title": "x", "title": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
        b'{"title": "\\ud800"}',  # a lone surrogate: valid JSON, not storable text
        b"\x00",
        b"null",
        b"1e999999",
        b'{"title": ["x"]}',
        b'{"title": {"x": 1}}',
        b'{"title": null}',
        b'{"title": true}',
        b'{"title": "x", "due": "2030-W01-1"}',  # an ISO week date is not YYYY-MM-DD
        b'{"title": "x", "due": "\xd9\xa2030-01-01"}',  # a non-ASCII digit
        b'{"title": "x", "due": ["2030-01-01"]}',
        b'{"title": "x", "due": "2030-01-01T00:00:00"}',
        b'{"title": "\\t\\n\\u3000"}',  # blank by Unicode's rules
    ],
)
def test_malformed_body_is_400_never_500(client, body):
    for path, method in (("/tasks", "POST"), ("/tasks/1", "PATCH")):
        response = client.request(method, path, body=body, content_type="application/json")
        assert response.status == 400, (method, body[:40], response.body)
        assert_hardened(response)


def test_title_length_is_counted_as_sent(client):
    padded = " " + "x" * 199
    created = client.post("/tasks", json_body={"title": padded})
    assert created.status == 201
    assert created.json()["title"] == "x" * 199
    too_long = client.post("/tasks", json_body={"title": padded + " "})
    assert too_long.status == 400
    assert too_long.json()["field"] == "title"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=", "limit"),
        ("done=", "done"),
        ("limit=5&limit=6", "limit"),
        ("done=true&done=false", "done"),
        ("limit=+5", "limit"),
        ("limit=5_0", "limit"),
        ("limit=%20%205", "limit"),
        ("limit=%D9%A5", "limit"),  # ARABIC-INDIC DIGIT FIVE: int() would take it
        ("limit=%FF", "limit"),
        ("limit=99999999999999999999", "limit"),
        ("limit=-1", "limit"),
        ("limit=1001", "limit"),
        ("done=TRUE", "done"),
        ("done=1", "done"),
    ],
)
def test_bad_query_is_400_naming_the_parameter(client, query, field):
    response = client.get("/tasks", query=query)
    assert response.status == 400, response.body
    assert response.json()["field"] == field
    assert_hardened(response)


def test_unknown_query_parameters_are_ignored(client):
    assert client.get("/tasks", query="page=2&limit=5").status == 200


@pytest.mark.parametrize(
    "task_id",
    ["abc", "-1", "1.5", "0x1", "1e3", "9" * 19, "%00", "\u0661", "1/", "1%2F", " 1", ""],
)
def test_bad_path_id_is_404_never_500(client, task_id):
    for method, suffix in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/complete")):
        response = client.request(method, f"/tasks/{task_id}{suffix}", json_body={"title": "x"})
        assert response.status == 404, (method, task_id, response.status)
        assert_hardened(response)


def test_largest_id_is_a_404_not_an_overflow(client):
    response = client.get("/tasks/" + "9" * 18)
    assert response.status == 404
    assert json.loads(response.body)["error"]
