"""Finding 5: weak keys, SHA-1 binding signatures and keys from the future are refused.

Every key here is made by the real gpg; the pure policy is also tested on listings built by
hand for the sizes and curves that would take too long to generate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from ksp.mail.key_listing import parse_listing
from ksp.mail.key_policy import (
    KeyListing,
    KeyPart,
    KeyProblem,
    KeyRejected,
    check_strength,
)
from ksp.mail.keyring import Keyring
from ksp.mail.recipient_key import inspect_key
from support.keys import DAY, NOW, YEAR, YESTERDAY, KeyMaker

ALICE = "Alice <a@x.dk>"
SHA1 = ["--cert-digest-algo", "SHA1", "--digest-algo", "SHA1"]


def _made(status: str) -> str:
    lines = [line for line in status.splitlines() if line.startswith("[GNUPG:] KEY_CREATED ")]
    assert lines, "gpg made no key"
    return lines[-1].split()[3]


def make(
    maker: KeyMaker,
    primary: str,
    usage: str,
    subkey: str | None = None,
    *,
    at: datetime = YESTERDAY,
    options: tuple[str, ...] = (),
    user_id: str = ALICE,
) -> str:
    """A key with the ``primary`` algorithm and usage, and an encryption ``subkey`` if given."""
    out = maker.gpg(*options, "--quick-gen-key", user_id, primary, usage, "never", at=at)
    fingerprint = _made(out)
    if subkey is not None:
        maker.gpg(*options, "--quick-add-key", fingerprint, subkey, "encr", "never", at=at)
    return fingerprint


@dataclass(frozen=True)
class Keys:
    maker: KeyMaker
    rsa1024: str
    rsa2048: str
    rsa3072: str
    rsa3072_with_rsa2048_subkey: str
    ed25519: str
    nistp256: str
    dsa_elgamal: str
    ed25519_with_elgamal: str
    sha1_self_signature: str
    sha1_then_sha256: str
    future_subkey: str
    good_and_future_subkey: str


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keys]:
    maker = KeyMaker(tmp_path_factory.mktemp("policy-keys"))
    sha1_then_sha256 = make(maker, "rsa3072", "cert,sign,encr", options=tuple(SHA1))
    maker.gpg("--quick-set-expire", sha1_then_sha256, "2y", at=NOW)  # a new SHA-256 self-sig
    future_subkey = make(maker, "ed25519", "sign")
    maker.gpg("--quick-add-key", future_subkey, "cv25519", "encr", "never", at=NOW + 10 * DAY)
    good_and_future = make(maker, "ed25519", "sign", "cv25519")
    maker.gpg("--quick-add-key", good_and_future, "cv25519", "encr", "never", at=NOW + 10 * DAY)
    try:
        yield Keys(
            maker=maker,
            rsa1024=make(maker, "rsa1024", "cert,sign,encr"),
            rsa2048=make(maker, "rsa2048", "cert,sign,encr"),
            rsa3072=make(maker, "rsa3072", "cert,sign,encr"),
            rsa3072_with_rsa2048_subkey=make(maker, "rsa3072", "cert,sign", "rsa2048"),
            ed25519=make(maker, "ed25519", "sign", "cv25519"),
            nistp256=make(maker, "nistp256", "sign", "nistp256"),
            dsa_elgamal=make(maker, "dsa1024", "sign", "elg1024"),
            ed25519_with_elgamal=make(maker, "ed25519", "sign", "elg1024"),
            sha1_self_signature=make(maker, "rsa3072", "cert,sign,encr", options=tuple(SHA1)),
            sha1_then_sha256=sha1_then_sha256,
            future_subkey=future_subkey,
            good_and_future_subkey=good_and_future,
        )
    finally:
        maker.close()


def refusal(keys: Keys, fingerprint: str) -> KeyProblem:
    with pytest.raises(KeyRejected) as caught:
        inspect_key(
            keys.maker.public(fingerprint), email="a@x.dk", expected_fingerprint=None, now=NOW
        )
    return caught.value.reason


def accepted(keys: Keys, fingerprint: str) -> str:
    armour = keys.maker.public(fingerprint)
    return inspect_key(armour, email="a@x.dk", expected_fingerprint=None, now=NOW).fingerprint


@pytest.mark.parametrize("name", ["rsa1024", "rsa2048", "rsa3072_with_rsa2048_subkey"])
def test_rsa_keys_under_3072_bits_are_refused(keys: Keys, name: str) -> None:
    """RSA-1024 and RSA-2048, as primary key or as the encryption subkey of a strong key."""
    assert refusal(keys, getattr(keys, name)) is KeyProblem.WEAK_KEY


@pytest.mark.parametrize("name", ["rsa3072", "ed25519", "nistp256"])
def test_rsa_3072_and_strong_curves_are_accepted(keys: Keys, name: str) -> None:
    """RSA-3072, Ed25519 with Curve25519, NIST P-256."""
    fingerprint = getattr(keys, name)
    assert accepted(keys, fingerprint) == fingerprint


@pytest.mark.parametrize("name", ["dsa_elgamal", "ed25519_with_elgamal"])
def test_dsa_and_elgamal_keys_are_refused(keys: Keys, name: str) -> None:
    """DSA-1024 with ElGamal-1024, and an ElGamal encryption subkey under an Ed25519 key."""
    assert refusal(keys, getattr(keys, name)) is KeyProblem.WEAK_KEY


def test_a_sha1_self_signature_is_refused(keys: Keys) -> None:
    """A strong RSA-3072 key whose user ID is bound by a SHA-1 signature."""
    assert refusal(keys, keys.sha1_self_signature) is KeyProblem.WEAK_SIGNATURE


def test_a_sha1_self_signature_superseded_by_a_sha256_one_is_accepted(keys: Keys) -> None:
    """Only the newest self-signature binds (gpg's import-minimal keeps it alone)."""
    assert accepted(keys, keys.sha1_then_sha256) == keys.sha1_then_sha256


def test_a_key_whose_encryption_subkey_starts_in_the_future_is_refused(keys: Keys) -> None:
    """Refused at registration instead of failing to encrypt at circulation (a 500 before)."""
    assert refusal(keys, keys.future_subkey) is KeyProblem.NOT_YET_VALID


def test_a_future_subkey_beside_a_current_one_is_accepted_and_encrypts(
    keys: Keys, tmp_path: Path
) -> None:
    """gpg skips the subkey from the future and encrypts to the current one."""
    fingerprint = keys.good_and_future_subkey
    assert accepted(keys, fingerprint) == fingerprint
    with Keyring(tmp_path / "gnupg", sender_email="ksp@x.dk") as keyring:
        keyring.import_recipient(keys.maker.public(fingerprint))
        assert keyring.usable_now(fingerprint, NOW)
        message = keyring.encrypt_and_sign(b"KSP", fingerprint)
    assert keys.maker.decrypt(message).data == b"KSP"


def test_the_keyring_finds_a_weak_key_unusable_though_it_was_pinned(
    keys: Keys, tmp_path: Path
) -> None:
    """A key pinned before the policy (imported directly) is not circulated to."""
    with Keyring(tmp_path / "gnupg", sender_email="ksp@x.dk") as keyring:
        for fingerprint in (keys.rsa2048, keys.sha1_self_signature, keys.future_subkey):
            keyring.import_recipient(keys.maker.public(fingerprint))
            assert not keyring.usable_now(fingerprint, NOW)
        keyring.import_recipient(keys.maker.public(keys.rsa3072))
        assert keyring.usable_now(keys.rsa3072, NOW)


def part(algorithm: int, bits: int = 0, curve: str = "", **kwargs: object) -> KeyPart:
    fields: dict[str, object] = {"validity": "", "capabilities": "e", "expires": None}
    fields |= kwargs
    return KeyPart(algorithm=algorithm, bits=bits, curve=curve, **fields)  # type: ignore[arg-type]


def listing(*parts: KeyPart, hashes: tuple[int, ...] = (8,)) -> KeyListing:
    return KeyListing("A" * 40, parts[0], parts[1:], (ALICE,), hashes)


@pytest.mark.parametrize(
    ("primary", "strong"),
    [
        (part(1, 4096), True),
        (part(1, 3071), False),
        (part(17, 3072), False),  # DSA of any size
        (part(16, 4096), False),  # ElGamal of any size
        (part(20, 4096), False),
        (part(19, 256, "nistp384"), True),
        (part(18, 256, "brainpoolP256r1"), True),
        (part(19, 256, "secp256k1"), False),
        (part(22, 255, "ed25519"), True),
        (part(27), True),  # RFC 9580 Ed25519
        (part(99), False),  # unknown algorithm
    ],
)
def test_the_policy_judges_algorithm_size_and_curve(primary: KeyPart, strong: bool) -> None:
    """Sizes and curves gpg is slow to make, judged from the listing."""
    if strong:
        check_strength(listing(primary), NOW)
    else:
        with pytest.raises(KeyRejected, match="too weak"):
            check_strength(listing(primary), NOW)


def test_revoked_and_expired_weak_subkeys_are_not_held_against_a_key() -> None:
    """They cannot be used: an old RSA-2048 subkey, expired or revoked, does not count."""
    primary = part(27)
    expired = part(1, 2048, expires=NOW - DAY)
    revoked = part(1, 2048, validity="r")
    check_strength(listing(primary, expired, revoked, part(25)), NOW)
    with pytest.raises(KeyRejected, match="too weak"):
        check_strength(listing(primary, part(1, 2048, expires=NOW + YEAR)), NOW)


@pytest.mark.parametrize(("hash_id", "strong"), [(2, False), (3, False), (1, False), (10, True)])
def test_binding_signatures_must_use_sha224_or_stronger(hash_id: int, strong: bool) -> None:
    """SHA-1, RIPEMD-160 and MD5 are refused; SHA-512 is fine."""
    keys = listing(part(27), hashes=(8, hash_id))
    if strong:
        check_strength(keys, NOW)
    else:
        with pytest.raises(KeyRejected, match="SHA-1"):
            check_strength(keys, NOW)


def test_the_listing_parser_undoes_gpgs_escapes_and_skips_other_keys() -> None:
    """A colon in a user ID is ``\\x3a``; a key whose subkey has the fingerprint is not it."""
    fpr = "B" * 40
    colons = (
        b"tru::1:0:0:3:1:5\n"
        b"pub:-:255:22:KEYID:1700000000:::-:::scESC:::::ed25519:::0:\n"
        b"fpr:::::::::" + fpr.encode() + b":\n"
        b"uid:-::::1700000000::H::Alice \\x3a A <a@x.dk>::::::::::0:\n"
        b"sig:!::22:KEYID:1700000000::::Alice:13x::" + fpr.encode() + b":::2:\n"
        b"uid:r::::1700000000::H::Old <old@x.dk>::::::::::0:\n"
        b"sig:!::22:KEYID:1700000000::::Old:13x::" + fpr.encode() + b":::1:\n"
        b"sig:?::1:OTHER:1700000000::::Someone:10x::::::2:\n"
        b"sub:-:255:18:SUBID:1700000000::::::e:::::cv25519::\n"
        b"fpr:::::::::" + b"C" * 40 + b":\n"
    )
    parsed = parse_listing(colons, fpr)
    assert parsed is not None
    assert parsed.user_ids == ("Alice : A <a@x.dk>",)
    assert parsed.binding_hashes == (2,)  # the revoked user ID's and the stranger's ignored
    assert parsed.subkeys[0].curve == "cv25519"
    assert parse_listing(colons, "C" * 40) is None
    assert parse_listing(b"", fpr) is None


KELVIN = "\u212a"  # KELVIN SIGN, which casefold() and NFKC both turn into "k"


def test_a_user_id_with_a_look_alike_letter_does_not_carry_the_address(tmp_path: Path) -> None:
    """Finding 11: ``a@x{KELVIN}.dk`` in the key used to match ``a@xk.dk`` through casefold()."""
    maker = KeyMaker(tmp_path / "keys")
    try:
        lookalike = make(maker, "ed25519", "sign", "cv25519", user_id=f"A <a@x{KELVIN}.dk>")
        plain = make(maker, "ed25519", "sign", "cv25519", user_id="A <a@XK.dk>")
        for email, fingerprint in [("a@xk.dk", lookalike), (f"a@x{KELVIN}.dk", plain)]:
            with pytest.raises(KeyRejected) as caught:
                inspect_key(
                    maker.public(fingerprint), email=email, expected_fingerprint=None, now=NOW
                )
            assert caught.value.reason is KeyProblem.NO_USER_ID
        info = inspect_key(maker.public(plain), email="A@xk.DK", expected_fingerprint=None, now=NOW)
        assert info.fingerprint == plain
    finally:
        maker.close()
