"""Verifying a journal: every attack an auditor must catch, and the entry it points at."""

from __future__ import annotations

import dataclasses
import random

import pytest
from journal_builder import (
    Journal,
    build_journal,
    open_content,
    rechain,
    sha256_hex,
    signer,
    with_header,
)

from ksp.journal.entry import StoredEntry, entry_hash
from ksp.journal.merkle import Frontier
from ksp.journal.verify import Reason, Verification

SIZE = 17


def assert_refused(result: Verification, first_bad_seq: int | None, reason: Reason) -> None:
    assert (result.ok, result.first_bad_seq, result.reason) == (False, first_bad_seq, reason)
    assert result.checkpoint is None


@pytest.mark.parametrize("size", [0, 1, 2, SIZE])
def test_an_intact_journal_verifies_with_and_without_the_content_key(size: int) -> None:
    """Untouched entries and checkpoints verify, and the latest checkpoint is reported."""
    journal = build_journal(size)
    for options in ({}, {"open_content": open_content}):
        result = journal.verify(**options)
        assert result.ok, result
        assert (result.entries, result.first_bad_seq, result.reason) == (size, None, None)
        if size:
            assert result.checkpoint is not None
            assert result.checkpoint.tree_size == size
            assert result.checkpoint.note == journal.latest()


def test_an_empty_journal_verifies_with_or_without_a_checkpoint() -> None:
    """No entries need no checkpoint; a checkpoint of size 0 must have the empty root."""
    journal = build_journal(0)
    assert journal.verify().checkpoint is None
    assert journal.verify(checkpoints=[journal.signer.sign(0, Frontier().root())]).ok


def test_the_latest_checkpoint_alone_is_enough() -> None:
    """It covers every entry; intermediate checkpoints only pin faults more precisely."""
    journal = build_journal(SIZE)
    assert journal.verify(checkpoints=[journal.latest()]).ok


def test_checkpoints_may_come_in_any_order() -> None:
    """They are matched by tree size, not by position."""
    journal = build_journal(SIZE)
    shuffled = list(journal.checkpoints)
    random.Random(7).shuffle(shuffled)
    assert journal.verify(checkpoints=shuffled).ok


def test_the_entries_are_read_once_as_a_stream() -> None:
    """A generator is enough: the verifier never goes back."""
    journal = build_journal(SIZE)
    assert journal.verify(entries=iter(journal.entries), checkpoints=iter(journal.checkpoints)).ok


def test_an_edited_content_byte_is_caught() -> None:
    """The header commits to the SHA-256 of the stored ciphertext."""
    journal = build_journal(SIZE)
    entry = journal.entries[4]
    assert entry.content is not None
    journal.entries[4] = dataclasses.replace(
        entry, content=bytes([entry.content[0] ^ 1]) + entry.content[1:]
    )
    assert_refused(journal.verify(), 5, Reason.CONTENT_HASH)


def test_edited_content_and_its_hash_are_caught_by_the_entry_hash() -> None:
    """Changing the header's ciphertext hash changes the header, so its leaf hash no longer fits."""
    journal = build_journal(SIZE)
    content = b"forged ciphertext"
    edited = with_header(journal.entries[4], rehash=False, ciphertext_sha256=sha256_hex(content))
    journal.entries[4] = dataclasses.replace(edited, content=content)
    assert_refused(journal.verify(), 5, Reason.ENTRY_HASH)


def test_edited_content_hash_and_entry_hash_are_caught_by_the_checkpoint() -> None:
    """With the entry hash recomputed too, the signed root at that size no longer matches."""
    journal = build_journal(SIZE)
    content = b"forged ciphertext"
    edited = with_header(journal.entries[4], rehash=True, ciphertext_sha256=sha256_hex(content))
    journal.entries[4] = dataclasses.replace(edited, content=content)
    assert_refused(journal.verify(), 5, Reason.CHECKPOINT_ROOT)
    # with only the latest checkpoint, the broken link to entry 6 shows first
    assert_refused(journal.verify(checkpoints=[journal.latest()]), 6, Reason.CHAIN)


def test_an_edited_author_is_caught() -> None:
    """The author is in the hashed header."""
    journal = build_journal(SIZE)
    journal.entries[9] = with_header(journal.entries[9], rehash=False, author="someone else")
    assert_refused(journal.verify(), 10, Reason.ENTRY_HASH)


