"""A real SMTP server on loopback (aiosmtpd) requiring STARTTLS and AUTH, with its own CA.

The tests and the benchmarks (``bench/mail_support.py``) share this one copy. It keeps every
message it accepts with the ``time.perf_counter()`` of its arrival, and the time of every
EHLO (when a client came).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from functools import cached_property
from pathlib import Path
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from support.server import free_port

USER, PASSWORD = "ksp-relay", "relay-secret"


@dataclass
class Captured:
    sender: str
    recipients: list[str]
    data: bytes
    peer: tuple[str, int] = ("", 0)  # the client's address and port: one per connection
    at: float = field(default_factory=time.perf_counter)  # when the server accepted it

    @property
    def size(self) -> int:
        return len(self.data)

    @cached_property
    def message_id(self) -> str:
        """Read once from the headers alone: the benchmarks ask for it of every message
        received, every few milliseconds, in the process that runs this server."""
        return str(BytesHeaderParser().parsebytes(self.data)["Message-ID"])


@dataclass
class Handler:
    messages: list[Captured] = field(default_factory=list)
    delay: float = 0.0  # seconds per message: a slow server, to kill a worker mid-batch
    # An answer to every message instead of accepting it, e.g. "550 5.1.1 Mailbox
    # unavailable" (permanent) or "451 4.3.0 Try again later" (temporary).
    refuse_with: str | None = None
    refused: int = 0
    contacts: list[float] = field(default_factory=list)  # perf_counter() of each EHLO
    # Recipients answered at RCPT with a reply of their own, e.g. "550 5.1.1 No such user".
    refuse_recipients: dict[str, str] = field(default_factory=dict)
    # Hang up, instead of answering, the DATA of the message after this many were accepted
    # (once: then None again): a relay that drops the connection mid-batch.
    hang_up_after: int | None = None

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        answer = self.refuse_recipients.get(address)
        if answer is not None:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_EHLO(  # noqa: N802 - aiosmtpd's hook name
        self, _server: Any, session: Any, _envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.contacts.append(time.perf_counter())
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        await asyncio.sleep(self.delay)
        if self.hang_up_after is not None and len(self.messages) >= self.hang_up_after:
            self.hang_up_after = None
            server.transport.close()
            return "421 4.3.2 Closing"  # never reaches the client
        if self.refuse_with is not None:
            self.refused += 1
            return self.refuse_with
        self.messages.append(
            Captured(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                bytes(envelope.original_content),
                tuple(session.peer),
            )
        )
        return "250 OK"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(),
        auth_data.password.decode(),
    ) == (USER, PASSWORD)
    return AuthResult(success=ok)


def make_tls(directory: Path, ca_name: str = "ksp test CA") -> tuple[ssl.SSLContext, Path]:
    """A CA and a server certificate for 127.0.0.1; returns the server context and CA file."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)])
    ca = (
        x509.CertificateBuilder()
        .subject_name(issuer)
        .issuer_name(issuer)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, ca_file


class SmtpServer:
    """Start, stop and start again on the same port (a server that goes down and back)."""

    def __init__(self, directory: Path, ca_name: str = "ksp test CA") -> None:
        self.handler = Handler()
        self.port = free_port()
        self.context, self.ca_file = make_tls(directory, ca_name)
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=self.context,
            require_starttls=True,
            authenticator=_authenticate,
            auth_required=True,
            auth_require_tls=True,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """The service's settings to deliver here."""
        return {
            "KSP_SMTP_HOST": "127.0.0.1",
            "KSP_SMTP_PORT": str(self.port),
            "KSP_SMTP_TLS": "starttls",
            "KSP_SMTP_USERNAME": USER,
            "KSP_SMTP_PASSWORD": PASSWORD,
            "KSP_SMTP_CA_FILE": str(self.ca_file),
        }

    @property
    def messages(self) -> list[Captured]:
        return self.handler.messages

    def first_contact(self, since: float) -> float | None:
        """The first EHLO at or after ``since`` (perf_counter), if any."""
        return next((at for at in self.handler.contacts if at >= since), None)

    @contextmanager
    def refusing(self, answer: str) -> Iterator[None]:
        """Answer every message with ``answer`` (a code and text) while inside."""
        self.handler.refuse_with = answer
        try:
            yield
        finally:
            self.handler.refuse_with = None
