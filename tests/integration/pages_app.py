"""A tiny web app for the `pages` check's tests: one clean page and one page per fault.

Run as `python pages_app.py`: it serves on a free port of 127.0.0.1 and prints
the port on its first line. Plain http.server (threaded), no framework, so the
faults are exactly what the pages say and nothing else:

- `/` and `/about`: clean, accessible pages (a landmark, a heading, a labelled
  input, a script and a stylesheet that load).
- `/private`: 401 without the cookie `session=ok`, which `/login` (a form
  posting to `/session`) sets; a check logs in with a `login` script.
- `/token`: 401 unless the header X-Token is $PAGES_APP_TOKEN (a check's `headers`).
- `/throws`: a script that throws on load (an uncaught exception).
- `/logs`: a script that calls console.error.
- `/unlabelled`: a text input without a label (axe's `label` rule, critical).
- `/missing-asset`: an image whose file answers 404.
- `/csp`: a Content-Security-Policy (`img-src 'none'`) that blocks the page's image.
- `/broken`: the document itself answers 500.
- `/moved`: a redirect (302) to `/about`.
"""

from __future__ import annotations

import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="/style.css"></head>
<body><main><h1>{title}</h1>
<form><label for="q">Search</label> <input id="q" name="q" type="text"></form>
{extra}
<script src="/app.js"></script>
</main></body></html>
"""

EXTRA = {
    "/": ('Home', ""),
    "/about": ("About", "<p>A small app for tests.</p>"),
    "/private": ("Private", "<p>Only for people who logged in.</p>"),
    "/token": ("Token", "<p>Only with the right header.</p>"),
    "/throws": ("Throws", '<script src="/throws.js"></script>'),
    "/logs": ("Logs", '<script src="/logs.js"></script>'),
    "/unlabelled": ("Unlabelled", '<input type="text" name="nolabel">'),
    "/missing-asset": ("Missing asset", '<img src="/missing.png" alt="A logo">'),
    "/csp": ("CSP", '<img src="/pixel.svg" alt="A pixel">'),
}
LOGIN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in</title></head>
<body><main><h1>Log in</h1>
<form method="post" action="/session"><label for="user">User</label>
<input id="user" name="user" type="text"><button type="submit">Log in</button></form>
</main></body></html>
"""
ASSETS = {
    "/style.css": ("text/css", "body { font-family: sans-serif; color: #111; background: #fff; }"),
    "/app.js": ("text/javascript", "document.body.dataset.ready = 'yes';"),
    "/throws.js": ("text/javascript", "throw new Error('boom on load');"),
    "/logs.js": ("text/javascript", "console.error('logged on purpose');"),
    "/pixel.svg": ("image/svg+xml", '<svg xmlns="http://www.w3.org/2000/svg" width="1" '
                   'height="1"></svg>'),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path in ASSETS:
            kind, body = ASSETS[path]
            self._send(200, kind, body)
        elif path == "/login":
            self._send(200, "text/html", LOGIN)
        elif path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/about")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/broken":
            self._send(500, "text/html", "<!doctype html><title>Error</title><p>broken</p>")
        elif path == "/private" and "session=ok" not in (self.headers.get("Cookie") or ""):
            self._send(401, "text/html", "<!doctype html><title>Log in</title><p>log in</p>")
        elif path == "/token" and self.headers.get("X-Token") != os.environ.get(
                "PAGES_APP_TOKEN", "\0"):
            self._send(401, "text/html", "<!doctype html><title>No</title><p>no token</p>")
        elif path in EXTRA:
            title, extra = EXTRA[path]
            headers = {"Content-Security-Policy": "img-src 'none'"} if path == "/csp" else {}
            self._send(200, "text/html", PAGE.format(title=title, extra=extra), headers)
        else:
            self._send(404, "text/plain", "not found")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(303)
        self.send_header("Location", "/private")
        self.send_header("Set-Cookie", "session=ok; Path=/; HttpOnly")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, kind: str, body: str,
              headers: dict[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
