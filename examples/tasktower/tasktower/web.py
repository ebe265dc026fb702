"""The little of HTTP a hand-routed WSGI app needs: errors as exceptions,
JSON in and out, and the security headers every response carries.

The headers go on every response, errors included, because a browser that is
tricked into loading an error page (a 404 echoing the path) must be as fenced
in as one loading a task: no script, no framing, no MIME sniffing, no referrer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

MAX_BODY = 64 * 1024
StartResponse = Callable[..., Any]

# A JSON API serves no page: nothing may load from it, run in it or frame it.
# script-src and object-src are spelled out (not left to default-src) because
# scanners such as wapiti's csp module look for each by name.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'none'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'none'"
)
# The tasks page (pages.py) loads exactly its own script and stylesheet, its icon,
# and talks to this API (fetch): each from this origin only, nothing inline
# (no 'unsafe-inline' or 'unsafe-eval'), and its one form posts here at most.
PAGE_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
)


@dataclass(frozen=True)
class Content:
    """A body that is not JSON (the page, a script, a stylesheet): its bytes, its
    media type, and headers that replace the defaults of the same name (the page's
    own CSP, an asset's Cache-Control) instead of being sent twice. An empty
    payload with `not_modified` is a 304's (no Content-Type, no length)."""

    payload: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()
    not_modified: bool = False


class HTTPError(Exception):
    """Raised anywhere in a handler; becomes a JSON error response."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        field: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = list(headers)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


def status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase}"


def respond(
    start_response: StartResponse,
    status: int,
    body: Any = None,
    headers: Iterable[tuple[str, str]] = (),
) -> list[bytes]:
    """Start the response; `body` None means no content (204), a `Content` is sent as it is."""
    if isinstance(body, Content):
        return _respond_content(start_response, status, body, headers)
    header_list = [*headers, *SECURITY_HEADERS]
    if body is None:
        start_response(status_line(status), header_list)
        return []
    payload = json.dumps(body, separators=(",", ":")).encode()
    header_list += [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(payload))),
    ]
    start_response(status_line(status), header_list)
    return [payload]


def _respond_content(
    start_response: StartResponse,
    status: int,
    content: Content,
    headers: Iterable[tuple[str, str]],
) -> list[bytes]:
    own = {name.lower() for name, _ in content.headers}
    header_list = [*headers, *content.headers]
    header_list += [(name, value) for name, value in SECURITY_HEADERS if name.lower() not in own]
    if content.not_modified:
        start_response(status_line(status), header_list)
        return []
    header_list += [
        ("Content-Type", content.content_type),
        ("Content-Length", str(len(content.payload))),
    ]
    start_response(status_line(status), header_list)
    return [content.payload]


def read_json(environ: dict[str, Any]) -> Any:
    """The request body as JSON: 415 unless declared JSON, 413 if too big, 400 if broken."""
    media_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise HTTPError(415, "the body must be JSON (Content-Type: application/json)")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise HTTPError(400, "invalid Content-Length") from None
    if length > MAX_BODY:
        raise HTTPError(413, f"the body must be at most {MAX_BODY} bytes")
    raw = environ["wsgi.input"].read(length) if length > 0 else b""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HTTPError(400, f"invalid JSON: {exc}") from None
    except RecursionError:  # 64 KiB of "[" nests deeper than the parser recurses
        raise HTTPError(400, "invalid JSON: nested too deeply") from None