def test_a_rewritten_entry_with_all_later_hashes_recomputed_is_caught_by_the_checkpoints() -> None:
    """The chain is consistent again, but the first signed root after the edit is not."""
    journal = build_journal(SIZE)
    journal.entries[6] = with_header(journal.entries[6], rehash=True, author="someone else")
    journal.entries = rechain(journal.entries, 6)
    assert_refused(journal.verify(), 7, Reason.CHECKPOINT_ROOT)
    assert_refused(journal.verify(checkpoints=[journal.latest()]), SIZE, Reason.CHECKPOINT_ROOT)


def test_a_deleted_middle_entry_is_caught() -> None:
    """Sequence numbers run without gaps; the first missing one is reported."""
    journal = build_journal(SIZE)
    del journal.entries[7]
    assert_refused(journal.verify(), 8, Reason.SEQUENCE)


def test_a_deleted_entry_with_the_rest_renumbered_and_rechained_is_caught() -> None:
    """Renumbering rewrites every later header, so the signed roots expose it."""
    journal = build_journal(SIZE)
    del journal.entries[7]
    for index in range(7, len(journal.entries)):
        entry = journal.entries[index]
        renumbered = with_header(entry, rehash=True, seq=index + 1)
        journal.entries[index] = dataclasses.replace(renumbered, seq=index + 1)
    journal.entries = rechain(journal.entries, 6)
    assert_refused(journal.verify(), 8, Reason.CHECKPOINT_ROOT)


def test_two_swapped_entries_are_caught() -> None:
    """Order matters: the first out-of-place sequence number is reported."""
    journal = build_journal(SIZE)
    journal.entries[3], journal.entries[4] = journal.entries[4], journal.entries[3]
    assert_refused(journal.verify(), 4, Reason.SEQUENCE)


def test_a_repeated_entry_is_caught() -> None:
    """The expected sequence number is reported where a repeat appears."""
    journal = build_journal(SIZE)
    journal.entries.insert(4, journal.entries[3])
    assert_refused(journal.verify(), 5, Reason.SEQUENCE)


def test_a_truncated_tail_is_caught_by_the_checkpoints_left_behind() -> None:
    """A checkpoint larger than the journal proves entries were removed."""
    journal = build_journal(SIZE)
    del journal.entries[-3:]
    assert_refused(journal.verify(), SIZE - 2, Reason.TRUNCATED)


def test_a_truncated_tail_with_its_checkpoints_is_caught_by_a_trusted_checkpoint() -> None:
    """Cut cleanly, the journal is consistent; only a checkpoint kept earlier shows the cut."""
    journal = build_journal(SIZE)
    kept = journal.latest()
    del journal.entries[-3:]
    del journal.checkpoints[-3:]
    assert journal.verify().ok
    assert_refused(journal.verify(trusted=kept), SIZE - 2, Reason.TRUNCATED)


def test_a_trusted_checkpoint_from_an_earlier_look_still_matches_a_longer_journal() -> None:
    """The journal only grows: an old checkpoint matches the root at its size."""
    journal = build_journal(SIZE)
    assert journal.verify(trusted=journal.checkpoints[4]).ok


def test_a_history_rewritten_with_the_signing_key_is_caught_by_a_trusted_checkpoint() -> None:
    """Whoever holds the key can re-sign everything, but not the checkpoint an auditor kept."""
    journal = build_journal(SIZE)
    kept = journal.checkpoints[9]
    forged = Journal(journal.signer)
    for number in range(SIZE):
        forged.append(
            b"other history" if number == 3 else f"list version {number}: Søren, Aalborg".encode()
        )
    assert forged.verify().ok
    assert_refused(forged.verify(trusted=kept), 10, Reason.TRUSTED_ROOT)


def test_a_forged_checkpoint_is_caught() -> None:
    """A note not signed by the journal key fails, whatever it says."""
    journal = build_journal(SIZE)
    intruder = signer(seed=9)
    frontier = Frontier()
    for entry in journal.entries:
        frontier.append(entry.entry_hash)
    forged = intruder.sign(SIZE, frontier.root())  # true content, wrong key
    assert_refused(
        journal.verify(checkpoints=[*journal.checkpoints, forged]),
        None,
        Reason.CHECKPOINT_SIGNATURE,
    )
    tampered = journal.latest().replace(f"\n{SIZE}\n", f"\n{SIZE + 1}\n")
    assert_refused(journal.verify(checkpoints=[tampered]), None, Reason.CHECKPOINT_SIGNATURE)


