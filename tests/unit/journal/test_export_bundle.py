"""Export bundles: JSON Lines an auditor verifies offline, losing no line unnoticed."""

from __future__ import annotations

import base64
import io
import json

import pytest
from journal_builder import Journal, build_journal, signer, with_header

from ksp.journal.bundle import (
    BUNDLE_FORMAT,
    bundle_head,
    checkpoint_line,
    entry_line,
    verify_bundle,
    write_bundle,
)
from ksp.journal.verify import Reason, Verification

SIZE = 9
EXPORTED_AT = "2025-03-02T08:00:00+01:00"


def export(journal: Journal, *, include_content: bool = True) -> list[str]:
    out = io.StringIO()
    write_bundle(
        out,
        origin=journal.signer.origin,
        public_key=journal.public_key,
        vkey=journal.signer.vkey,
        entries=iter(journal.entries),
        entry_count=len(journal.entries),
        checkpoints=journal.checkpoints,
        include_content=include_content,
        exported_at=EXPORTED_AT,
    )
    return out.getvalue().splitlines(keepends=True)


def assert_refused(result: Verification, first_bad_seq: int | None, reason: Reason) -> None:
    assert (result.ok, result.first_bad_seq, result.reason) == (False, first_bad_seq, reason)


def test_a_bundle_is_a_manifest_then_entries_then_checkpoints() -> None:
    """The documented layout, with the exact stored header bytes in base64."""
    journal = build_journal(2)
    lines = [json.loads(line) for line in export(journal)]
    assert lines[0] == {
        "type": "manifest",
        "format": BUNDLE_FORMAT,
        "origin": journal.signer.origin,
        "public_key": base64.b64encode(journal.public_key).decode(),
        "vkey": journal.signer.vkey,
        "entries": 2,
        "checkpoints": 2,
        "content": True,
        "exported_at": EXPORTED_AT,
    }
    first = journal.entries[0]
    assert first.content is not None
    assert lines[1] == {
        "type": "entry",
        "seq": 1,
        "header": base64.b64encode(first.header).decode(),
        "entry_hash": first.entry_hash.hex(),
        "content": base64.b64encode(first.content).decode(),
    }
    assert [line["type"] for line in lines] == [
        "manifest",
        "entry",
        "entry",
        "checkpoint",
        "checkpoint",
    ]
    assert lines[3] == {"type": "checkpoint", "note": journal.checkpoints[0]}


def test_streaming_writers_get_the_same_lines() -> None:
    """bundle_head, entry_line and checkpoint_line build exactly what write_bundle writes."""
    journal = build_journal(3)
    head = bundle_head(
        origin=journal.signer.origin,
        public_key=journal.public_key,
        vkey=journal.signer.vkey,
        entry_count=3,
        checkpoint_count=3,
        include_content=False,
        exported_at=EXPORTED_AT,
    )
    lines = [
        *head,
        *(entry_line(entry, include_content=False) for entry in journal.entries),
        *(checkpoint_line(note) for note in journal.checkpoints),
    ]
    assert [line + "\n" for line in lines] == export(journal, include_content=False)


@pytest.mark.parametrize("include_content", [True, False])
@pytest.mark.parametrize("size", [0, 1, SIZE])
def test_an_exported_journal_verifies(size: int, include_content: bool) -> None:
    """With or without content, an untouched bundle is intact."""
    journal = build_journal(size)
    result = verify_bundle(export(journal, include_content=include_content))
    assert result.ok, result
    assert result.entries == size


def test_entries_without_content_carry_no_content_field() -> None:
    """An auditor's export without content holds no ciphertext at all."""
    lines = [json.loads(line) for line in export(build_journal(2), include_content=False)]
    assert lines[0]["content"] is False
    assert all("content" not in line for line in lines[1:3])


def test_a_dropped_entry_line_is_caught_and_named() -> None:
    """The manifest's count catches it; the first missing seq is reported."""
    lines = export(build_journal(SIZE))
    del lines[4]  # entry 4
    assert_refused(verify_bundle(lines), 4, Reason.BUNDLE_COUNT)


def test_a_dropped_last_entry_line_is_caught() -> None:
    """The first missing seq is the one after the last line read."""
    lines = export(build_journal(SIZE))
    del lines[SIZE]
    assert_refused(verify_bundle(lines), SIZE, Reason.BUNDLE_COUNT)


def test_a_dropped_checkpoint_line_is_caught() -> None:
    """No entry is missing, so none is blamed."""
    lines = export(build_journal(SIZE))
    del lines[SIZE + 3]
    assert_refused(verify_bundle(lines), None, Reason.BUNDLE_COUNT)


def test_an_added_line_is_caught() -> None:
    """One line more than the manifest says is as wrong as one less."""
    lines = export(build_journal(SIZE))
    lines.append(lines[-1])
    assert_refused(verify_bundle(lines), None, Reason.BUNDLE_COUNT)


def test_a_dropped_line_with_a_matching_manifest_is_still_caught_by_the_journal() -> None:
    """The manifest is not signed; fixing its count leaves the gap in the journal."""
    lines = export(build_journal(SIZE))
    del lines[4]
    manifest = json.loads(lines[0])
    manifest["entries"] -= 1
    lines[0] = json.dumps(manifest) + "\n"
    assert_refused(verify_bundle(lines), 4, Reason.SEQUENCE)


def test_an_edited_header_in_a_bundle_is_caught() -> None:
    """The bundle carries the stored bytes, checked as the store's are."""
    journal = build_journal(SIZE)
    journal.entries[5] = with_header(journal.entries[5], rehash=False, author="someone else")
    assert_refused(verify_bundle(export(journal)), 6, Reason.ENTRY_HASH)


