"""The service's journal signing key, from settings (KSP_JOURNAL_SIGNING_KEY or secrets.json)."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ksp.journal.checkpoint import CheckpointSigner
from ksp.settings import Settings

__all__ = ["fingerprint", "journal_signer"]


def journal_signer(settings: Settings) -> CheckpointSigner:
    key = Ed25519PrivateKey.from_private_bytes(settings.journal_signing_key)
    return CheckpointSigner(key, settings.journal_origin)


def fingerprint(public_key: bytes) -> str:
    """SHA-256 of the raw public key, in hex groups, for reading aloud over the phone."""
    digest = hashlib.sha256(public_key).hexdigest()
    return ":".join(digest[i : i + 4] for i in range(0, len(digest), 4))