def test_a_rewrite_covered_by_forged_checkpoints_is_caught() -> None:
    """Recomputing every hash and signing new roots needs the key; another key is refused."""
    journal = build_journal(SIZE)
    journal.entries[6] = with_header(journal.entries[6], rehash=True, author="someone else")
    journal.entries = rechain(journal.entries, 6)
    intruder = signer(seed=9)
    frontier = Frontier()
    for entry in journal.entries:
        frontier.append(entry.entry_hash)
    journal.checkpoints = [intruder.sign(SIZE, frontier.root())]
    assert_refused(journal.verify(), None, Reason.CHECKPOINT_SIGNATURE)


def test_a_forged_trusted_checkpoint_is_refused() -> None:
    """The auditor's kept note is verified like every other."""
    journal = build_journal(SIZE)
    assert_refused(
        journal.verify(trusted=signer(seed=9).sign(3, bytes(32))), None, Reason.CHECKPOINT_SIGNATURE
    )


def test_an_entry_appended_without_a_checkpoint_is_caught() -> None:
    """Every entry must be under the latest signed root."""
    journal = build_journal(SIZE)
    journal.append(b"late")
    journal.checkpoints.pop()
    assert_refused(journal.verify(), SIZE + 1, Reason.NOT_COVERED)
    assert_refused(build_journal(2).verify(checkpoints=[]), 1, Reason.NOT_COVERED)


def test_a_header_naming_another_sequence_number_is_caught() -> None:
    """The stored seq and the seq inside the hashed header must agree."""
    journal = build_journal(SIZE)
    header = with_header(journal.entries[2], rehash=True, seq=30)
    journal.entries[2] = header
    assert_refused(journal.verify(), 3, Reason.HEADER_SEQ)


def test_a_malformed_header_is_caught_even_with_a_matching_hash() -> None:
    """The header must parse; a hash over junk is still junk."""
    journal = build_journal(SIZE)
    junk = b'{"v":1}'
    journal.entries[2] = StoredEntry(3, junk, entry_hash(junk), journal.entries[2].content)
    assert_refused(journal.verify(), 3, Reason.MALFORMED_HEADER)


def test_a_wrong_content_key_or_plaintext_is_caught_with_the_key() -> None:
    """With the key, the plaintext must open and hash to plaintext_sha256."""
    journal = build_journal(SIZE)

    def refuse(seq: int, content: bytes) -> bytes:
        raise RuntimeError

    assert_refused(journal.verify(open_content=refuse), 1, Reason.CONTENT_UNREADABLE)
    assert_refused(
        journal.verify(open_content=lambda _seq, _content: b"x"), 1, Reason.PLAINTEXT_HASH
    )


def test_a_plaintext_hash_that_lies_is_caught_only_with_the_key() -> None:
    """Without the key the ciphertext is checked; with it also what it decrypts to."""
    journal = Journal()
    journal.append(b"first")
    lying = with_header(journal.entries[0], rehash=True, plaintext_sha256=sha256_hex(b"other"))
    journal.entries[0] = lying
    frontier = Frontier()
    frontier.append(lying.entry_hash)
    journal.checkpoints = [journal.signer.sign(1, frontier.root())]
    assert journal.verify().ok
    assert_refused(journal.verify(open_content=open_content), 1, Reason.PLAINTEXT_HASH)


def test_an_export_without_content_still_checks_every_stored_byte_it_has() -> None:
    """Without content, headers, hashes, chain and roots are still verified."""
    journal = build_journal(SIZE)
    bare = [dataclasses.replace(entry, content=None) for entry in journal.entries]
    assert journal.verify(entries=bare).ok
    bare[9] = with_header(bare[9], rehash=False, author="someone else")
    assert_refused(journal.verify(entries=bare), 10, Reason.ENTRY_HASH)


def test_an_earlier_checkpoint_mismatch_wins_over_a_later_entry_fault() -> None:
    """The first bad entry is reported, whichever check finds it."""
    journal = build_journal(SIZE)
    journal.entries[2] = with_header(journal.entries[2], rehash=True, author="someone else")
    journal.entries = rechain(journal.entries, 2)
    del journal.entries[10]
    assert_refused(journal.verify(), 3, Reason.CHECKPOINT_ROOT)


def test_equivocating_checkpoints_for_one_size_are_caught() -> None:
    """Two signed roots for one size cannot both be right."""
    journal = build_journal(SIZE)
    other = journal.signer.sign(5, bytes(32))
    assert_refused(
        journal.verify(checkpoints=[*journal.checkpoints, other]), 5, Reason.CHECKPOINT_ROOT
    )
