"""The tasks page at `/` and its assets under /static/: the right bytes with the
right media type, caching that a new release cannot defeat, 404 for any other
path (traversal included), and a page whose CSP allows what it loads and no more.

The assets are stand-ins written by conftest's `static_dir` (the real bundle is
built by [build.assets], after these tests run in the gate).
"""

from __future__ import annotations

import hashlib
import logging
import string
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tasktower import pages
from tasktower.app import TaskTower
from tasktower.web import PAGE_CONTENT_SECURITY_POLICY

ASSETS = {
    "/static/dist/app.js": ("dist/app.js", "text/javascript; charset=utf-8"),
    "/static/dist/style.css": ("dist/style.css", "text/css; charset=utf-8"),
    "/static/favicon.svg": ("favicon.svg", "image/svg+xml"),
}


class Page(HTMLParser):
    """The page's elements as (tag, attributes), and the text inside each <script>/<style>."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.inline: list[str] = []
        self._open: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._open = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open and data.strip():
            self.inline.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def version(static_dir: Path, name: str) -> str:
    return hashlib.sha256((static_dir / name).read_bytes()).hexdigest()[:16]


def directives(csp: str) -> dict[str, str]:
    return dict(d.strip().split(" ", 1) for d in csp.split(";"))


# -- the page --------------------------------------------------------------------------


def test_the_page_is_html_with_its_own_csp(client):
    response = client.get("/")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    csp = directives(response.headers["Content-Security-Policy"])
    assert response.headers["Content-Security-Policy"] == PAGE_CONTENT_SECURITY_POLICY
    # exactly what the page needs, from this origin only: its script, its stylesheet,
    # its icon, its fetches to the API; nothing inline, nothing evaluated, no framing
    assert csp == {
        "default-src": "'none'",
        "script-src": "'self'",
        "style-src": "'self'",
        "connect-src": "'self'",
        "img-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }
    assert int(response.headers["Content-Length"]) == len(response.body)


def test_the_page_has_no_inline_script_or_style_and_loads_only_its_own_files(client, static_dir):
    page = Page(client.get("/").body.decode())
    assert page.inline == [], "inline script or style: the CSP would block it"
    assert page.find("style") == []
    for tag, attrs in page.elements:
        assert "style" not in attrs, tag
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
    scripts = page.find("script")
    assert [s["src"] for s in scripts] == [
        f"/static/dist/app.js?v={version(static_dir, 'dist/app.js')}"
    ]
    assert "defer" in scripts[0]
    assert [link["href"] for link in page.find("link", rel="stylesheet")] == [
        f"/static/dist/style.css?v={version(static_dir, 'dist/style.css')}"
    ]
    assert [link["href"] for link in page.find("link", rel="icon")] == [
        f"/static/favicon.svg?v={version(static_dir, 'favicon.svg')}"
    ]
    for _, attrs in page.elements:  # no CDN, no other origin
        for name in ("src", "href", "action"):
            value = attrs.get(name)
            assert value is None or (value.startswith("/") and not value.startswith("//"))


def test_the_page_is_accessible_by_structure(client):
    page = Page(client.get("/").body.decode())
    assert page.find("html", lang="en")
    assert len(page.find("main")) == 1
    assert len(page.find("h1")) == 1
    assert page.find("meta", name="viewport")
    inputs = page.find("input")
    assert {i["id"] for i in inputs} == {"title", "due"}
    labelled = {label["for"] for label in page.find("label")}
    assert labelled == {"title", "due"}, "every input has its label"
    assert page.find("p", role="status", id="status"), "a live region for messages"
    assert page.find("nav", **{"aria-label": "Filter tasks"})
    hrefs = [a["href"] for a in page.find("a")]
    assert hrefs == ["/", "/?filter=open", "/?filter=done"]
    assert page.find("div", id="tasks", **{"aria-busy": "true"})
    assert page.find("button", type="submit")


@pytest.mark.parametrize("query", ["filter=done", "filter=open", "filter=%3Cscript%3E", "x=1"])
def test_every_query_answers_the_same_page(client, query):
    """The filter is the page script's business; the query is never echoed."""
    plain = client.get("/")
    filtered = client.get("/", query=query)
    assert filtered.status == 200
    assert filtered.body == plain.body
    assert b"<script>" not in filtered.body


def test_a_missing_asset_leaves_the_page_up_but_logs_an_error(db_path, tmp_path, caplog):
    client_ = TaskTower(str(db_path), static_dir=tmp_path / "unbuilt")
    with caplog.at_level(logging.ERROR, logger="tasktower"):
        status, content = client_.site.page({})
    assert status == 200
    assert b'src="/static/dist/app.js"' in content.payload  # unversioned: nothing to hash
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("/static/dist/app.js is missing" in e and "npm run build" in e for e in errors)


