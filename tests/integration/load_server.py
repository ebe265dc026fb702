"""A tiny HTTP target for the load tests, run as its own process (it has a pid to sample).

`python load_server.py PIDFILE SLOW_MS` binds a free port on 127.0.0.1, writes
its pid to PIDFILE and prints the port. GET /fast answers at once, GET /slow
after SLOW_MS, GET /error is a 500; anything else is a 404.
"""

from __future__ import annotations

import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    slow_ms = 0.0

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        status = {"/fast": 200, "/slow": 200, "/error": 500}.get(path, 404)
        if path == "/slow":
            time.sleep(self.slow_ms / 1000)
        body = b'{"ok": true}' if status == 200 else b'{"error": "no"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    pid_file, slow_ms = sys.argv[1], float(sys.argv[2])
    Handler.slow_ms = slow_ms
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(pid_file, "w") as handle:
        handle.write(str(os.getpid()))
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
