"""The service's keyring: a private home, one service key, encryption to pinned keys only."""

from __future__ import annotations

import stat
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import gnupg
import pytest

from ksp.mail.key_policy import KeyProblem, KeyRejected
from ksp.mail.keyring import EncryptionFailed, Keyring
from ksp.mail.service_key import check_service_key, new_service_key
from support.keys import DAY, NOW, YEAR, YESTERDAY, Catalogue, agent_command_lines, made_catalogue

SENDER = "ksp@x.dk"
PAYLOAD = b"<p>KSP-liste</p>" * 1280  # 20 KB


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalogue]:
    with made_catalogue(tmp_path_factory.mktemp("keys")) as made:
        yield made


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> Iterator[Keyring]:
    """The service keyring with Alice's good key and some unusable ones imported."""
    keyring = Keyring(tmp_path_factory.mktemp("service") / "gnupg", sender_email=SENDER)
    for fingerprint in [
        catalogue.good,
        catalogue.expired,
        catalogue.sign_only,
        catalogue.revoked,
        catalogue.subkey_expired,
    ]:
        assert keyring.import_recipient(catalogue.maker.public(fingerprint)) == fingerprint
    try:
        yield keyring
    finally:
        keyring.close()


def secret_keys(home: Path) -> list[str]:
    return [key["fingerprint"] for key in gnupg.GPG(gnupghome=str(home)).list_keys(secret=True)]


def test_the_home_is_made_private_and_an_existing_one_is_made_private(tmp_path: Path) -> None:
    """Mode 0700, whether the home is new or was left open to others."""
    new = Keyring(tmp_path / "new" / "gnupg", sender_email=SENDER)
    assert stat.S_IMODE(new.home.stat().st_mode) == 0o700
    existing = tmp_path / "existing"
    existing.mkdir(mode=0o755)
    Keyring(existing, sender_email=SENDER)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o700


