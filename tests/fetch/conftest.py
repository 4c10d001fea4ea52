"""Fixtures for fetch tests: a loopback codeload server (the mirror and its locks: tests/conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .helpers import Codeload


@pytest.fixture
def codeload() -> Iterator[Codeload]:
    """A codeload-like server on 127.0.0.1 (random port) answering the routes a test sets."""
    state = Codeload(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits.append(self.path)
            route = state.routes.get(self.path)
            if route is None or route.status != 200:
                self.send_error(route.status if route else 404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-gzip")
            if route.length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body if route.cut is None else route.body[: route.cut])

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
