"""Opening an S/MIME message as its recipient would, with the real ``openssl cms``:
decrypt with the recipient's certificate and key, then verify the signature against the
service's chain (as ``GET /api/v1/mail/identity`` gives it). Used by the tests, the leak
scan and the benchmark."""

from __future__ import annotations

import subprocess
import tempfile
from email import message_from_bytes
from pathlib import Path

__all__ = ["OpenFailed", "attachment_of", "decrypt", "open_smime", "verify"]


class OpenFailed(AssertionError):
    """openssl refused: the message is not for this key, or its signature does not hold."""


def _openssl(*args: str, stdin: bytes) -> bytes:
    done = subprocess.run(["openssl", "cms", *args], input=stdin, capture_output=True, check=False)
    if done.returncode != 0:
        raise OpenFailed(done.stderr.decode(errors="replace")[:500])
    return done.stdout


def decrypt(message: bytes, certificate: Path, key: Path) -> bytes:
    """The signed entity inside the envelope (``openssl cms -decrypt``)."""
    return _openssl("-decrypt", "-recip", str(certificate), "-inkey", str(key), stdin=message)


def verify(signed: bytes, chain_pem: str) -> bytes:
    """The inner message, if the signature verifies against ``chain_pem`` (``-verify``)."""
    with tempfile.TemporaryDirectory() as scratch:
        ca_file = Path(scratch) / "service-chain.pem"
        ca_file.write_text(chain_pem)
        return _openssl("-verify", "-CAfile", str(ca_file), stdin=signed)


def open_smime(message: bytes, certificate: Path, key: Path, chain_pem: str) -> bytes:
    return verify(decrypt(message, certificate, key), chain_pem)


def attachment_of(inner: bytes, content_type: str = "application/json") -> bytes:
    for part in message_from_bytes(inner).walk():
        if part.get_content_type() == content_type:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload
    raise AssertionError(f"no {content_type} part")
