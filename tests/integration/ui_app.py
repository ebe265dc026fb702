"""A tiny web app on 127.0.0.1 for the UI stage tests: a page with a heading, a list
and a button whose script adds an item, served by the standard library's threaded
HTTP server from a thread of the test process.

Why not the demo app: the UI stage is tested on its own, without a build and a
deployment; tests/integration/pages_app.py serves the `pages` check's tests.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGES = {
    "/healthz": "ok\n",  # what an environment's health check asks by default
    "/": """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Tasks</title>
<script src="/app.js" defer></script></head>
<body><main><h1>Tasks</h1>
<ul id="tasks"><li>write the tests</li></ul>
<label for="title">Title</label><input id="title">
<button id="add" type="button">Add</button>
</main></body></html>
""",
    "/app.js": """document.getElementById("add").addEventListener("click", () => {
  const item = document.createElement("li");
  item.textContent = document.getElementById("title").value;
  document.getElementById("tasks").append(item);
});
""",
}
TYPES = {".js": "text/javascript"}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PAGES.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404)
            return
        kind = next((t for ext, t in TYPES.items() if self.path.endswith(ext)), "text/html")
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is the gate's."""


@contextmanager
def serve() -> Iterator[str]:
    """Serve the app on a free port of 127.0.0.1; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


if __name__ == "__main__":  # `python ui_app.py PORT`: a deploy script's long-running server
    import sys

    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
