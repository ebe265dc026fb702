"""The OpenAPI document at /openapi.json and the app's routing table stay equal.

The document is written by hand (tasktower/openapi.py) and the routes are the
app's own table (`TaskTower.routes`), so a route added, removed or given a new
method without its documentation (or the reverse) fails here, before an API
fuzzer in the gate tests a contract the app does not keep.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tasktower import __version__, openapi
from tasktower.app import TaskTower

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def routed(app: TaskTower) -> set[tuple[str, str]]:
    """(METHOD, path template) for every route and method the app answers."""
    return {(method, path) for path, methods in app.routes.items() for method in methods}


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def operations(document: dict[str, Any]):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, item, operation


def test_served_document_is_the_module_one(client):
    response = client.get("/openapi.json")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    served = response.json()
    assert served == openapi.DOCUMENT
    assert served["openapi"].startswith("3.")
    assert served["info"]["version"] == __version__


def test_every_route_is_documented_and_every_operation_routed(client):
    served = client.get("/openapi.json").json()
    routes, operations_ = routed(client.app), documented(served)
    assert routes, "the routing table is empty"
    assert routes - operations_ == set(), "routes missing from the OpenAPI document"
    assert operations_ - routes == set(), "documented operations the app does not route"


def test_the_comparison_sees_a_difference():
    """A route added without its documentation is caught (the check can fail)."""
    app = TaskTower(":memory:")
    app.routes["/tasks/{task_id}"]["PUT"] = app.update_task
    assert ("PUT", "/tasks/{task_id}") in routed(app) - documented(openapi.DOCUMENT)


def test_path_parameters_are_the_templates_own():
    for path, method, item, operation in operations(openapi.DOCUMENT):
        declared = [
            p["name"]
            for p in [*item.get("parameters", []), *operation.get("parameters", [])]
            if p["in"] == "path"
        ]
        assert sorted(declared) == sorted(re.findall(r"\{(\w+)\}", path)), (method, path)


def test_operation_ids_are_unique_and_links_name_them():
    ids = [op["operationId"] for _, _, _, op in operations(openapi.DOCUMENT)]
    assert len(ids) == len(set(ids))
    links = openapi.DOCUMENT["paths"]["/tasks"]["post"]["responses"]["201"]["links"]
    assert {link["operationId"] for link in links.values()} <= set(ids)


def test_every_reference_resolves():
    text = repr(openapi.DOCUMENT)
    names = set(re.findall(r"#/components/schemas/(\w+)", text))
    assert names
    assert names <= set(openapi.DOCUMENT["components"]["schemas"])


@pytest.mark.parametrize(
    ("path", "method"), sorted((p, m) for p, m, _, _ in operations(openapi.DOCUMENT))
)
def test_each_operation_documents_its_errors(path, method):
    """A status the app can answer is documented, so a fuzzer's conformance check holds."""
    operation = openapi.DOCUMENT["paths"][path][method]
    codes = set(operation["responses"])
    if "{task_id}" in path:
        assert "404" in codes
    if "requestBody" in operation:
        assert {"400", "413", "415"} <= codes


def test_the_page_and_its_assets_are_routed_but_not_documented(client):
    """`/` and /static/... serve HTML, JS and CSS, not the JSON API: routed in the app's
    `pages` table, kept out of the OpenAPI document (and so out of the API fuzzer's
    contract), and never confused with an API route."""
    served = client.get("/openapi.json").json()
    pages = set(client.app.pages)
    assert {"/", "/static/dist/app.js", "/static/dist/style.css"} <= pages
    assert pages.isdisjoint(served["paths"])
    assert pages.isdisjoint(client.app.routes)
    for path in pages:
        assert client.get(path).status == 200, path
