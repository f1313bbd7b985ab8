"""How a journal verifier key is read aloud (the key itself is built in ``ksp.bootstrap``)."""

from __future__ import annotations

import hashlib

__all__ = ["fingerprint"]


def fingerprint(public_key: bytes) -> str:
    """SHA-256 of the raw public key, in hex groups, for reading aloud over the phone."""
    digest = hashlib.sha256(public_key).hexdigest()
    return ":".join(digest[i : i + 4] for i in range(0, len(digest), 4))
