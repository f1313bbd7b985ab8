"""Recipients' keys: only one usable public key carrying the recipient's address passes."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ksp.mail.key_policy import KeyInfo, KeyProblem, KeyRejected, normalise_fingerprint
from ksp.mail.recipient_key import inspect_key
from support.keys import (
    ALICE,
    DAY,
    LONG_AGO,
    NOW,
    YEAR,
    YESTERDAY,
    Catalogue,
    KeyMaker,
    agent_command_lines,
    made_catalogue,
)


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    with made_catalogue(tmp_path_factory.mktemp("keys")) as made:
        yield made


@pytest.fixture
def maker(tmp_path: Path) -> Iterator[KeyMaker]:
    """A fresh home for keys a single test makes."""
    made = KeyMaker(tmp_path / "keys")
    try:
        yield made
    finally:
        made.close()


def inspect(
    armored: str,
    *,
    email: str = "a@x.dk",
    expected: str | None = None,
    now: datetime = NOW,
    min_validity: timedelta = timedelta(days=30),
) -> KeyInfo:
    return inspect_key(
        armored, email=email, expected_fingerprint=expected, now=now, min_validity=min_validity
    )


def refusal(armored: str, **kwargs: object) -> KeyProblem:
    with pytest.raises(KeyRejected) as caught:
        inspect(armored, **kwargs)  # type: ignore[arg-type]
    return caught.value.reason


def test_a_good_key_is_accepted_with_its_fingerprint_expiry_and_user_ids(
    catalogue: Catalogue,
) -> None:
    """The fingerprint is 40 upper-case hex; the expiry is the primary key's, to the second."""
    info = inspect(catalogue.maker.public(catalogue.good), expected=catalogue.good)
    assert info == KeyInfo(
        fingerprint=catalogue.good, expires_at=YESTERDAY + 2 * YEAR, user_ids=(ALICE,)
    )
    assert info.expires_at is not None
    assert info.expires_at.tzinfo is UTC


def test_the_expiry_is_the_encryption_subkeys_when_it_ends_first(catalogue: Catalogue) -> None:
    """When the primary never expires, encryption stops with the subkey; None if never."""
    subkey = inspect(catalogue.maker.public(catalogue.subkey_expires))
    assert subkey.expires_at == YESTERDAY + YEAR
    assert inspect(catalogue.maker.public(catalogue.forever)).expires_at is None


@pytest.mark.parametrize("email", ["a@x.dk", "A@X.DK", " a@x.dk "])
def test_the_address_matches_without_regard_to_case(catalogue: Catalogue, email: str) -> None:
    """E-mail addresses compare case-insensitively."""
    assert inspect(catalogue.maker.public(catalogue.good), email=email).fingerprint


def test_a_confirmed_fingerprint_may_be_written_in_groups_and_lower_case(
    catalogue: Catalogue,
) -> None:
    """As read out over the phone: spaces dropped, case ignored."""
    grouped = " ".join(catalogue.good[i : i + 4] for i in range(0, 40, 4)).lower()
    assert inspect(catalogue.maker.public(catalogue.good), expected=grouped).fingerprint


def test_a_key_that_does_not_match_the_confirmed_fingerprint_is_refused(
    catalogue: Catalogue,
) -> None:
    """Another key's fingerprint, or only the tail of the right one (a key ID), never matches."""
    public = catalogue.maker.public(catalogue.good)
    for expected in [catalogue.other, catalogue.good[-16:], catalogue.good[:39], ""]:
        assert refusal(public, expected=expected) is KeyProblem.FINGERPRINT_MISMATCH


def test_an_expired_key_is_refused(catalogue: Catalogue) -> None:
    """A key made 400 days ago that lived one year."""
    assert refusal(catalogue.maker.public(catalogue.expired)) is KeyProblem.EXPIRES_SOON


def test_a_key_expiring_within_the_minimum_validity_is_refused(catalogue: Catalogue) -> None:
    """Ten days left is too few for 30 days, enough for five."""
    public = catalogue.maker.public(catalogue.expires_soon)
    assert refusal(public) is KeyProblem.EXPIRES_SOON
    assert inspect(public, min_validity=5 * DAY).expires_at == YESTERDAY + 11 * DAY


def test_expiry_is_judged_at_the_given_now_not_by_gpgs_clock(catalogue: Catalogue) -> None:
    """Timestamps decide: a good key is expired in three years, an expired one was fine then."""
    good = catalogue.maker.public(catalogue.good)
    assert refusal(good, now=NOW + 3 * YEAR) is KeyProblem.EXPIRES_SOON
    expired = catalogue.maker.public(catalogue.expired)
    assert inspect(expired, now=LONG_AGO + DAY).fingerprint == catalogue.expired


def test_a_revoked_key_is_refused(catalogue: Catalogue) -> None:
    """With its revocation certificate imported, the key may no longer be used."""
    assert refusal(catalogue.maker.public(catalogue.revoked)) is KeyProblem.REVOKED


def test_an_expired_encryption_subkey_is_refused_as_expired(catalogue: Catalogue) -> None:
    """The primary key is valid but the only encryption subkey expired: extend it."""
    public = catalogue.maker.public(catalogue.subkey_expired)
    assert refusal(public) is KeyProblem.EXPIRES_SOON


