"""A WSGI test client: requests go straight into `app(environ, start_response)`,
wrapped in wsgiref's validator so any WSGI protocol slip fails the test."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

import pytest

from tasktower.app import TaskTower


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    raw_headers: list[tuple[str, str]] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    def __init__(self, app: Any) -> None:
        self.app = app
        self._wsgi = validator(app)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        content_type: str | None = None,
        query: str = "",
    ) -> Response:
        if json_body is not None:
            body = json.dumps(json_body).encode()
            content_type = content_type or "application/json"
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "wsgi.input": io.BytesIO(body or b""),
        }
        if body is not None:
            environ["CONTENT_LENGTH"] = str(len(body))
        if content_type is not None:
            environ["CONTENT_TYPE"] = content_type
        setup_testing_defaults(environ)
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        result = self._wsgi(environ, start_response)
        try:
            payload = b"".join(result)
        finally:
            result.close()
        headers = captured["headers"]
        return Response(int(captured["status"].split()[0]), dict(headers), payload, headers)

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Response:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "tasks.db"


@pytest.fixture
def client_for():
    """A client for another app instance (another database, the module's own app)."""
    return Client


# Stand-ins for the front-end bundle, which [build.assets] builds after these tests run
ASSET_FILES = {
    "dist/app.js": b'document.title="built";\n',
    "dist/style.css": b"body{color:#1f2933}\n",
    "favicon.svg": b'<svg xmlns="http://www.w3.org/2000/svg"/>\n',
}


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    """A static folder with every asset the page links, so no test needs the real build."""
    folder = tmp_path / "static"
    for name, content in ASSET_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    return folder


@pytest.fixture
def client(db_path: Path, static_dir: Path) -> Client:
    return Client(TaskTower(str(db_path), static_dir=static_dir))


@pytest.fixture
def make_task(client: Client):
    def make(title: str = "write the demo", **fields: Any) -> dict[str, Any]:
        response = client.post("/tasks", json_body={"title": title, **fields})
        assert response.status == 201, response.body
        return response.json()

    return make
