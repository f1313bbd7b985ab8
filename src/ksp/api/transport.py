"""The HTTP transport of ``ksp serve``: uvicorn's httptools protocol, with the limits that
uvicorn does not have.

uvicorn offers ``timeout_keep_alive`` (an idle connection *after* a response; used, as
``KSP_KEEP_ALIVE_SECONDS``), ``limit_concurrency`` (not used: it counts open connections
too, so idle connections alone would turn every request into a 503; see
``ConcurrencyLimitMiddleware``) and, for h11 only, ``h11_max_incomplete_event_size`` (a 400,
not a 431). The httptools parser buffers a header of any size (a 32 MiB header held the
event loop for seconds), and no timer runs on a connection that has sent nothing or half a
request. So this protocol adds, per connection:

- a cap on the request line and headers (``KSP_MAX_HEADER_BYTES``): 431 and close. Bytes
  are counted as they arrive, so an endless header is refused after one read past the cap;
  the parsed size is checked again when the headers end.
- a deadline (``KSP_HEADER_TIMEOUT_SECONDS``) for the headers, counted from the connection's
  start or the previous response's end, and again for the body once the headers are in: a
  connection that has not delivered them in time is closed.
- a cap on open connections (``KSP_MAX_CONNECTIONS``): one more closes the oldest connection
  that has no request in progress (idle, or still sending its headers), or the new one if
  every connection has a request in progress. The process thus never runs out of file
  descriptors, and a new client (a health check) is served while a flood of idle
  connections lasts.
"""

from __future__ import annotations

import asyncio
import json
import resource
import socket
from dataclasses import dataclass
from typing import Any

import httptools
import structlog
import uvicorn
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from ksp.api.app import create_app
from ksp.api.problems import PROBLEM_BASE
from ksp.settings import ConfigError, Settings

__all__ = ["CannotListen", "TransportLimits", "guarded_protocol", "listening_socket", "serve"]

log = structlog.get_logger("ksp.http")

_TOO_LARGE = json.dumps(
    {
        "type": PROBLEM_BASE + "request-headers-too-large",
        "title": "Request header fields too large",
        "status": 431,
        "detail": "The request line and headers are over the limit.",
    }
).encode()
_TOO_LARGE_RESPONSE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/problem+json\r\n"
    b"content-length: " + str(len(_TOO_LARGE)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _TOO_LARGE
)


@dataclass(frozen=True)
class TransportLimits:
    max_header_bytes: int
    header_timeout_seconds: float
    max_connections: int


class _HeadTooLarge(Exception):
    """Raised in the parser's callback; httptools re-raises it as the error's context."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """One connection; see the module's docstring. ``limits`` is set by
    :func:`guarded_protocol`."""

    limits: TransportLimits

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._head_bytes = 0
        self._reading_head = True
        self._deadline: asyncio.TimerHandle | None = None
        self.opened_at = self.loop.time()

    # Connection life
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_deadline("headers")
        if len(self.connections) > self.limits.max_connections:
            self._shed_a_connection()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._reading_head:
            self._head_bytes += len(data)
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as error:
            if isinstance(error.__context__, _HeadTooLarge):
                self._refuse_head()
            else:
                self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserError:
            self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:
            self._unsupported_upgrade_warning()  # the service offers no upgrade
        if self._reading_head and self._head_bytes > self.limits.max_header_bytes:
            self._refuse_head()

    # Parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_head, self._head_bytes = True, 0

    def on_headers_complete(self) -> None:
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.limits.max_header_bytes:
            raise _HeadTooLarge
        self._reading_head = False
        self._arm_deadline("body")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm_deadline()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # idle, waiting for the next request
            self._arm_deadline("headers")

    # The limits
    def _arm_deadline(self, part: str) -> None:
        self._disarm_deadline()
        self._deadline = self.loop.call_later(
            self.limits.header_timeout_seconds, self._deadline_passed, part
        )

    def _disarm_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _deadline_passed(self, part: str) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            log.info("connection closed", reason=f"request {part} not complete in time")
            self.transport.close()

    def _refuse_head(self) -> None:
        log.warning("request refused", status=431, reason="request headers over the limit")
        self._disarm_deadline()
        self.transport.write(_TOO_LARGE_RESPONSE)
        self.transport.close()

    def in_request(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _shed_a_connection(self) -> None:
        """Close the oldest connection without a request in progress, else this one."""
        idle = [
            other
            for other in self.connections
            if isinstance(other, GuardedHttpToolsProtocol)
            and other is not self
            and not other.in_request()
            and not other.transport.is_closing()
        ]
        victim = min(idle, key=lambda other: other.opened_at, default=self)
        log.warning("connection shed", reason="over the connection limit")
        victim.transport.close()


def guarded_protocol(limits: TransportLimits) -> type[GuardedHttpToolsProtocol]:
    """The protocol class for uvicorn's ``http=``, bound to ``limits``."""
    return type("KspHttpProtocol", (GuardedHttpToolsProtocol,), {"limits": limits})


class CannotListen(Exception):
    """The address is taken, or not this host's; the message names it."""


def listening_socket(host: str, port: int) -> socket.socket:
    """Bind before anything starts (the app's lifespan runs the outbox worker, which would
    keep a process alive that can never serve)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def file_descriptors_for(max_connections: int) -> None:
    """Raise the soft limit on open files to what ``max_connections`` needs, beside the
    database pool, the keyring and the logs (a margin of 256)."""
    needed = max_connections + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise ConfigError(
            f"KSP_MAX_CONNECTIONS={max_connections} needs {needed} open files;"
            f" this process may open at most {hard} (ulimit -n)"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def serve(settings: Settings) -> None:
    """``ksp serve``: bind, then build the app and run uvicorn on the bound socket."""
    file_descriptors_for(settings.max_connections)
    sock = listening_socket(settings.host, settings.port)
    limits = TransportLimits(
        max_header_bytes=settings.max_header_bytes,
        header_timeout_seconds=settings.header_timeout_seconds,
        max_connections=settings.max_connections,
    )
    config = uvicorn.Config(
        create_app(settings),
        http=guarded_protocol(limits),
        ws="none",
        timeout_keep_alive=settings.keep_alive_seconds,
        access_log=False,
        log_config=None,
        proxy_headers=False,
        server_header=False,
    )
    uvicorn.Server(config).run(sockets=[sock])
