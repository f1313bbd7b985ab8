"""Checkpoints: C2SP signed notes with a tlog-checkpoint body, one opaque error for any fault."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ksp.journal.checkpoint import (
    Checkpoint,
    CheckpointSigner,
    InvalidCheckpoint,
    key_id,
    verifier_key,
    verify_checkpoint,
)

ORIGIN = "ksp.example/journal"
ROOT = hashlib.sha256(b"root").digest()

# golang.org/x/mod/sumdb/note's documented example: the reference implementation.
GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE_LINE = (
    "\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def signer(seed: int = 1, origin: str = ORIGIN) -> CheckpointSigner:
    return CheckpointSigner(Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32), origin)


def verify(note: str, by: CheckpointSigner | None = None, origin: str = ORIGIN) -> Checkpoint:
    key = (by or signer()).public_key_bytes
    return verify_checkpoint(note, public_key=key, origin=origin)


def test_keys_and_signatures_match_the_go_reference_byte_for_byte() -> None:
    """Key ID, verifier key and signature line are those of golang.org/x/mod/sumdb/note."""
    seed = base64.b64decode(GO_SIGNER_KEY.split("+", 4)[4])[1:]  # the base64 holds a "+"
    go = CheckpointSigner(Ed25519PrivateKey.from_private_bytes(seed), "PeterNeumann")
    assert go.key_id.hex() == "c74f20a3"
    assert go.vkey == GO_VERIFIER_KEY
    assert go.sign_note(GO_TEXT) == GO_TEXT + "\n" + GO_SIGNATURE_LINE
    assert key_id("PeterNeumann", go.public_key_bytes) == go.key_id
    assert verifier_key("PeterNeumann", go.public_key_bytes) == GO_VERIFIER_KEY


def test_a_checkpoint_is_origin_size_and_root_then_a_blank_line_and_our_signature() -> None:
    """The C2SP tlog-checkpoint body; the key name is the origin."""
    ours = signer()
    note = ours.sign(17, ROOT)
    body, signature_line = note.split("\n\n")
    assert body == f"{ORIGIN}\n17\n{base64.b64encode(ROOT).decode()}"
    assert signature_line.startswith(f"\u2014 {ORIGIN} ")
    blob = base64.b64decode(signature_line.split(" ")[2])
    assert blob[:4] == ours.key_id
    assert len(blob) == 68
    assert ours.key_name == ours.origin == ORIGIN
    assert len(ours.public_key_bytes) == 32


@pytest.mark.parametrize("size", [0, 1, 17, 2**40])
def test_a_signed_checkpoint_verifies_to_its_size_and_root(size: int) -> None:
    """Round trip: what the signer states is what the verifier returns."""
    note = signer().sign(size, ROOT)
    assert verify(note) == Checkpoint(origin=ORIGIN, tree_size=size, root=ROOT, note=note)


def test_every_single_byte_change_is_refused() -> None:
    """Each byte of the note is covered: body by the signature, the rest by strict parsing."""
    data = bytearray(signer().sign(123, ROOT).encode())
    for index in range(len(data)):
        for flip in (0x01, 0x20, 0x80):
            changed = bytearray(data)
            changed[index] ^= flip
            try:
                note = changed.decode()
            except UnicodeDecodeError:
                continue  # not text at all, so it cannot even be handed over
            with pytest.raises(InvalidCheckpoint):
                verify(note)


def test_a_note_by_another_key_is_refused() -> None:
    """Only our public key counts, even under our key name."""
    with pytest.raises(InvalidCheckpoint):
        verify(signer(seed=2).sign(5, ROOT), by=signer())


def test_a_note_of_another_origin_is_refused() -> None:
    """The origin line and key name must be this journal's."""
    other = signer(origin="other.example/journal")
    with pytest.raises(InvalidCheckpoint):
        verify(other.sign(5, ROOT), by=other)
    with pytest.raises(InvalidCheckpoint):
        verify(signer().sign(5, ROOT), origin="other.example/journal")


