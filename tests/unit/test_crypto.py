"""Field encryption (AES-GCM with key ids) and the keyed CPR hash, with real keys."""

from __future__ import annotations

import os

import pytest

from ksp.crypto import DecryptionFailed, FieldCipher, KeyedHasher


def test_a_field_round_trips_and_the_ciphertext_hides_it() -> None:
    """What is stored is not the plaintext, and decrypts back to it."""
    cipher = FieldCipher({"k1": os.urandom(32)}, "k1")
    blob = cipher.encrypt("Søren Hansen", context="cases.name:1")
    assert b"S\xc3\xb8ren" not in blob
    assert cipher.decrypt(blob, context="cases.name:1") == "Søren Hansen"


def test_a_blob_moved_to_another_row_or_column_does_not_decrypt() -> None:
    """The associated data binds a blob to its table, column and row."""
    cipher = FieldCipher({"k1": os.urandom(32)}, "k1")
    blob = cipher.encrypt("x", context="cases.name:1")
    for context in ("cases.name:2", "cases.concern:1"):
        with pytest.raises(DecryptionFailed):
            cipher.decrypt(blob, context=context)


def test_a_changed_byte_is_detected() -> None:
    """Every byte of the blob is authenticated."""
    cipher = FieldCipher({"k1": os.urandom(32)}, "k1")
    blob = bytearray(cipher.encrypt("x", context="c"))
    for index in range(len(blob)):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        with pytest.raises(DecryptionFailed):
            cipher.decrypt(bytes(tampered), context="c")


def test_keys_rotate_old_data_stays_readable_new_data_uses_the_new_key() -> None:
    """A blob names its key; after rotation both keys are configured, the new one current."""
    old_key, new_key = os.urandom(32), os.urandom(32)
    old = FieldCipher({"k1": old_key}, "k1").encrypt("x", context="c")
    rotated = FieldCipher({"k1": old_key, "k2": new_key}, "k2")
    assert rotated.decrypt(old, context="c") == "x"
    fresh = rotated.encrypt("y", context="c")
    assert FieldCipher({"k2": new_key}, "k2").decrypt(fresh, context="c") == "y"
    with pytest.raises(DecryptionFailed):
        FieldCipher({"k1": old_key}, "k1").decrypt(fresh, context="c")


def test_bad_keys_are_refused() -> None:
    """Keys are 32 bytes and the current id must exist."""
    with pytest.raises(ValueError, match="32 bytes"):
        FieldCipher({"k1": os.urandom(16)}, "k1")
    with pytest.raises(ValueError, match="current"):
        FieldCipher({"k1": os.urandom(32)}, "k2")


def test_the_cpr_hash_is_keyed_and_stable() -> None:
    """The same CPR gives the same hash under one key, another under another key."""
    key = os.urandom(32)
    assert KeyedHasher(key).cpr("0101901234") == KeyedHasher(key).cpr("0101901234")
    assert KeyedHasher(key).cpr("0101901234") != KeyedHasher(os.urandom(32)).cpr("0101901234")
    assert KeyedHasher(key).cpr("0101901234") != KeyedHasher(key).digest("other", b"0101901234")


def test_the_cpr_hash_is_hmac_sha256_of_purpose_nul_and_digits() -> None:
    """Every stored look-up key depends on these exact bytes, so the digest is pinned: the
    HMAC-SHA256, under the key, of the purpose, a NUL byte and the digits."""
    hasher = KeyedHasher(b"Jefe" * 8)
    expected = "97cede1119c84f19297cfa5756d714117e32f1d96b83abd9f3d59c5047dda736"
    assert hasher.cpr("0101901234").hex() == expected
    assert hasher.digest("cpr", b"0101901234").hex() == expected


def test_a_truncated_blob_is_the_same_opaque_failure() -> None:
    """Every malformed blob, however short, is DecryptionFailed."""
    cipher = FieldCipher({"k1": os.urandom(32)}, "k1")
    blob = cipher.encrypt("x", context="c")
    for cut in range(len(blob)):
        with pytest.raises(DecryptionFailed):
            cipher.decrypt(blob[:cut], context="c")
