"""tlog-cosignature/v1 and tlog-policy, pure: what an auditor's verifier relies on."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ksp.witness.cosignature import Cosigner, cosigned_message, note_body
from ksp.witness.policy import InvalidPolicy, NotCosigned, check_cosigned, parse_policy
from ksp.witness.vkey import ED25519, ED25519_COSIGNATURE, InvalidVerifierKey, parse_vkey
from unit.journal.journal_builder import signer
from unit.witness.witness_journal import built


def cosigner(seed: int, name: str, at: float = 1_700_000_000) -> Cosigner:
    return Cosigner(Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32), name, lambda: at)


W1, W2, W3 = cosigner(11, "a.example/w1"), cosigner(12, "b.example/w2"), cosigner(13, "c/w3")


def policy(quorum: str = "group all w1 w2") -> str:
    log = built(1).signer.vkey
    return (
        f"# comment\nlog {log}\n  witness w1 {W1.vkey.encode()} http://127.0.0.1:1\n"
        f"witness\tw2 {W2.vkey.encode()}\n{quorum.replace('group', 'group g')}\nquorum g\n"
    )


def test_a_cosignature_is_the_timestamped_signature_of_the_spec() -> None:
    """Key ID SHA-256(name || 0x0A || 0x04 || key)[:4], then u64 time, then Ed25519 over
    'cosignature/v1\\ntime T\\n' and the checkpoint body."""
    note = built(3).latest()
    line = W1.cosign(note_body(note))
    name, blob = line.removeprefix("\u2014 ").rstrip("\n").split(" ")
    raw = base64.b64decode(blob)
    assert name == "a.example/w1"
    assert raw[:4] == W1.vkey.key_id
    assert struct.unpack(">Q", raw[4:12]) == (1_700_000_000,)
    public = Ed25519PrivateKey.from_private_bytes(bytes([11]) * 32).public_key()
    public.verify(raw[12:], cosigned_message(note_body(note), 1_700_000_000))
    message = cosigned_message(note_body(note), 1_700_000_000).decode()
    assert message.startswith("cosignature/v1\ntime 1700000000\nksp.example/journal\n3\n")


def test_a_quorum_of_all_needs_every_witness() -> None:
    note = built(2).latest()
    both = note + W1.cosign(note_body(note)) + W2.cosign(note_body(note))
    one = note + W1.cosign(note_body(note))
    checked = check_cosigned(both, parse_policy(policy()))
    assert checked.quorum
    assert checked.cosigners == {"w1", "w2"}
    assert checked.checkpoint.tree_size == 2
    assert not check_cosigned(one, parse_policy(policy())).quorum
    assert check_cosigned(one, parse_policy(policy("group any w1 w2"))).quorum


def test_a_cosignature_of_a_key_not_in_the_policy_counts_for_nothing() -> None:
    note = built(2).latest()
    stranger = Cosigner(Ed25519PrivateKey.generate(), "a.example/w1")  # same name, other key
    checked = check_cosigned(
        note + stranger.cosign(note_body(note)) + W3.cosign(note_body(note)),
        parse_policy(policy("group any w1 w2")),
    )
    assert checked.cosigners == frozenset()
    assert not checked.quorum


def test_a_forged_cosignature_is_refused() -> None:
    note = built(2).latest()
    line = W1.cosign(note_body(note))
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[-1] ^= 1
    forged = f"\u2014 a.example/w1 {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(NotCosigned, match="does not verify"):
        check_cosigned(note + forged, parse_policy(policy()))


def test_a_cosignature_on_another_checkpoint_is_refused() -> None:
    """A cosignature moved from an older checkpoint onto a newer one does not verify."""
    journal = built(3)
    old_line = W1.cosign(note_body(journal.checkpoints[0]))
    with pytest.raises(NotCosigned):
        check_cosigned(journal.latest() + old_line, parse_policy(policy()))


def test_a_checkpoint_of_another_log_key_is_refused() -> None:
    other = built(1)
    note = signer(seed=9).sign(1, b"\0" * 32)
    with pytest.raises(NotCosigned, match="not signed by the policy's log"):
        check_cosigned(note, parse_policy(policy()))
    assert other.latest()


@pytest.mark.parametrize(
    "text",
    [
        "log x\nquorum none\n",  # not a vkey
        "witness w1 {w1}\nwitness w1 {w2}\nquorum w1\n",  # a name twice
        "witness w1 {w1}\nwitness w2 {w1}\nquorum w1\n",  # a key twice
        "witness w1 {w1}\ngroup g 2 w1\nquorum g\n",  # k > n
        "witness w1 {w1}\ngroup g 1 w1 w1\nquorum g\n",  # a member twice
        "group g any w1\nwitness w1 {w1}\nquorum g\n",  # named before it is defined
        "witness w1 {w1}\n",  # no quorum
        "witness w1 {w1}\nquorum w1\nquorum w1\n",  # two quorums
        "witness w1 {log}\nquorum w1\n",  # a log key (type 0x01) as a witness key
        "witness w1 {w1}\x0b\nquorum w1\n",  # a control character
    ],
)
def test_a_malformed_policy_is_refused(text: str) -> None:
    log = built(1).signer.vkey
    with pytest.raises(InvalidPolicy):
        parse_policy(text.format(w1=W1.vkey.encode(), w2=W2.vkey.encode(), log=log))


def test_a_verifier_key_with_a_wrong_key_id_is_refused() -> None:
    good = W1.vkey.encode()
    name, key_id, key = good.split("+", 2)
    assert parse_vkey(good, ED25519_COSIGNATURE).public_key == W1.vkey.public_key
    with pytest.raises(InvalidVerifierKey):
        parse_vkey(f"{name}+{'0' * 8}+{key}", ED25519_COSIGNATURE)
    with pytest.raises(InvalidVerifierKey):
        parse_vkey(good, ED25519)
    assert key_id != "0" * 8
