"""What ``bench/circulation.py`` needs of mail: an SMTP server and recipients' keys.

A small copy of ``tests/support/smtp.py`` and ``tests/unit/mail/keys.py`` (the benchmarks
do not import from the tests):

- :class:`SmtpServer`: aiosmtpd on loopback requiring STARTTLS and AUTH, with a CA of its
  own made with ``cryptography``. It keeps every message it accepts with the
  ``time.perf_counter()`` of its arrival, and the time of every EHLO (when a client came).
- :class:`KeyMaker`: a GnuPG home (no passphrases) that makes ed25519 keys with a cv25519
  encryption subkey, exports the public parts and decrypts what was encrypted to them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any, Self

import gnupg
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness import HOST, BenchError, free_port

SMTP_USER, SMTP_PASSWORD = "ksp-relay", "bench-relay-secret"
# aiosmtpd 1.4 logs a warning about its own deprecated attribute at every AUTH.
logging.getLogger("mail.log").setLevel(logging.ERROR)


# SMTP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Captured:
    sender: str
    recipients: list[str]
    message_id: str
    size: int
    at: float  # time.perf_counter() when the server accepted it
    data: bytes


@dataclass
class Handler:
    """Keeps what arrives. Runs in the controller's thread; appends are atomic."""

    messages: list[Captured] = field(default_factory=list)
    contacts: list[float] = field(default_factory=list)  # perf_counter() of each EHLO

    async def handle_EHLO(  # noqa: N802 - aiosmtpd's hook name
        self, _server: Any, session: Any, _envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.contacts.append(time.perf_counter())
        session.host_name = hostname
        return responses

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        data = bytes(envelope.original_content)
        headers = BytesHeaderParser().parsebytes(data)
        self.messages.append(
            Captured(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                str(headers["Message-ID"]),
                len(data),
                time.perf_counter(),
                data,
            )
        )
        return "250 OK"


def _authenticate(
    _server: Any, _session: Any, _envelope: Any, _mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(),
        auth_data.password.decode(),
    ) == (SMTP_USER, SMTP_PASSWORD)
    return AuthResult(success=ok)


def make_tls(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A CA and a server certificate for 127.0.0.1; the server's context and the CA file."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ksp bench CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
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
    """aiosmtpd in a thread of this process, STARTTLS and AUTH required; a context manager."""

    def __init__(self, directory: Path) -> None:
        self.handler = Handler()
        self.port = free_port()
        context, self.ca_file = make_tls(directory)
        self._controller = Controller(
            self.handler,
            hostname=HOST,
            port=self.port,
            tls_context=context,
            require_starttls=True,
            authenticator=_authenticate,
            auth_required=True,
            auth_require_tls=True,
        )

    def __enter__(self) -> Self:
        self._controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._controller.stop()

    def env(self) -> dict[str, str]:
        """The service's settings to deliver here."""
        return {
            "KSP_SMTP_HOST": HOST,
            "KSP_SMTP_PORT": str(self.port),
            "KSP_SMTP_TLS": "starttls",
            "KSP_SMTP_USERNAME": SMTP_USER,
            "KSP_SMTP_PASSWORD": SMTP_PASSWORD,
            "KSP_SMTP_CA_FILE": str(self.ca_file),
        }

    @property
    def messages(self) -> list[Captured]:
        return self.handler.messages

    def first_contact(self, since: float) -> float | None:
        """The first EHLO at or after ``since`` (perf_counter), if any."""
        return next((at for at in self.handler.contacts if at >= since), None)


# OpenPGP keys -----------------------------------------------------------------------------


class KeyMaker:
    """A GnuPG home that makes keys and keeps their secret parts (no passphrases)."""

    def __init__(self, home: Path) -> None:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.home = home

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def gpg(self, *args: str, stdin: bytes = b"", status: bool = False) -> str:
        """Run gpg on this home in batch mode; its standard output (with ``status``, the
        status lines too: not for output that is data, such as an export)."""
        command = ["gpg", "--homedir", str(self.home), "--batch", "--yes", "--no-tty"]
        command += ["--pinentry-mode", "loopback", "--passphrase", ""]
        if status:
            command += ["--status-fd", "1"]
        done = subprocess.run([*command, *args], input=stdin, capture_output=True, check=False)
        if done.returncode != 0:
            error = done.stderr.decode(errors="replace")[-500:]
            raise BenchError(f"gpg {args[0]} failed ({done.returncode}): {error}")
        return done.stdout.decode("utf-8")

    def make(self, user_id: str) -> str:
        """A new ed25519 signing key with a cv25519 encryption subkey; its fingerprint."""
        out = self.gpg("--quick-gen-key", user_id, "ed25519", "sign", "never", status=True)
        for line in out.splitlines():
            if line.startswith("[GNUPG:] KEY_CREATED "):
                fingerprint = line.split()[3]
                self.gpg("--quick-add-key", fingerprint, "cv25519", "encr", "never")
                return fingerprint
        raise BenchError("gpg made no key")

    def public(self, *fingerprints: str) -> str:
        """The public keys in one ASCII-armoured block."""
        return self.gpg("--armor", "--export", *fingerprints)

    def import_keys(self, armour: str) -> None:
        self.gpg("--import", stdin=armour.encode("ascii"))

    def decrypt(self, message: bytes) -> Any:
        """python-gnupg's result of decrypting (and verifying) ``message`` here."""
        return gnupg.GPG(gnupghome=str(self.home)).decrypt(message)

    def close(self) -> None:
        stop_agent(self.home)


def stop_agent(home: Path) -> None:
    """Stop the gpg-agent of one GnuPG home (and nothing else)."""
    subprocess.run(
        ["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False
    )