def test_keyrings_started_together_on_one_home_make_one_service_key(tmp_path: Path) -> None:
    """The file lock: two keyrings racing to make the key end up sharing one."""
    home = tmp_path / "gnupg"
    keyrings = [Keyring(home, sender_email=SENDER) for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            made = set(pool.map(Keyring.service_fingerprint, keyrings))
        later = Keyring(home, sender_email=SENDER).service_fingerprint()
        assert len(made) == 1
        assert made == {later}
        assert secret_keys(home) == [later]
    finally:
        keyrings[0].close()


def test_instances_given_one_configured_key_sign_as_one_service(tmp_path: Path) -> None:
    """KSP_MAIL_SIGNING_KEY_FILE: two homes (two instances) import the same key, no other."""
    armour = new_service_key(SENDER)
    expected = check_service_key(armour, SENDER).fingerprint
    keyrings = [
        Keyring(tmp_path / name, sender_email=SENDER, service_key=armour) for name in ("a", "b")
    ]
    try:
        assert [k.service_fingerprint() for k in keyrings] == [expected, expected]
        assert [secret_keys(k.home) for k in keyrings] == [[expected], [expected]]
    finally:
        for keyring in keyrings:
            keyring.close()


def test_a_home_with_another_key_than_the_configured_one_is_refused(tmp_path: Path) -> None:
    """An instance never signs as an identity other than the configured one."""
    home = tmp_path / "gnupg"
    own = Keyring(home, sender_email=SENDER)
    own.service_fingerprint()
    own.close()
    configured = Keyring(home, sender_email=SENDER, service_key=new_service_key(SENDER))
    with pytest.raises(RuntimeError, match="another key than the configured one"):
        configured.service_fingerprint()
    configured.close()


def test_a_configured_key_file_must_hold_exactly_one_secret_signing_key(
    catalogue: Catalogue,
) -> None:
    """A public key alone, two secret keys, or no key at all is refused before it reaches
    the keyring."""
    maker = catalogue.maker
    two = maker.secret(catalogue.good) + maker.secret(catalogue.expired)
    for armour in (maker.public(catalogue.good), two, "not a key"):
        with pytest.raises(ValueError, match="exactly one secret key"):
            check_service_key(armour, "alice@example.com")


def test_a_configured_key_for_another_sender_is_refused() -> None:
    """Mail from KSP_MAIL_FROM is never signed by a key that names another address."""
    with pytest.raises(ValueError, match="no user ID with the sender address"):
        check_service_key(new_service_key("ksp@localhost"), SENDER)


def test_a_configured_key_behind_a_passphrase_is_refused(tmp_path: Path) -> None:
    """The service cannot type a passphrase: such a key would fail every circulation, so
    it is refused at start-up instead (a test signature is made)."""
    home = tmp_path / "protected"
    home.mkdir(mode=0o700)
    gpg = ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback"]
    made = ["--passphrase", "hemmeligt", "--quick-gen-key", f"KSP <{SENDER}>", "ed25519"]
    subprocess.run([*gpg, *made, "sign", "never"], check=True, capture_output=True)
    exported = subprocess.run(
        [*gpg, "--passphrase", "hemmeligt", "--armor", "--export-secret-keys"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
    with pytest.raises(ValueError, match="cannot sign without a passphrase"):
        check_service_key(exported, SENDER)


def test_only_the_service_key_itself_enters_the_keyring(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    """Other keys in the file (here a recipient's public key) are left out: recipients'
    keys come in only through registration's checks."""
    armour = new_service_key(SENDER) + catalogue.maker.public(catalogue.good)
    keyring = Keyring(tmp_path / "gnupg", sender_email=SENDER, service_key=armour)
    try:
        keyring.service_fingerprint()
        listed = gnupg.GPG(gnupghome=str(keyring.home)).list_keys()
        assert [key["fingerprint"] for key in listed] == secret_keys(keyring.home)
    finally:
        keyring.close()


def test_the_service_key_signs_with_ed25519_encrypts_with_cv25519_and_never_expires(
    service: Keyring, tmp_path: Path
) -> None:
    """As published by ``ksp mail key``: one public key, user ID "KSP service <sender>"."""
    armour = service.service_public_key()
    assert armour.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----")
    assert "PRIVATE" not in armour
    (key,) = gnupg.GPG(gnupghome=str(tmp_path)).scan_keys_mem(armour)
    assert key["fingerprint"] == service.service_fingerprint()
    assert key["uids"] == [f"KSP service <{SENDER}>"]
    assert (key["type"], key["curve"], key["cap"][:2], key["expires"]) == (
        "pub",
        "ed25519",
        "sc",
        "",
    )
    (subkey,) = key["subkey_info"].values()
    assert (subkey["curve"], subkey["cap"], subkey["expires"]) == ("cv25519", "e", "")


def test_a_usable_pinned_key_is_usable_now(service: Keyring, catalogue: Catalogue) -> None:
    """Present, not revoked, able to encrypt: true until the key expires in two years."""
    assert service.usable_now(catalogue.good, NOW)
    assert service.usable_now(catalogue.good.lower(), NOW, min_validity=YEAR)
    assert not service.usable_now(catalogue.good, NOW, min_validity=2 * YEAR)
    assert not service.usable_now(catalogue.good, YESTERDAY + 2 * YEAR + DAY)


def test_a_missing_or_unusable_key_is_not_usable_now(
    service: Keyring, catalogue: Catalogue
) -> None:
    """Not imported, a subkey's fingerprint, no fingerprint, expired, revoked, sign-only."""
    subkey = gnupg.GPG(gnupghome=str(service.home)).list_keys(keys=[catalogue.good])
    subkey_fingerprint = subkey[0]["subkeys"][0][2]
    for fingerprint in [
        catalogue.other,
        subkey_fingerprint,
        catalogue.good[-16:],
        catalogue.expired,
        catalogue.revoked,
        catalogue.sign_only,
        catalogue.subkey_expired,
    ]:
        assert not service.usable_now(fingerprint, NOW), fingerprint


def test_the_keys_of_a_circulation_are_checked_in_one_listing_with_the_same_answers(
    service: Keyring, catalogue: Catalogue
) -> None:
    """``usable_all`` answers as ``usable_now`` does key by key: with every key present in
    one gpg listing, and (one key missing fails that listing) key by key."""
    present = [
        catalogue.good,
        catalogue.expired,
        catalogue.revoked,
        catalogue.sign_only,
        catalogue.subkey_expired,
    ]
    assert service.usable_all(present, NOW) == {catalogue.good}
    assert service.usable_all([*present, catalogue.other, "not a fingerprint"], NOW) == {
        catalogue.good
    }
    assert service.usable_all([], NOW) == set()


def test_only_one_public_key_can_be_imported(service: Keyring, catalogue: Catalogue) -> None:
    """No secret key, no second key and no garbage enters the service's keyring."""
    cases = {
        catalogue.maker.secret(catalogue.other): KeyProblem.NOT_OPENPGP,
        catalogue.maker.public(catalogue.other, catalogue.forever): KeyProblem.NOT_ONE_KEY,
        "hello": KeyProblem.NOT_OPENPGP,
    }
    for armored, problem in cases.items():
        with pytest.raises(KeyRejected) as caught:
            service.import_recipient(armored)
        assert caught.value.reason is problem
    assert secret_keys(service.home) == [service.service_fingerprint()]
    assert not service.usable_now(catalogue.other, NOW)


def test_a_message_is_encrypted_to_the_recipient_alone(
    service: Keyring, catalogue: Catalogue
) -> None:
    """One recipient packet, for Alice's encryption subkey: not the service, no one else."""
    message = service.encrypt_and_sign(PAYLOAD, catalogue.good)
    assert message.startswith(b"-----BEGIN PGP MESSAGE-----")
    assert PAYLOAD[:16] not in message
    recipients = gnupg.GPG(gnupghome=str(service.home)).get_recipients(message)
    assert recipients == catalogue.maker.encryption_subkeys(catalogue.good)


def test_the_recipient_decrypts_and_the_service_key_signed(
    service: Keyring, catalogue: Catalogue
) -> None:
    """Alice's own keyring gets the bytes back with a valid signature by the service key."""
    catalogue.maker.gpg("--import", stdin=service.service_public_key().encode())
    result = catalogue.maker.decrypt(service.encrypt_and_sign(PAYLOAD, catalogue.good))
    assert result.ok
    assert result.data == PAYLOAD
    assert result.valid
    assert result.fingerprint == result.pubkey_fingerprint == service.service_fingerprint()


@pytest.mark.parametrize(
    "which", ["other", "expired", "sign_only", "revoked", "subkey_expired", "not-a-fingerprint"]
)
def test_encryption_fails_rather_than_return_anything_else(
    service: Keyring, catalogue: Catalogue, which: str
) -> None:
    """A key not imported, unable to encrypt or not named by fingerprint: EncryptionFailed."""
    recipient = getattr(catalogue, which, "a@x.dk")
    with pytest.raises(EncryptionFailed):
        service.encrypt_and_sign(PAYLOAD, recipient)


def test_four_threads_encrypt_at_once(service: Keyring, catalogue: Catalogue) -> None:
    """Concurrent calls each get their own complete, decryptable message."""
    payloads = [PAYLOAD + bytes([i]) for i in range(12)]
    with ThreadPoolExecutor(4) as pool:
        messages = list(pool.map(lambda p: service.encrypt_and_sign(p, catalogue.good), payloads))
    catalogue.maker.gpg("--import", stdin=service.service_public_key().encode())
    for payload, message in zip(payloads, messages, strict=True):
        result = catalogue.maker.decrypt(message)
        assert (result.data, result.valid) == (payload, True)


def test_close_stops_the_homes_agent(tmp_path: Path, catalogue: Catalogue) -> None:
    """Signing starts gpg-agent for the home; close() leaves none running for it."""
    keyring = Keyring(tmp_path / "gnupg", sender_email=SENDER)
    keyring.import_recipient(catalogue.maker.public(catalogue.good))
    keyring.encrypt_and_sign(b"x", catalogue.good)
    home = str(keyring.home)
    assert [line for line in agent_command_lines() if f"--homedir {home} " in line]
    keyring.close()
    assert not [line for line in agent_command_lines() if f"--homedir {home} " in line]


@pytest.mark.parametrize(
    ("email", "name"),
    [
        ("ksp@x.dk\nName-Comment: x", "KSP service"),
        ("<ksp@x.dk>", "KSP service"),
        ("ksp", "KSP service"),
        (SENDER, "KSP <service>"),
        (SENDER, "KSP\nservice"),
    ],
)
def test_the_sender_must_be_a_plain_address_and_name(tmp_path: Path, email: str, name: str) -> None:
    """Nothing can slip into gpg's key parameters through the configured sender."""
    with pytest.raises(ValueError, match="sender"):
        Keyring(tmp_path, sender_email=email, sender_name=name)


def test_timedelta_zero_is_the_default_minimum_validity(
    service: Keyring, catalogue: Catalogue
) -> None:
    """usable_now judges the moment itself unless asked for more."""
    end = YESTERDAY + 2 * YEAR
    assert service.usable_now(catalogue.good, end - timedelta(seconds=1))
    assert not service.usable_now(catalogue.good, end)
