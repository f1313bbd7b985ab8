"""A real HTTP server on loopback serving one CRL (``http.server`` in a thread): what it
serves, a delay before answering, an error status instead, and how often it was asked."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class CrlServer:
    url: str
    body: bytes = b""
    status: int = 200
    delay: float = 0.0  # seconds before the answer: a slow CA
    hits: int = 0
    fetched: threading.Event = field(default_factory=threading.Event)  # set at a hit


@contextmanager
def serving_crl() -> Iterator[CrlServer]:
    served = CrlServer("")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.hits += 1
            time.sleep(served.delay)
            self.send_response(served.status)
            self.send_header("Content-Type", "application/pkix-crl")
            self.send_header("Content-Length", str(len(served.body)))
            self.end_headers()
            self.wfile.write(served.body)
            served.fetched.set()

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    served.url = f"http://127.0.0.1:{server.server_address[1]}/issuing.crl"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
