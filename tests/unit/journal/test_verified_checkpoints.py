"""``VerifiedCheckpoints``: a note's signature checked once per process, by its exact text;
a changed note verified again (and refused), the number kept bounded."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ksp.journal.checkpoint import (
    CheckpointSigner,
    InvalidCheckpoint,
    VerifiedCheckpoints,
    verify_checkpoint,
)

ORIGIN = "ksp.example/journal"
SIGNER = CheckpointSigner(Ed25519PrivateKey.from_private_bytes(b"\x01" * 32), ORIGIN)


def note(size: int) -> str:
    return SIGNER.sign(size, hashlib.sha256(str(size).encode()).digest())


def verifier(capacity: int) -> VerifiedCheckpoints:
    return VerifiedCheckpoints(public_key=SIGNER.public_key_bytes, origin=ORIGIN, capacity=capacity)


def test_a_note_gets_what_verifying_it_gives_and_is_kept() -> None:
    checked = verifier(4)
    first = checked.verify(note(7))
    assert first == verify_checkpoint(note(7), public_key=SIGNER.public_key_bytes, origin=ORIGIN)
    assert checked.verify(note(7)) is first
    assert len(checked) == 1


def test_a_changed_note_is_verified_again_and_refused_after_the_genuine_one() -> None:
    """The key is the note's whole text: a row rewritten after its note was seen is a miss."""
    checked = verifier(4)
    genuine = note(7)
    checked.verify(genuine)
    other_root = note(8).split("\n")[2]
    forged = genuine.replace(genuine.split("\n")[2], other_root)
    with pytest.raises(InvalidCheckpoint):
        checked.verify(forged)
    with pytest.raises(InvalidCheckpoint):  # a failure is not kept either
        checked.verify(forged)
    assert len(checked) == 1


def test_a_note_of_another_key_is_refused_though_its_text_is_well_formed() -> None:
    other = CheckpointSigner(Ed25519PrivateKey.from_private_bytes(b"\x02" * 32), ORIGIN)
    with pytest.raises(InvalidCheckpoint):
        verifier(4).verify(other.sign(7, bytes(32)))


def test_at_most_capacity_notes_are_kept_the_least_recently_used_dropped() -> None:
    checked = verifier(2)
    first = checked.verify(note(1))
    second = checked.verify(note(2))
    assert checked.verify(note(1)) is first  # now the most recently used
    checked.verify(note(3))  # drops note 2, the least recently used
    assert len(checked) == 2
    assert checked.verify(note(1)) is first
    assert checked.verify(note(2)) is not second  # verified anew, as a fresh object
    assert len(checked) == 2


def test_a_capacity_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        verifier(0)
