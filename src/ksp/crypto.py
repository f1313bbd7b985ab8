"""Field encryption and the keyed CPR hash.

Personal data (names, CPR numbers, concerns, free-text reasons) is stored only as
AES-256-GCM ciphertext. Each blob names the key that made it, so keys can rotate: new
data is written with the current key, old data stays readable while its key is
configured. The associated data binds a blob to its table, column and row, so a blob
copied into another row does not decrypt.

Envelope encryption (issue 13): a blob of format 2 names a *data key* instead, one per
journal entry, case or other owner of personal fields, kept wrapped by a key-encryption
key in the data-key table (``ksp.db.data_key_store``). Destroying that data key makes
every blob under it unreadable (:class:`ContentErased`), which is how content is erased
without touching the journal.

A CPR number is also stored as an HMAC-SHA256 under a separate key, so cases and access
log rows can be found by CPR without the number itself being stored.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "ContentErased",
    "DecryptionFailed",
    "FieldCipher",
    "KeyedHasher",
    "envelope_key_id",
    "open_envelope",
    "seal_envelope",
]

_FORMAT = 1
_ENVELOPE = 2
_NONCE_BYTES = 12


class DecryptionFailed(Exception):
    """A blob could not be decrypted: unknown key, wrong row, or tampered bytes."""


class ContentErased(Exception):
    """The blob's data key was destroyed: its content is erased, not damaged."""


def envelope_key_id(blob: bytes) -> str | None:
    """The data key id a format-2 blob names; None for any other blob."""
    if len(blob) < 2 or blob[0] != _ENVELOPE:
        return None
    return blob[2 : 2 + blob[1]].decode("ascii", errors="replace")


def seal_envelope(aead: AESGCM, key_id: str, plaintext: bytes, *, context: str) -> bytes:
    """A format-2 blob: ``plaintext`` under the data key ``key_id``, bound to ``context``."""
    name = key_id.encode("ascii")
    nonce = os.urandom(_NONCE_BYTES)
    sealed = aead.encrypt(nonce, plaintext, context.encode("utf-8"))
    return bytes([_ENVELOPE, len(name)]) + name + nonce + sealed


def open_envelope(aead: AESGCM, blob: bytes, *, context: str) -> bytes:
    """Open a format-2 blob with its data key; :class:`DecryptionFailed` for any fault."""
    return _open_with(aead, blob, 2 + blob[1], context)


def _open_with(aead: AESGCM, blob: bytes, end: int, context: str) -> bytes:
    if len(blob) < end + _NONCE_BYTES + 16:  # nonce and tag at least
        raise DecryptionFailed
    nonce, sealed = blob[end : end + _NONCE_BYTES], blob[end + _NONCE_BYTES :]
    try:
        return aead.decrypt(nonce, sealed, context.encode("utf-8"))
    except InvalidTag:
        raise DecryptionFailed from None


class FieldCipher:
    """AES-GCM with key ids. ``keys`` maps key id to a 32-byte key."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        if current not in keys:
            raise ValueError("the current key id is not among the keys")
        for key_id, key in keys.items():
            if len(key) != 32 or not key_id.isascii() or not 0 < len(key_id) < 256:
                raise ValueError("data keys must be 32 bytes with a short ASCII id")
        self._aeads = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._current = current

    def seal(self, plaintext: bytes, *, context: str) -> bytes:
        """Encrypt bytes with the current key, bound to ``context``."""
        key_id = self._current.encode("ascii")
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aeads[self._current].encrypt(nonce, plaintext, context.encode("utf-8"))
        return bytes([_FORMAT, len(key_id)]) + key_id + nonce + sealed

    def open(self, blob: bytes, *, context: str) -> bytes:
        """Decrypt what :meth:`seal` made; :class:`DecryptionFailed` for any fault."""
        if len(blob) < 2 or blob[0] != _FORMAT:
            raise DecryptionFailed
        end = 2 + blob[1]
        aead = self._aeads.get(blob[2:end].decode("ascii", errors="replace"))
        if aead is None:
            raise DecryptionFailed
        return _open_with(aead, blob, end, context)

    def encrypt(self, plaintext: str, *, context: str) -> bytes:
        return self.seal(plaintext.encode("utf-8"), context=context)

    def decrypt(self, blob: bytes, *, context: str) -> str:
        return self.open(blob, context=context).decode("utf-8")


class KeyedHasher:
    """HMAC-SHA256 with domain separation, for look-up keys that must not reveal input."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the hash key must be at least 32 bytes")
        self._key = key

    def digest(self, purpose: str, data: bytes) -> bytes:
        # hmac.digest: OpenSSL's one-shot HMAC (a page hashes each person it shows for the
        # access log, 200 on a list), the same bytes as hmac.new(...).update(data).digest()
        return hmac.digest(self._key, purpose.encode("ascii") + b"\x00" + data, "sha256")

    def cpr(self, digits: str) -> bytes:
        return self.digest("cpr", digits.encode("ascii"))