def test_an_encryption_subkey_expiring_soon_is_refused_as_expired(catalogue: Catalogue) -> None:
    """The only encryption subkey has ten days left."""
    public = catalogue.maker.public(catalogue.subkey_expires_soon)
    assert refusal(public) is KeyProblem.EXPIRES_SOON


def test_a_key_that_cannot_encrypt_is_refused(catalogue: Catalogue) -> None:
    """A sign-only key, and a key whose encryption subkey is revoked."""
    for fingerprint in [catalogue.sign_only, catalogue.subkey_revoked]:
        public = catalogue.maker.public(fingerprint)
        assert refusal(public) is KeyProblem.NO_ENCRYPTION_KEY


@pytest.mark.parametrize(
    "user_id",
    ["Bob <b@x.dk>", "Evil <evil-a@x.dk>", "a@x.dk <evil@y.dk>", "Alice <a@x.dk.evil.example>"],
)
def test_a_key_without_the_address_in_a_user_id_is_refused(maker: KeyMaker, user_id: str) -> None:
    """Only the whole ``<addr>`` part counts: not look-alikes, not an address in the name."""
    fingerprint = maker.make(user_id, at=YESTERDAY)
    assert refusal(maker.public(fingerprint)) is KeyProblem.NO_USER_ID


def test_a_bare_address_user_id_carries_the_address(maker: KeyMaker) -> None:
    """A user ID may be the address alone, without a name or angle brackets."""
    fingerprint = maker.make("a@x.dk", at=YESTERDAY)
    assert inspect(maker.public(fingerprint)).user_ids == ("a@x.dk",)


def test_a_revoked_user_id_does_not_carry_the_address(catalogue: Catalogue) -> None:
    """The address is on the key only in a user ID the owner revoked."""
    public = catalogue.maker.public(catalogue.user_id_revoked)
    assert refusal(public) is KeyProblem.NO_USER_ID
    info = inspect(public, email="alice@home.dk")
    assert info.user_ids == ("Alice at home <alice@home.dk>",)


def test_two_keys_in_one_upload_are_refused(catalogue: Catalogue) -> None:
    """Alice's key with Bob's in the same armour block."""
    both = catalogue.maker.public(catalogue.good, catalogue.other)
    assert refusal(both) is KeyProblem.NOT_ONE_KEY


def test_a_secret_key_is_refused(catalogue: Catalogue) -> None:
    """Secret key material is not a public key, even for the right fingerprint."""
    secret = catalogue.maker.secret(catalogue.good)
    assert refusal(secret, expected=catalogue.good) is KeyProblem.NOT_OPENPGP


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n=AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n",
        "x" * (1024 * 1024 + 1),
    ],
    ids=["empty", "text", "broken-armour", "too-long"],
)
def test_garbage_is_refused(text: str) -> None:
    """Anything that is not a key is 'not an OpenPGP public key'."""
    assert refusal(text) is KeyProblem.NOT_OPENPGP


def test_the_checks_come_in_order(catalogue: Catalogue) -> None:
    """Fingerprint before revocation, revocation before the address, the address before time."""
    revoked = catalogue.maker.public(catalogue.revoked)
    assert refusal(revoked, expected=catalogue.other) is KeyProblem.FINGERPRINT_MISMATCH
    assert refusal(revoked, email="b@x.dk") is KeyProblem.REVOKED
    expired = catalogue.maker.public(catalogue.expired)
    assert refusal(expired, email="b@x.dk") is KeyProblem.NO_USER_ID


def test_a_refusal_says_only_its_fixed_reason(catalogue: Catalogue) -> None:
    """The message is the reason: no address, no fingerprint, no key material."""
    with pytest.raises(KeyRejected) as caught:
        inspect(catalogue.maker.public(catalogue.good), email="b@x.dk")
    assert str(caught.value) == caught.value.reason == "no user ID carries the address"
    assert {problem.value for problem in KeyProblem} == {
        "not an OpenPGP public key",
        "not exactly one key",
        "no user ID carries the address",
        "no usable encryption key",
        "revoked",
        "expired or expires within 30 days",
        "fingerprint does not match",
        "key too weak: RSA under 3072 bits, DSA, ElGamal or a weak curve",
        "a binding self-signature uses SHA-1 or a weaker hash",
        "the encryption key is not valid yet (made in the future)",
    }


def test_inspection_leaves_no_scratch_home_and_no_agent(
    catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A secret key starts gpg-agent in the scratch home; both are gone afterwards."""
    scratch = tmp_path_factory.mktemp("tmp")  # a temporary directory of this test's own
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    refusal(catalogue.maker.secret(catalogue.good))
    assert not list(scratch.iterdir())
    assert not [line for line in agent_command_lines() if str(scratch) in line]


def test_fingerprints_are_normalised_to_40_upper_case_hex() -> None:
    """Spaces go, case is raised; anything but 40 hex digits is no fingerprint."""
    assert normalise_fingerprint("0123 4567 89ab cdef 0123  4567 89AB CDEF 0123 4567") == (
        "0123456789ABCDEF0123456789ABCDEF01234567"
    )
    for text in ["", "0x0123456789ABCDEF0123456789ABCDEF01234567", "G" * 40, "A" * 64]:
        assert normalise_fingerprint(text) is None
