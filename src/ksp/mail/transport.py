"""Where encrypted messages go: SMTP with TLS required and certificates verified, or the
embedded default, a maildir under ``var/mail``. There is no plaintext SMTP option."""

from __future__ import annotations

import mailbox
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

__all__ = [
    "DeliveryFailed",
    "MaildirTransport",
    "SmtpConfig",
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


class Transport(Protocol):
    def send(self, sender: str, recipient: str, message: bytes) -> None: ...


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: Literal["starttls", "implicit"]
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """The system's trust store, plus the CA in ``ca_file`` if given (KSP_SMTP_CA_FILE adds
    a CA; it does not replace the store); certificates and host names verified, TLS 1.2+."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class SmtpTransport:
    def __init__(self, config: SmtpConfig) -> None:
        self._config = config
        self._context = tls_context(config.ca_file)

    def _connect(self) -> smtplib.SMTP:
        c = self._config
        if c.tls == "implicit":
            return smtplib.SMTP_SSL(c.host, c.port, timeout=TIMEOUT_SECONDS, context=self._context)
        smtp = smtplib.SMTP(c.host, c.port, timeout=TIMEOUT_SECONDS)
        smtp.ehlo()
        smtp.starttls(context=self._context)  # raises if the server does not offer it
        smtp.ehlo()
        return smtp

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        try:
            with self._connect() as smtp:
                if self._config.username:
                    smtp.login(self._config.username, self._config.password or "")
                smtp.sendmail(sender, [recipient], message)
        except smtplib.SMTPAuthenticationError:  # our configuration: retry once it is fixed
            raise DeliveryFailed("SMTP authentication failed", permanent=False) from None
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()))[0]
            raise DeliveryFailed(f"SMTP {code}", permanent=code >= 500) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryFailed(f"SMTP {exc.smtp_code}", permanent=exc.smtp_code >= 500) from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryFailed("STARTTLS not offered", permanent=False) from None
        except ssl.SSLError:
            raise DeliveryFailed("TLS failed", permanent=False) from None
        except (OSError, smtplib.SMTPException):
            raise DeliveryFailed("connection failed", permanent=False) from None


class MaildirTransport:
    """The embedded default: each encrypted message becomes a file in a maildir."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._maildir = mailbox.Maildir(path, create=True)

    def send(self, sender: str, recipient: str, message: bytes) -> None:  # noqa: ARG002
        self._maildir.add(message)