def test_a_bundle_with_a_truncated_tail_is_caught_by_a_trusted_checkpoint() -> None:
    """The auditor's kept checkpoint applies to bundles too."""
    journal = build_journal(SIZE)
    kept = journal.latest()
    del journal.entries[-2:]
    del journal.checkpoints[-2:]
    assert verify_bundle(export(journal)).ok
    assert_refused(verify_bundle(export(journal), trusted=kept), SIZE - 1, Reason.TRUNCATED)


def test_a_bundle_signed_by_an_unexpected_key_is_refused() -> None:
    """An auditor who knows the journal key pins it; a self-consistent forgery fails."""
    genuine = build_journal(2)
    forged = build_journal(2, signer(seed=9))
    assert verify_bundle(export(forged)).ok
    result = verify_bundle(export(forged), expected_public_key=genuine.public_key)
    assert_refused(result, None, Reason.PUBLIC_KEY)
    assert verify_bundle(export(genuine), expected_public_key=genuine.public_key).ok


def malformed(lines: list[str]) -> dict[str, list[str]]:
    manifest = json.loads(lines[0])
    entry = json.loads(lines[1])
    return {
        "empty": [],
        "not JSON": [lines[0], "{\n", *lines[1:]],
        "no manifest": lines[1:],
        "two manifests": [lines[0], *lines],
        "unknown type": [lines[0], '{"type":"comment"}\n', *lines[1:]],
        "unknown field": [lines[0], json.dumps({**entry, "x": 1}) + "\n", *lines[2:]],
        "entry after a checkpoint": [*lines, lines[1]],
        "entry without content": [
            lines[0],
            json.dumps({**entry, "content": None}) + "\n",
            *lines[2:],
        ],
        "content and content erased": [
            lines[0],
            json.dumps({**entry, "content_erased": True}) + "\n",
            *lines[2:],
        ],
        "content erased false": [
            lines[0],
            json.dumps(
                {k: v for k, v in entry.items() if k != "content"} | {"content_erased": False}
            )
            + "\n",
            *lines[2:],
        ],
        "bad base64": [lines[0], json.dumps({**entry, "header": "!"}) + "\n", *lines[2:]],
        "uppercase hash": [
            lines[0],
            json.dumps({**entry, "entry_hash": entry["entry_hash"].upper()}) + "\n",
            *lines[2:],
        ],
        "other format": [json.dumps({**manifest, "format": "other/1"}) + "\n", *lines[1:]],
        "vkey of another key": [
            json.dumps({**manifest, "vkey": signer(seed=9).vkey}) + "\n",
            *lines[1:],
        ],
        "short public key": [json.dumps({**manifest, "public_key": "AAAA"}) + "\n", *lines[1:]],
    }


@pytest.mark.parametrize("case", malformed(export(build_journal(3))).keys())
def test_a_malformed_bundle_is_refused(case: str) -> None:
    """Every line must be exactly one of the three kinds, in order, as the manifest says."""
    lines = malformed(export(build_journal(3)))[case]
    assert_refused(verify_bundle(lines), None, Reason.MALFORMED_BUNDLE)


def test_undecodable_input_is_a_malformed_bundle() -> None:
    """A file that is not UTF-8 raises while it is read; that is a malformed bundle."""

    def lines() -> object:
        yield export(build_journal(1))[0]
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    assert_refused(verify_bundle(lines()), None, Reason.MALFORMED_BUNDLE)  # type: ignore[arg-type]


def test_the_writer_refuses_a_bundle_that_would_not_verify() -> None:
    """A wrong entry count or a foreign verifier key are errors."""
    journal = build_journal(2)
    options = {
        "origin": journal.signer.origin,
        "public_key": journal.public_key,
        "vkey": journal.signer.vkey,
        "entries": journal.entries,
        "entry_count": 2,
        "checkpoints": journal.checkpoints,
        "include_content": True,
        "exported_at": EXPORTED_AT,
    }
    with pytest.raises(ValueError, match="entry_count"):
        write_bundle(io.StringIO(), **{**options, "entry_count": 3})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="verifier key"):
        write_bundle(io.StringIO(), **{**options, "vkey": signer(seed=9).vkey})  # type: ignore[arg-type]


def test_an_entry_whose_content_was_erased_exports_as_such_and_verifies() -> None:
    """An entry without content (an erasure emptied its ciphertext) is a line with
    ``content_erased`` and no content; its header still commits to the ciphertext's hash,
    so the bundle is intact. The same line in a bundle without content is malformed, and
    so is a bundle that drops an entry's content without saying so."""
    journal = build_journal(3)
    second = journal.entries[1]
    journal.entries[1] = second.__class__(second.seq, second.header, second.entry_hash, None)
    lines = export(journal)
    line = json.loads(lines[2])
    assert line["content_erased"] is True
    assert "content" not in line
    assert verify_bundle(lines).ok
    without = export(journal, include_content=False)
    flagged = json.dumps({**json.loads(without[2]), "content_erased": True}) + "\n"
    refused = verify_bundle([*without[:2], flagged, *without[3:]])
    assert_refused(refused, None, Reason.MALFORMED_BUNDLE)
    dropped = {k: v for k, v in line.items() if k != "content_erased"}
    assert_refused(
        verify_bundle([*lines[:2], json.dumps(dropped) + "\n", *lines[3:]]),
        None,
        Reason.MALFORMED_BUNDLE,
    )