def test_the_template_fills_every_field_and_ships_in_the_package():
    template = string.Template(pages.TEMPLATE.read_text(encoding="utf-8"))
    assert template.is_valid()
    assert set(template.get_identifiers()) == set(pages.LINKS)
    assert set(pages.LINKS.values()) <= set(pages.ASSETS)
    assert pages.TEMPLATE.parent.parent == Path(pages.__file__).resolve().parent
    assert (pages.STATIC / "favicon.svg").is_file()  # committed; dist/ is built
    assert TaskTower(":memory:").site.static_dir == pages.STATIC


# -- the assets ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "file", "content_type"), [(p, f, t) for p, (f, t) in ASSETS.items()]
)
def test_each_asset_is_served_with_its_media_type(client, static_dir, path, file, content_type):
    assert pages.ASSETS == ASSETS  # the list is the contract: nothing else is served
    response = client.get(path)
    assert response.status == 200
    assert response.body == (static_dir / file).read_bytes()
    assert response.headers["Content-Type"] == content_type
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["ETag"] == f'"{version(static_dir, file)}"'
    assert int(response.headers["Content-Length"]) == len(response.body)


def test_a_versioned_url_is_cached_for_good_any_other_is_revalidated(client, static_dir):
    current = version(static_dir, "dist/app.js")
    cached = client.get("/static/dist/app.js", query=f"v={current}")
    assert cached.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    for query in ("", "v=0123456789abcdef", f"v={current}&v={current}"):
        response = client.get("/static/dist/app.js", query=query)
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-cache", query


@pytest.mark.parametrize("if_none_match", ['"{v}"', 'W/"{v}"', '"other", "{v}"', "*"])
def test_a_current_copy_is_a_304_without_a_body(client, static_dir, if_none_match):
    current = version(static_dir, "dist/style.css")
    response = request_with(client, "/static/dist/style.css", if_none_match.format(v=current))
    assert response.status == 304
    assert response.body == b""
    assert response.headers["ETag"] == f'"{current}"'
    assert "Content-Type" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("if_none_match", ['"stale"', "", " , "])
def test_a_stale_copy_gets_the_asset(client, if_none_match):
    response = request_with(client, "/static/dist/style.css", if_none_match)
    assert response.status == 200
    assert response.body


def test_a_rebuilt_asset_is_served_without_a_restart(client, static_dir):
    first = client.get("/static/dist/app.js")
    assert client.get("/static/dist/app.js").body == first.body  # read once, then kept
    (static_dir / "dist/app.js").write_bytes(b"console.log('rebuilt, and longer');\n")
    second = client.get("/static/dist/app.js")
    assert second.body == b"console.log('rebuilt, and longer');\n"
    assert second.headers["ETag"] != first.headers["ETag"]
    assert f"app.js?v={version(static_dir, 'dist/app.js')}" in client.get("/").body.decode()


def test_a_missing_asset_is_a_404_and_an_error_in_the_log(client, static_dir, caplog):
    (static_dir / "dist/style.css").unlink()
    with caplog.at_level(logging.ERROR, logger="tasktower"):
        response = client.get("/static/dist/style.css")
    assert response.status == 404
    assert response.json()["error"] == "no such resource: /static/dist/style.css"
    assert "is missing" in caplog.text


@pytest.mark.parametrize(
    "path",
    [
        "/static",
        "/static/",
        "/static/dist",
        "/static/dist/",
        "/static/dist/other.js",
        "/static/dist/app.js/",
        "/static/dist/app.js.map",
        "/static/dist/APP.JS",
        "/static/dist/app.js\x00",
        "/static/dist/./app.js",
        "/static//dist/app.js",
        "/static/dist/../dist/app.js",
        "/static/dist/../../app.py",
        "/static/dist/../../../secret.txt",
        "/static/../secret.txt",
        "/static/..%2f..%2fsecret.txt",
        "/static/%2e%2e/%2e%2e/secret.txt",
        "/static/dist/..\\..\\app.py",
        "/static/favicon.svg/..",
        "/static/index.html",
        "/templates/index.html",
        "/index.html",
        "/app.py",
        "//static/dist/app.js",
    ],
)
def test_any_other_path_is_a_404_and_never_another_file(client, static_dir, path):
    """Paths are looked up in a list, never joined to a folder: nothing else is reachable."""
    (static_dir.parent / "secret.txt").write_text("the database password")
    response = client.get(path)
    assert response.status == 404, path
    assert response.headers["Content-Type"] == "application/json"
    assert b"password" not in response.body


def request_with(client, path: str, if_none_match: str):
    """A GET with an If-None-Match header (the test client passes no headers itself)."""
    app = client.app

    def with_header(environ, start_response):
        environ["HTTP_IF_NONE_MATCH"] = if_none_match
        return app(environ, start_response)

    return type(client)(with_header).get(path)
