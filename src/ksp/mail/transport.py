"""Where encrypted messages go: SMTP with TLS required and certificates verified, or the
embedded default, a maildir under ``var/mail``. There is no plaintext SMTP option.

The outbox worker sends a batch over one :class:`Connection`: an SMTP connection is opened
(TLS, login) at its first message and used for the next ones, up to
:class:`ConnectionLimits` (messages and seconds), then closed and opened anew; a connection
the relay closed is opened anew too.
"""

from __future__ import annotations

import mailbox
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

__all__ = [
    "Connection",
    "ConnectionLimits",
    "DeliveryFailed",
    "MaildirTransport",
    "SmtpConfig",
    "SmtpConnection",
    "SmtpTransport",
    "Transport",
    "tls_context",
]

TIMEOUT_SECONDS = 30


class DeliveryFailed(Exception):
    """The message was not accepted. ``reason`` names a code or a kind, never content."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Connection(Protocol):
    """Messages handed over one after another (blocking: call it in a thread)."""

    def send(self, sender: str, recipient: str, message: bytes) -> None: ...

    def close(self) -> None: ...  # politely (SMTP QUIT)

    def abort(self) -> None: ...  # at once, without waiting for the relay


class Transport(Protocol):
    def connection(self) -> Connection: ...


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: Literal["starttls", "implicit"]
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None


@dataclass(frozen=True)
class ConnectionLimits:
    """One SMTP connection carries at most ``messages`` messages and is used for at most
    ``seconds`` after it opened (KSP_SMTP_MESSAGES_PER_CONNECTION,
    KSP_SMTP_CONNECTION_SECONDS); the next message then opens another."""

    messages: int = 100
    seconds: float = 60.0


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """The system's trust store, plus the CA in ``ca_file`` if given (KSP_SMTP_CA_FILE adds
    a CA; it does not replace the store); certificates and host names verified, TLS 1.2+."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class SmtpTransport:
    def __init__(
        self,
        config: SmtpConfig,
        limits: ConnectionLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._context = tls_context(config.ca_file)
        self._limits = limits or ConnectionLimits()
        self._clock = clock

    def connection(self) -> SmtpConnection:
        """A connection of its own (not shared between workers), opened at its first send."""
        return SmtpConnection(self._config, self._context, self._limits, self._clock)

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        """One message over a connection of its own."""
        connection = self.connection()
        try:
            connection.send(sender, recipient, message)
        finally:
            connection.close()


def _failure(exc: Exception) -> DeliveryFailed:
    """What a failed exchange means for the message: a code or a kind, never content."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):  # ours to fix: retry then
        return DeliveryFailed("SMTP authentication failed", permanent=False)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code = next(iter(exc.recipients.values()))[0]
        return DeliveryFailed(f"SMTP {code}", permanent=code >= 500)
    if isinstance(exc, smtplib.SMTPResponseException):
        return DeliveryFailed(f"SMTP {exc.smtp_code}", permanent=exc.smtp_code >= 500)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryFailed("STARTTLS not offered", permanent=False)
    if isinstance(exc, ssl.SSLError):
        return DeliveryFailed("TLS failed", permanent=False)
    return DeliveryFailed("connection failed", permanent=False)


def _closed_by_relay(exc: Exception) -> bool:
    """The relay hung up (or said it would, 421): a new connection may well succeed."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code == 421 for code, _ in exc.recipients.values())
    return isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError)


class SmtpConnection:
    """One relay connection at a time, reused while :class:`ConnectionLimits` allow.

    A message refused by the relay (an SMTP reply) leaves the connection in use for the
    next. When a connection that carried messages before fails because the relay closed
    it, the message is tried once more on a new connection (the relay may have timed out
    an idle connection); if that fails too, or anything else breaks the connection, the
    message fails (temporarily) and the next one opens a new connection.
    """

    def __init__(
        self,
        config: SmtpConfig,
        context: ssl.SSLContext,
        limits: ConnectionLimits,
        clock: Callable[[], float],
    ) -> None:
        self._config = config
        self._context = context
        self._limits = limits
        self._clock = clock
        self._smtp: smtplib.SMTP | None = None
        self._opened_at = 0.0
        self._carried = 0  # messages begun on the open connection

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        if self._smtp is not None and self._spent():
            self.close()
        reused = self._smtp is not None
        try:
            self._exchange(sender, recipient, message)
        except Exception as exc:  # noqa: BLE001 - every fault becomes a DeliveryFailed
            if not (reused and _closed_by_relay(exc)):
                raise _failure(exc) from None
        else:
            return
        try:
            self._exchange(sender, recipient, message)  # once more, on a new connection
        except Exception as exc:  # noqa: BLE001
            raise _failure(exc) from None

    def _spent(self) -> bool:
        age = self._clock() - self._opened_at
        return self._carried >= self._limits.messages or age >= self._limits.seconds

    def _exchange(self, sender: str, recipient: str, message: bytes) -> None:
        try:
            smtp = self._smtp if self._smtp is not None else self._open()
            self._carried += 1
            smtp.sendmail(sender, [recipient], message)
        except Exception as exc:
            refused = isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused)
            if not refused or self._smtp is None or self._smtp.sock is None:
                self.abort()  # broken, or closed by smtplib after a 421
            raise

    def _open(self) -> smtplib.SMTP:
        c = self._config
        smtp: smtplib.SMTP
        if c.tls == "implicit":
            smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=TIMEOUT_SECONDS, context=self._context)
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=TIMEOUT_SECONDS)
        try:
            if c.tls == "starttls":
                smtp.ehlo()
                smtp.starttls(context=self._context)  # raises if the server does not offer it
                smtp.ehlo()
            if c.username:
                smtp.login(c.username, c.password or "")
        except BaseException:
            smtp.close()
            raise
        self._smtp, self._opened_at, self._carried = smtp, self._clock(), 0
        return smtp

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
        finally:
            smtp.close()

    def abort(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()


class MaildirTransport:
    """The embedded default: each encrypted message becomes a file in a maildir."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._maildir = mailbox.Maildir(path, create=True)

    def connection(self) -> MaildirTransport:
        """A maildir needs no connection: it takes the messages itself."""
        return self

    def send(self, sender: str, recipient: str, message: bytes) -> None:  # noqa: ARG002
        self._maildir.add(message)

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass
