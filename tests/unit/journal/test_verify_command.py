"""``ksp journal verify``: one line of verdict and an exit status, from files on disk."""

from __future__ import annotations

import io
from pathlib import Path

from journal_builder import Journal, build_journal, save_bundle, with_header

from ksp.journal.cli import verify_command


def save(journal: Journal, path: Path) -> Path:
    return save_bundle(journal, path)


def run(bundle: Path, trusted: Path | None = None) -> tuple[int, str]:
    out = io.StringIO()
    status = verify_command(bundle, trusted, out)
    return status, out.getvalue()


def test_an_intact_bundle_prints_its_size_and_exits_0(tmp_path: Path) -> None:
    """The verdict names the entries and the checkpoint that covers them."""
    bundle = save(build_journal(5), tmp_path / "journal.jsonl")
    assert run(bundle) == (0, "intact: 5 entries, checkpoint at 5\n")


def test_an_empty_journal_is_intact(tmp_path: Path) -> None:
    """Nothing to cover, nothing wrong."""
    assert run(save(build_journal(0), tmp_path / "journal.jsonl")) == (
        0,
        "intact: 0 entries, checkpoint at 0\n",
    )


def test_a_tampered_bundle_names_the_first_bad_entry_and_exits_1(tmp_path: Path) -> None:
    """The verdict holds the seq and a fixed reason, never journal data."""
    journal = build_journal(5)
    journal.entries[2] = with_header(journal.entries[2], rehash=False, author="someone else")
    bundle = save(journal, tmp_path / "journal.jsonl")
    assert run(bundle) == (1, "NOT INTACT: first bad entry 3: entry hash\n")


def test_a_kept_checkpoint_file_catches_a_cut_tail(tmp_path: Path) -> None:
    """The trusted checkpoint is read from its own file."""
    journal = build_journal(5)
    kept = tmp_path / "checkpoint.txt"
    kept.write_text(journal.latest(), encoding="utf-8")
    del journal.entries[-1]
    del journal.checkpoints[-1]
    bundle = save(journal, tmp_path / "journal.jsonl")
    assert run(bundle)[0] == 0
    assert run(bundle, kept) == (1, "NOT INTACT: first bad entry 5: truncated\n")


def test_a_bundle_that_is_not_utf8_is_not_intact(tmp_path: Path) -> None:
    """Undecodable bytes are a malformed bundle, with no entry to blame."""
    bundle = tmp_path / "journal.jsonl"
    bundle.write_bytes(b"\xff\xfe\n")
    assert run(bundle) == (1, "NOT INTACT: first bad entry -: malformed bundle\n")
