"""The tasks page and its assets: `/` (HTML) and the files under /static/.

They are routed apart from the API (app.py's `pages` table, not `routes`) and
left out of the OpenAPI document: a page and a stylesheet are not part of the
JSON contract that clients and the API fuzzer ([security-testing.api]) work
from, and documenting them would have the fuzzer expect JSON from HTML.

Static files are an allow-list (`ASSETS`: URL path -> file, media type): a
request path is looked up, never joined to a folder, so no path reaches
another file (`..`, encoded slashes, NUL bytes, a trailing slash are simply
not in the list: 404). The page links each asset with `?v=<its hash>`, so a
versioned URL may be cached for a year (`immutable`) and a new release's
assets have new URLs; an unversioned request is revalidated (`no-cache`,
ETag, 304). The bundle (dist/) is built by [build.assets] (esbuild, from
frontend/); a release without it is broken, so its absence is logged as an
ERROR, which the gate's log watcher counts on staging.
"""

from __future__ import annotations

import hashlib
import logging
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from tasktower.web import PAGE_CONTENT_SECURITY_POLICY, Content, HTTPError

logger = logging.getLogger("tasktower")

PACKAGE = Path(__file__).resolve().parent
STATIC = PACKAGE / "static"  # the wheel installs it unzipped beside the modules
TEMPLATE = PACKAGE / "templates" / "index.html"
ASSETS = {
    "/static/dist/app.js": ("dist/app.js", "text/javascript; charset=utf-8"),
    "/static/dist/style.css": ("dist/style.css", "text/css; charset=utf-8"),
    "/static/favicon.svg": ("favicon.svg", "image/svg+xml"),
}
# the page's template fields -> the asset each links
LINKS = {
    "app_js": "/static/dist/app.js",
    "style_css": "/static/dist/style.css",
    "icon": "/static/favicon.svg",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Asset:
    payload: bytes
    version: str  # the first 16 hex digits of its SHA-256

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


class Site:
    """The page and the assets of one static folder, read when their file changes
    (size or modification time), so a rebuilt bundle is served without a restart."""

    def __init__(
        self, static_dir: str | Path | None = None, template: str | Path | None = None
    ) -> None:
        self.static_dir = Path(static_dir) if static_dir is not None else STATIC
        self.template_path = Path(template) if template is not None else TEMPLATE
        self._cache: dict[Path, tuple[tuple[int, int], Asset]] = {}

    def load(self, path: str) -> Asset | None:
        """The asset at URL `path` (a key of ASSETS), or None when its file is missing."""
        file = self.static_dir / ASSETS[path][0]
        try:
            stat = file.stat()
            key = (stat.st_mtime_ns, stat.st_size)
            cached = self._cache.get(file)
            if cached is not None and cached[0] == key:
                return cached[1]
            payload = file.read_bytes()
        except OSError:
            logger.error(
                "front-end asset %s is missing (%s): build it with "
                "`npm ci && npm run build` in frontend/",
                path,
                file,
            )
            return None
        asset = Asset(payload, hashlib.sha256(payload).hexdigest()[:16])
        self._cache[file] = (key, asset)
        return asset

    def url(self, path: str) -> str:
        """The URL the page links: versioned by content when the file is there."""
        asset = self.load(path)
        return f"{path}?v={asset.version}" if asset is not None else path

    def page(self, environ: dict[str, Any]) -> tuple[int, Content]:
        """GET /: the tasks page. The filter (?filter=open|done) is read by the page's
        script, so every query answers the same document."""
        template = string.Template(self.template_path.read_text(encoding="utf-8"))
        html = template.substitute({name: self.url(path) for name, path in LINKS.items()})
        headers = (
            ("Content-Security-Policy", PAGE_CONTENT_SECURITY_POLICY),
            ("Cache-Control", REVALIDATE),
        )
        return 200, Content(html.encode(), HTML, headers)

    def asset(self, environ: dict[str, Any], path: str) -> tuple[int, Content]:
        """GET of one asset: 200, or 304 when the browser's copy is current; 404 if missing."""
        asset = self.load(path)
        if asset is None:
            raise HTTPError(404, f"no such resource: {path}")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        cache = IMMUTABLE if query.get("v") == [asset.version] else REVALIDATE
        headers = (("ETag", asset.etag), ("Cache-Control", cache))
        content_type = ASSETS[path][1]
        tags = _etags(environ.get("HTTP_IF_NONE_MATCH", ""))
        if asset.etag in tags or "*" in tags:
            return 304, Content(b"", content_type, headers, not_modified=True)
        return 200, Content(asset.payload, content_type, headers)


def _etags(header: str) -> set[str]:
    """The entity tags of an If-None-Match header, weak ones as strong (RFC 9110's weak
    comparison, which GET uses); `*` matches any current file."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
