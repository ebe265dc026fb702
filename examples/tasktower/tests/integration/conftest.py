"""A JSON client for the deployed API (its URL: the `tower_base_url` fixture of
tests/conftest.py, the gate's staging deployment or a gunicorn of its own)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


class Api:
    """JSON over urllib: 4xx/5xx come back as replies, not exceptions."""

    def __init__(self, base_url: str) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.base_url = base_url.rstrip("/")

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        data: bytes | None = None,
        content_type: str = "application/json",
    ) -> Reply:
        if body is not None:
            data = json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return _reply(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            with error:
                return _reply(error.code, error.headers, error.read())


def _reply(status: int, headers: Any, raw: bytes) -> Reply:
    return Reply(status, dict(headers.items()), json.loads(raw) if raw else None)


@pytest.fixture(scope="session")
def api(tower_base_url: str) -> Api:
    return Api(tower_base_url)
