"""``ksp witness serve`` as a real process on loopback, spoken to in C2SP tlog-witness.

Every answer of add-checkpoint the spec names is tested by status (and its body where the
spec fixes one); what the witness cosigned survives a restart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ksp.witness.client import request_body
from ksp.witness.cosignature import note_body, verify_cosignature
from ksp.witness.vkey import ED25519_COSIGNATURE, parse_vkey
from support.witnesses import WitnessProcess, new_witness
from unit.journal.journal_builder import Journal, signer
from unit.witness.witness_journal import built, consistency

JOURNAL = built(9)


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[WitnessProcess]:
    process = new_witness(tmp_path / "w1", "audit.example/w1", JOURNAL.signer.vkey)
    process.start()
    yield process
    process.stop()


def add(witness: WitnessProcess, old: int, proof: list[bytes], note: str) -> httpx.Response:
    body = request_body(old, proof, note)
    return httpx.post(f"{witness.url}/add-checkpoint", content=body, timeout=5)


def submit(witness: WitnessProcess, journal: Journal, old: int, new: int) -> httpx.Response:
    return add(witness, old, consistency(journal, old, new), journal.checkpoints[new - 1])


def test_the_witness_cosigns_a_checkpoint_that_extends_the_last_it_cosigned(
    witness: WitnessProcess,
) -> None:
    first = submit(witness, JOURNAL, 0, 3)
    second = submit(witness, JOURNAL, 3, 9)
    assert (first.status_code, second.status_code) == (200, 200)
    key = parse_vkey(witness.vkey, ED25519_COSIGNATURE)
    for response, size in ((first, 3), (second, 9)):
        (line,) = response.text.splitlines()
        body = note_body(JOURNAL.checkpoints[size - 1])
        assert verify_cosignature(line, body, key) is not None


def test_an_old_size_that_is_not_the_witness_size_is_409_with_its_size(
    witness: WitnessProcess,
) -> None:
    assert submit(witness, JOURNAL, 0, 4).status_code == 200
    stale = submit(witness, JOURNAL, 2, 6)
    assert stale.status_code == 409
    assert stale.headers["content-type"] == "text/x.tlog.size"
    assert stale.text == "4\n"
    asked = add(witness, 0, [], JOURNAL.checkpoints[5])  # old 0: "what do you know?"
    assert (asked.status_code, asked.text) == (409, "4\n")


def test_a_replayed_older_checkpoint_is_refused(witness: WitnessProcess) -> None:
    assert submit(witness, JOURNAL, 0, 6).status_code == 200
    assert add(witness, 6, [], JOURNAL.checkpoints[2]).status_code == 400  # old > size
    assert submit(witness, JOURNAL, 0, 3).status_code == 409


def test_a_checkpoint_of_an_unknown_log_is_404(witness: WitnessProcess) -> None:
    other = signer(seed=1, origin="elsewhere.example/log").sign(1, b"\1" * 32)
    assert add(witness, 0, [], other).status_code == 404


def test_a_checkpoint_not_signed_by_the_log_key_is_403(witness: WitnessProcess) -> None:
    forged = signer(seed=7).sign(1, b"\1" * 32)  # same origin, the intruder's key
    assert add(witness, 0, [], forged).status_code == 403


def test_a_checkpoint_inconsistent_with_the_last_cosigned_is_422(witness: WitnessProcess) -> None:
    """The rewritten journal, re-signed with the log's own key, does not extend what the
    witness cosigned: its proof does not verify against the root the witness kept."""
    assert submit(witness, JOURNAL, 0, 5).status_code == 200
    rewritten = Journal()
    for n in range(1, 10):
        rewritten.append(b'{"rewritten":true}' if n == 3 else f'{{"version":{n}}}'.encode())
    assert submit(witness, rewritten, 5, 9).status_code == 422
    assert submit(witness, JOURNAL, 5, 9).status_code == 200


def test_the_same_size_with_another_root_is_409(witness: WitnessProcess) -> None:
    assert submit(witness, JOURNAL, 0, 5).status_code == 200
    fork = Journal()
    for n in range(1, 6):
        fork.append(f'{{"fork":{n}}}'.encode())
    forked = add(witness, 5, [], fork.checkpoints[4])
    assert (forked.status_code, forked.text) == (409, "5\n")


def test_a_malformed_request_is_400(witness: WitnessProcess) -> None:
    note = JOURNAL.checkpoints[0]
    for body in ("old 01\n\n" + note, "old 0\nnot base64!\n\n" + note, "old 0\n" + note):
        response = httpx.post(f"{witness.url}/add-checkpoint", content=body, timeout=5)
        assert response.status_code == 400


def test_what_the_witness_cosigned_is_kept_on_disk_across_a_restart(
    witness: WitnessProcess,
) -> None:
    assert submit(witness, JOURNAL, 0, 7).status_code == 200
    witness.stop()
    witness.start()
    assert submit(witness, JOURNAL, 0, 8).text == "7\n"
    state = json.loads((witness.state_dir / "state.json").read_text())
    assert state["logs"]["ksp.example/journal"]["size"] == 7
    assert sorted(p.name for p in witness.state_dir.iterdir()) == ["state.json", "witness.lock"]
    assert (witness.state_dir.stat().st_mode & 0o777) == 0o700


def test_a_second_witness_on_the_same_state_directory_is_refused(witness: WitnessProcess) -> None:
    twin = WitnessProcess(
        witness.name, witness.vkey, witness.key_file, witness.state_dir, witness.log_key
    )
    with pytest.raises(AssertionError):
        twin.start()
    assert twin.process is not None
    assert twin.process.wait(timeout=10) == 2
