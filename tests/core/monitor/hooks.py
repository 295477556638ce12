"""A real loopback HTTP server that records the webhook POSTs it receives."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hook:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.url = ""  # http://127.0.0.1:<port>/hook
        self.port = 0
        self.status = 204
        self.location: str | None = None  # sent as Location (a redirect) when set


@contextmanager
def serve_hook() -> Iterator[Hook]:
    hook = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            hook.requests.append({"content_type": self.headers["Content-Type"],
                                  "host": self.headers["Host"], "path": self.path,
                                  "json": json.loads(body)})
            self.send_response(hook.status)
            if hook.location:
                self.send_header("Location", hook.location)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook.port = server.server_port
    hook.url = f"http://127.0.0.1:{hook.port}/hook"
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
