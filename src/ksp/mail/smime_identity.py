"""The service's own S/MIME signing certificate and key.

Configured (``KSP_SMIME_CERT_FILE``: the certificate, then the CAs that issued it, PEM;
``KSP_SMIME_KEY_FILE``: its RSA private key, PEM, unencrypted), or, without them, made on
first use in ``$KSP_DATA_DIR/smime`` (0700; ``service.crt`` and ``service.key``, 0600): a
self-signed RSA 3072 certificate for the sender address, as the service makes its own
OpenPGP key. Several processes sharing the data dir make it once, under a file lock.
``ksp mail new-cert`` makes such a pair on purpose, for a deployment to have it issued or
to give every instance the same one.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["SigningIdentity", "load_identity", "make_identity_files", "new_self_signed"]

_CERT = "service.crt"
_KEY = "service.key"
_LOCK = "service.lock"
_LIFETIME = dt.timedelta(days=3 * 365)
_MAX_FILE = 256 * 1024


@dataclass(frozen=True)
class SigningIdentity:
    """The certificate that signs, its key, and the CA certificates above it (if any)."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey = field(repr=False)
    chain: tuple[x509.Certificate, ...] = ()

    def chain_pem(self) -> str:
        """The certificate and its CAs, PEM: what recipients pin and verify against."""
        return "".join(
            c.public_bytes(serialization.Encoding.PEM).decode()
            for c in (self.certificate, *self.chain)
        )


def new_self_signed(sender: str, now: dt.datetime | None = None) -> tuple[str, str]:
    """A new self-signed signing certificate for ``sender`` and its key, both PEM."""
    now = now or dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "KSP-sekretariatet"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, sender),
        ]
    )
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(sender)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def make_identity_files(cert_path: Path, key_path: Path, sender: str) -> None:
    """Write a new pair to two new files (0600); FileExistsError if either exists."""
    cert_pem, key_pem = new_self_signed(sender)
    for path, text in ((key_path, key_pem), (cert_path, cert_pem)):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as sink:
            sink.write(text)


def load_identity(
    *, cert_pem: str | None, key_pem: str | None, data_dir: Path, sender: str
) -> SigningIdentity:
    """The configured identity, or the data dir's own, made first if it has none.
    ValueError, naming no key material, if what is configured is not a usable pair."""
    if (cert_pem is None) != (key_pem is None):
        raise ValueError("KSP_SMIME_CERT_FILE and KSP_SMIME_KEY_FILE go together")
    if cert_pem is None or key_pem is None:
        cert_pem, key_pem = _own_pair(data_dir / "smime", sender)
    return _identity(cert_pem, key_pem)


def _identity(cert_pem: str, key_pem: str) -> SigningIdentity:
    try:
        certificates = x509.load_pem_x509_certificates(cert_pem.encode("ascii"))
        key = serialization.load_pem_private_key(key_pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeError):
        raise ValueError("the S/MIME certificate or key file cannot be read") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("the S/MIME signing key must be an RSA key")
    leaf, *chain = certificates
    if leaf.public_key() != key.public_key():
        raise ValueError("the S/MIME key is not the certificate's key")
    return SigningIdentity(leaf, key, tuple(chain))


def _own_pair(directory: Path, sender: str) -> tuple[str, str]:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(directory / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cert_path, key_path = directory / _CERT, directory / _KEY
        if not (key_path.exists() and cert_path.exists()):  # none yet, or half made
            cert_path.unlink(missing_ok=True)
            key_path.unlink(missing_ok=True)
            make_identity_files(cert_path, key_path, sender)
    return read_small(cert_path), read_small(key_path)


def read_small(path: Path) -> str:
    """A PEM file of at most 256 KiB."""
    if path.stat().st_size > _MAX_FILE:
        raise ValueError(f"{path.name} is too large for a PEM file")
    return path.read_text(encoding="ascii")
