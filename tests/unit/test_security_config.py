"""The schemathesis and wapiti tables, checked when gates.toml is read (before any tool)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from pytest_tower.checks.schemathesis import config as st
from pytest_tower.checks.wapiti import config as wapiti


def _defaults(options: dict[str, Any], **values: Any) -> dict[str, Any]:
    found = {k: copy.deepcopy(o.default) for k, o in options.items()}
    return {**found, "base_url": "http://127.0.0.1:8000", **values}


@pytest.mark.parametrize(("values", "words"), [
    ({"schema": " "}, "schema is empty"),
    ({"schema": "https://other.test/openapi.json"}, "only read from the application"),
    ({"schema": "../outside.yaml"}, "inside the project"),
    ({"checks": ["not_a_server_eror"]}, "did you mean 'not_a_server_error'"),
    ({"checks": ["ignored_auth", "ignored_auth"]}, "listed twice"),
    ({"phases": ["fuzz"]}, "did you mean 'fuzzing'"),
    ({"include": ["/tasks"]}, "is not an operation name"),
    ({"exclude": ["GET tasks"]}, "is not an operation name"),
    ({"max_examples": 0}, "max_examples must be 1 or more"),
    ({"config": "/etc/schemathesis.toml"}, "relative to gates.toml"),
    ({"ignore": [{"id": "ST103", "reason": "r", "until": "2027-01-01"}]}, "TOML date"),
    ({"ignore": [{"id": "ST103", "url": "/x", "reason": "r"}]}, "unknown key"),
])
def test_schemathesis_table_mistakes(values: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        st.validate(_defaults(st.OPTIONS, **values))


@pytest.mark.parametrize(("values", "words"), [
    ({"modules": []}, "nothing would be scanned"),
    ({"modules": ["csp", "csp"]}, "listed twice"),
    ({"modules": ["xxe"]}, "set endpoint"),
    ({"modules": ["log4shell"]}, "dns_endpoint"),
    ({"modules": ["ssrf"], "endpoint": "wapiti.test"}, "must be an http"),
    ({"exclude": ["logout"]}, "must be a path on the target"),
    ({"max_scan_time": 0.0}, "max_scan_time must be more than 0"),
    ({"ignore": [{"id": "csp", "operation": "GET /", "reason": "r"}]}, "unknown key"),
])
def test_wapiti_table_mistakes(values: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        wapiti.validate(_defaults(wapiti.OPTIONS, **values))


def test_good_tables_pass() -> None:
    st.validate(_defaults(st.OPTIONS, schema="api/openapi.yaml", checks=["ignored_auth"],
                          include=["GET /tasks/{task_id}"], max_examples=5))
    wapiti.validate(_defaults(wapiti.OPTIONS, modules=["sql", "ssrf"],
                              endpoint="http://10.0.0.5:8080", exclude=["/logout"]))
