"""Signed checkpoints: C2SP tlog-checkpoint bodies in C2SP signed notes, Ed25519.

A checkpoint states the journal's tree size and Merkle root, signed by the journal key::

    ksp.example/journal
    17
    <base64 of the 32-byte root>

    — ksp.example/journal <base64 of key ID || Ed25519 signature>

The key name is the origin; the key ID is SHA-256(key name || 0x0A || 0x01 || public
key)[:4] (https://c2sp.org/signed-note); the signature covers the body bytes, final
newline included. Verification accepts only what this module signs: exactly three body
lines (no extension lines), the size in decimal without leading zeros, canonical
base64. Signature lines of other keys are ignored, as the spec requires; every line of
our key must verify, and at least one must be present. Every fault is one opaque
:class:`InvalidCheckpoint`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import OrderedDict
from dataclasses import dataclass
from hashlib import sha256

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "Checkpoint",
    "CheckpointSigner",
    "InvalidCheckpoint",
    "VerifiedCheckpoints",
    "key_id",
    "strict_b64",
    "verifier_key",
    "verify_checkpoint",
]

_ED25519 = b"\x01"
_SIGNATURE_PREFIX = "\u2014 "  # em dash, space
_MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16
_MAX_NOTE_CHARS = 64 * 1024
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")
_TREE_SIZE = re.compile("0|[1-9][0-9]{0,19}")
_HASH_BYTES = 32
_SIGNATURE_BYTES = 4 + 64


class InvalidCheckpoint(Exception):
    """A note that is not a checkpoint validly signed by the expected key and origin."""


@dataclass(frozen=True)
class Checkpoint:
    """A verified checkpoint: the tree at ``tree_size`` leaves has Merkle root ``root``."""

    origin: str
    tree_size: int
    root: bytes
    note: str


def key_id(key_name: str, public_key: bytes) -> bytes:
    """The signed-note key ID of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || key)[:4]."""
    return sha256(key_name.encode("utf-8") + b"\n" + _ED25519 + public_key).digest()[:4]


def verifier_key(key_name: str, public_key: bytes) -> str:
    """The C2SP verifier key string ``name+hex(key ID)+base64(0x01 || key)``."""
    encoded = base64.b64encode(_ED25519 + public_key).decode("ascii")
    return f"{key_name}+{key_id(key_name, public_key).hex()}+{encoded}"


class CheckpointSigner:
    """Signs checkpoints of one journal (``origin``) with its Ed25519 key."""

    def __init__(self, private_key: Ed25519PrivateKey, origin: str) -> None:
        if not _is_key_name(origin):
            raise ValueError("the origin must be a non-empty name without spaces or '+'")
        self._private_key = private_key
        self._origin = origin
        self._public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._key_id = key_id(origin, self._public_key)

    @property
    def origin(self) -> str:
        return self._origin

    @property
    def key_name(self) -> str:
        return self._origin

    @property
    def public_key_bytes(self) -> bytes:
        return self._public_key

    @property
    def key_id(self) -> bytes:
        return self._key_id

    @property
    def vkey(self) -> str:
        return verifier_key(self._origin, self._public_key)

    def sign(self, tree_size: int, root: bytes) -> str:
        """The signed note of the checkpoint at ``tree_size`` with Merkle root ``root``."""
        if tree_size < 0 or len(root) != _HASH_BYTES:
            raise ValueError("a checkpoint needs a size of at least 0 and a 32-byte root")
        encoded = base64.b64encode(root).decode("ascii")
        return self.sign_note(f"{self._origin}\n{tree_size}\n{encoded}\n")

    def sign_note(self, text: str) -> str:
        """Any note text (ending in a newline) followed by a blank line and our signature."""
        if not text.endswith("\n") or _CONTROL.search(text):
            raise ValueError("note text ends in a newline and has no other control characters")
        signature = self._private_key.sign(text.encode("utf-8"))
        encoded = base64.b64encode(self._key_id + signature).decode("ascii")
        return f"{text}\n{_SIGNATURE_PREFIX}{self._origin} {encoded}\n"


def verify_checkpoint(note: str, *, public_key: bytes, origin: str) -> Checkpoint:
    """The checkpoint in ``note`` if our key signed it; :class:`InvalidCheckpoint` if not."""
    try:
        key = Ed25519PublicKey.from_public_bytes(public_key)
        text, signature_lines = _split_note(note)
        signatures = _signatures_of(signature_lines, origin, key_id(origin, public_key))
        message = text.encode("utf-8")
        for signature in signatures:
            key.verify(signature, message)
        tree_size, root = _parse_body(text, origin)
    except (ValueError, InvalidSignature):  # binascii.Error and UnicodeError are ValueErrors
        raise InvalidCheckpoint("not a checkpoint signed by this journal's key") from None
    return Checkpoint(origin=origin, tree_size=tree_size, root=root, note=note)


class VerifiedCheckpoints:
    """:func:`verify_checkpoint` for one journal key, remembering the last ``capacity``
    notes that verified, by their exact text.

    Verifying is a pure function of the note's text, the key and the origin, so a note seen
    before gets the very answer verifying it again would give; a note that differs by one
    character (a tampered row) is a miss and is verified. Failures are not remembered.
    Memory is bounded: at most ``capacity`` notes of at most 64 KiB (the verifier's limit);
    ours are about 150 characters.
    """

    def __init__(self, *, public_key: bytes, origin: str, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("the capacity must be at least 1")
        self._public_key = public_key
        self._origin = origin
        self._capacity = capacity
        self._held: OrderedDict[str, Checkpoint] = OrderedDict()

    def verify(self, note: str) -> Checkpoint:
        """The checkpoint in ``note`` if our key signed it; :class:`InvalidCheckpoint` if not."""
        held = self._held.get(note)
        if held is not None:
            self._held.move_to_end(note)
            return held
        checkpoint = verify_checkpoint(note, public_key=self._public_key, origin=self._origin)
        self._held[note] = checkpoint
        if len(self._held) > self._capacity:
            self._held.popitem(last=False)
        return checkpoint

    def __len__(self) -> int:
        return len(self._held)


def _split_note(note: str) -> tuple[str, list[str]]:
    """The note text and its signature lines (at the last blank line)."""
    if len(note) > _MAX_NOTE_CHARS or not note.endswith("\n") or _CONTROL.search(note):
        raise ValueError("not a signed note")
    note.encode("utf-8")  # refuses lone surrogates
    cut = note.rfind("\n\n")
    if cut < 0:
        raise ValueError("not a signed note")
    lines = note[cut + 2 : -1].split("\n")
    if not 0 < len(lines) <= _MAX_SIGNATURES:
        raise ValueError("not a signed note")
    return note[: cut + 1], lines


def _signatures_of(lines: list[str], name: str, wanted_id: bytes) -> list[bytes]:
    """The signatures of key (name, ID) on the signature lines; at least one."""
    signatures = []
    for line in lines:
        if not line.startswith(_SIGNATURE_PREFIX):
            raise ValueError("not a signature line")
        signer, space, encoded = line.removeprefix(_SIGNATURE_PREFIX).partition(" ")
        if not space or not _is_key_name(signer):
            raise ValueError("not a signature line")
        blob = strict_b64(encoded)
        if len(blob) < 4:
            raise ValueError("a signature starts with a 4-byte key ID")
        if signer == name and blob[:4] == wanted_id:
            if len(blob) != _SIGNATURE_BYTES:
                raise ValueError("an Ed25519 signature has 64 bytes")
            signatures.append(blob[4:])
    if not signatures:
        raise ValueError("no signature by this key")
    return signatures


def _parse_body(text: str, origin: str) -> tuple[int, bytes]:
    lines = text.split("\n")
    if len(lines) != 4 or lines[0] != origin or not _TREE_SIZE.fullmatch(lines[1]):
        raise ValueError("not a checkpoint body")
    root = strict_b64(lines[2])
    if len(root) != _HASH_BYTES:
        raise ValueError("a root hash has 32 bytes")
    return int(lines[1]), root


def strict_b64(text: str) -> bytes:
    """Standard base64 with padding, and only its canonical spelling."""
    data = base64.b64decode(text.encode("ascii"), validate=True)
    if base64.b64encode(data).decode("ascii") != text:
        raise binascii.Error("not canonical base64")
    return data


def _is_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(char.isspace() for char in name)