def test_extra_lines_are_refused() -> None:
    """No extension lines, no stray lines among the signatures, no extra blank lines."""
    ours = signer()
    root = base64.b64encode(ROOT).decode()
    extended = ours.sign_note(f"{ORIGIN}\n5\n{root}\nextension\n")
    note = ours.sign(5, ROOT)
    for bad in (extended, note + "trailing\n", note + "\n", note.replace("\n\n", "\n\n\n")):
        with pytest.raises(InvalidCheckpoint):
            verify(bad)


def test_signature_lines_of_unknown_keys_are_ignored() -> None:
    """C2SP: unknown keys are skipped, even one that shares our name (but not our key ID)."""
    note = signer().sign(5, ROOT)
    witness = signer(seed=3, origin="witness.example").sign_note("x\n").split("\n\n")[1]
    impostor = signer(seed=4).sign_note("y\n").split("\n\n")[1]
    assert verify(note + witness + impostor).tree_size == 5
    assert verify(note.replace("\n\n", "\n\n" + witness)).tree_size == 5


def test_a_bad_signature_by_our_key_spoils_the_note() -> None:
    """Every line with our name and key ID must verify, not just one of them."""
    ours = signer()
    note = ours.sign(5, ROOT)
    other_line = ours.sign(6, ROOT).split("\n\n")[1]
    with pytest.raises(InvalidCheckpoint):
        verify(note + other_line)


def test_a_note_without_our_signature_is_refused() -> None:
    """At least one signature must come from our key."""
    body = signer().sign(5, ROOT).split("\n\n")[0] + "\n"
    witness = signer(seed=3, origin="witness.example").sign_note(body)
    with pytest.raises(InvalidCheckpoint):
        verify(witness)
    with pytest.raises(InvalidCheckpoint):
        verify(body)


def test_a_tree_size_with_a_leading_zero_or_a_sign_is_refused() -> None:
    """The size is plain ASCII decimal, so one size has one spelling."""
    ours = signer()
    root = base64.b64encode(ROOT).decode()
    for size in ("05", "+5", "-5", " 5", "5.0", "\u0665"):
        with pytest.raises(InvalidCheckpoint):
            verify(ours.sign_note(f"{ORIGIN}\n{size}\n{root}\n"))


def test_a_root_that_is_not_32_bytes_of_canonical_base64_is_refused() -> None:
    """The root line is exactly the base64 of 32 bytes."""
    ours = signer()
    encoded = base64.b64encode(ROOT).decode()
    sloppy = encoded[:-2] + chr(ord(encoded[-2]) + 1) + "="  # same bytes, other padding bits
    for root in (base64.b64encode(ROOT[:31]).decode(), encoded.rstrip("="), sloppy):
        with pytest.raises(InvalidCheckpoint):
            verify(ours.sign_note(f"{ORIGIN}\n5\n{root}\n"))


def test_many_signatures_are_accepted_but_not_without_limit() -> None:
    """The spec asks for at least 16; past 100 the note is refused."""
    note = signer().sign(5, ROOT)
    witness = signer(seed=3, origin="witness.example").sign_note("x\n").split("\n\n")[1]
    assert verify(note + witness * 15).tree_size == 5
    with pytest.raises(InvalidCheckpoint):
        verify(note + witness * 100)


def test_a_public_key_of_the_wrong_length_is_one_more_invalid_checkpoint() -> None:
    """One opaque error for every fault."""
    with pytest.raises(InvalidCheckpoint):
        verify_checkpoint(signer().sign(5, ROOT), public_key=bytes(31), origin=ORIGIN)


@pytest.mark.parametrize("origin", ["", "has space", "has+plus", "tab\there"])
def test_an_origin_that_cannot_be_a_key_name_is_refused(origin: str) -> None:
    """The origin is the key name: non-empty, no spaces, no plus."""
    with pytest.raises(ValueError, match="origin"):
        signer(origin=origin)


def test_the_signer_refuses_what_it_could_not_verify() -> None:
    """No negative sizes, roots of 32 bytes, note text ending in one newline."""
    ours = signer()
    with pytest.raises(ValueError, match="size"):
        ours.sign(-1, ROOT)
    with pytest.raises(ValueError, match="root"):
        ours.sign(1, ROOT[:31])
    with pytest.raises(ValueError, match="newline"):
        ours.sign_note("no newline")
