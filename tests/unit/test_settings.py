"""Configuration (issue 2): KSP_* variables, a clear error for a bad value, secrets kept."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from ksp.settings import ConfigError, load_settings

KEY = base64.b64encode(os.urandom(32)).decode()


def test_the_embedded_default_generates_secrets_once_and_reuses_them(tmp_path: Path) -> None:
    """make run: secrets generated on first start (0600), kept and reused afterwards."""
    env = {"KSP_DATA_DIR": str(tmp_path / "var")}
    first, second = load_settings(env), load_settings(env)
    assert first.token_secret == second.token_secret
    assert first.data_keys == second.data_keys
    mode = stat.S_IMODE((tmp_path / "var" / "secrets.json").stat().st_mode)
    assert mode == 0o600
    assert first.database_url.startswith("sqlite+aiosqlite:///")


def test_secrets_a_newer_release_needs_are_added_to_an_older_file(tmp_path: Path) -> None:
    """An older secrets.json keeps its secrets and gains the missing ones."""
    (tmp_path / "secrets.json").write_text(f'{{"token_secret": "{KEY}"}}')
    settings = load_settings({"KSP_DATA_DIR": str(tmp_path)})
    assert settings.token_secret == base64.b64decode(KEY)
    assert len(settings.journal_signing_key) == 32
    assert load_settings({"KSP_DATA_DIR": str(tmp_path)}) == settings


def test_a_plain_postgresql_url_gets_the_async_driver(tmp_path: Path) -> None:
    """KSP_DATABASE_URL accepts postgresql://user@host:port/db; the service picks its driver."""
    env = {"KSP_DATA_DIR": str(tmp_path), "KSP_DATABASE_URL": "postgresql://ksp@db:5432/ksp"}
    assert load_settings(env).database_url == "postgresql+asyncpg://ksp@db:5432/ksp"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("KSP_PORT", "eighty", "KSP_PORT must be an integer"),
        ("KSP_PORT", "70000", "KSP_PORT must be between 1 and 65535"),
        ("KSP_DATABASE_URL", "mysql://x/y", "KSP_DATABASE_URL: must be a sqlite"),
        ("KSP_DATABASE_URL", "::::", "KSP_DATABASE_URL: is not a database URL"),
        ("KSP_TOKEN_SECRET", "not base64!", "KSP_TOKEN_SECRET must be base64"),
        ("KSP_TOKEN_SECRET", base64.b64encode(b"short").decode(), "at least 32 bytes"),
        ("KSP_DATA_KEYS", "no-colon", "KSP_DATA_KEYS must be a comma-separated"),
        ("KSP_DATA_KEY_ID", "k9", "KSP_DATA_KEY_ID must name one of the keys"),
        ("KSP_LOG_LEVEL", "LOUD", "KSP_LOG_LEVEL must be"),
        ("KSP_MAX_BODY_BYTES", "10", "KSP_MAX_BODY_BYTES must be between"),
        ("KSP_OUTBOX_POLL_MS", "0", "KSP_OUTBOX_POLL_MS must be between 50 and 600000"),
        ("KSP_MAIL_SIGNING_KEY_FILE", "/nonexistent/key.asc", "must name a readable ASCII"),
        ("KSP_SMTP_CA_FILE", "/nonexistent/ca.pem", "KSP_SMTP_CA_FILE must name a readable PEM"),
    ],
)
def test_a_bad_value_is_a_clear_error_naming_the_variable(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    """Issue 2: a clear error at start-up for a bad value."""
    env = {"KSP_DATA_DIR": str(tmp_path), "KSP_DATA_KEYS": f"k1:{KEY}", name: value}
    with pytest.raises(ConfigError, match=message):
        load_settings(env)


def test_secrets_from_the_environment_need_no_file(tmp_path: Path) -> None:
    """Several instances share secrets through configuration; no file is written then."""
    env = {
        "KSP_DATA_DIR": str(tmp_path / "var"),
        "KSP_TOKEN_SECRET": KEY,
        "KSP_DATA_KEYS": f"old:{KEY},new:{base64.b64encode(os.urandom(32)).decode()}",
        "KSP_DATA_KEY_ID": "new",
        "KSP_CPR_HASH_KEY": KEY,
        "KSP_JOURNAL_SIGNING_KEY": KEY,
    }
    settings = load_settings(env)
    assert settings.data_key_id == "new"
    assert set(settings.data_keys) == {"old", "new"}
    assert not (tmp_path / "var").exists()


def test_the_mail_signing_key_file_must_be_private_and_hold_a_secret_key(tmp_path: Path) -> None:
    """KSP_MAIL_SIGNING_KEY_FILE: refused when group or others may read it (like ssh), or
    when it holds no armoured secret key."""
    env = {"KSP_DATA_DIR": str(tmp_path), "KSP_DATA_KEYS": f"k1:{KEY}"}
    key_file = tmp_path / "service-key.asc"
    key_file.write_text("-----BEGIN PGP PRIVATE KEY BLOCK-----\n", encoding="ascii")
    key_file.chmod(0o640)
    with pytest.raises(ConfigError, match="must not be open to group or others"):
        load_settings({**env, "KSP_MAIL_SIGNING_KEY_FILE": str(key_file)})
    key_file.chmod(0o600)
    loaded = load_settings({**env, "KSP_MAIL_SIGNING_KEY_FILE": str(key_file)})
    assert loaded.mail_signing_key is not None
    assert "PRIVATE KEY" not in repr(loaded)  # secrets stay out of any repr
    key_file.write_text("just text", encoding="ascii")
    with pytest.raises(ConfigError, match="must hold an armoured OpenPGP secret key"):
        load_settings({**env, "KSP_MAIL_SIGNING_KEY_FILE": str(key_file)})


def test_a_data_dir_without_secrets_is_refused_when_secrets_may_not_be_made(
    tmp_path: Path,
) -> None:
    """Issue 7: commands that only read secrets name KSP_DATA_DIR and make nothing."""
    data_dir = tmp_path / "elsewhere"
    with pytest.raises(ConfigError, match=r"KSP_DATA_DIR \(.*elsewhere\) is not initialised"):
        load_settings({"KSP_DATA_DIR": str(data_dir)}, create_secrets=False)
    assert not data_dir.exists()


def test_a_secrets_file_lacking_a_secret_is_refused_when_secrets_may_not_be_made(
    tmp_path: Path,
) -> None:
    """An older secrets.json is completed only by a command that sets the service up."""
    path = tmp_path / "secrets.json"
    path.write_text(f'{{"token_secret": "{KEY}"}}')
    with pytest.raises(ConfigError, match="lacks data_key, cpr_hash_key, journal_signing_key"):
        load_settings({"KSP_DATA_DIR": str(tmp_path)}, create_secrets=False)
    assert path.read_text() == f'{{"token_secret": "{KEY}"}}'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is not valid JSON"),
        (b"\xff\xfe", "is not UTF-8 text"),
        (b"null", "must hold a JSON object"),
        (b'{"cpr_hash_key": ["a"]}', "cpr_hash_key must be a base64 string"),
        (f'{{"data_key": "{base64.b64encode(bytes(16)).decode()}"}}'.encode(), "exactly 32"),
        (f'{{"token_secret": "{base64.b64encode(bytes(8)).decode()}"}}'.encode(), "at least 32"),
    ],
)
def test_a_corrupt_secrets_file_is_a_configuration_error_naming_it(
    tmp_path: Path, content: bytes, message: str
) -> None:
    """Issue 7: bad JSON, wrong types or bad values in secrets.json: a ConfigError naming
    the file, whether or not secrets may be made (the file is never overwritten)."""
    path = tmp_path / "secrets.json"
    path.write_bytes(content)
    for create in (True, False):
        with pytest.raises(ConfigError, match=message) as refused:
            load_settings({"KSP_DATA_DIR": str(tmp_path)}, create_secrets=create)
        assert str(refused.value).startswith(str(path))
    assert path.read_bytes() == content


def test_a_data_dir_that_is_a_file_is_a_configuration_error(tmp_path: Path) -> None:
    """KSP_DATA_DIR naming a file: a ConfigError naming KSP_DATA_DIR, not a traceback."""
    file = tmp_path / "var"
    file.write_text("")
    with pytest.raises(ConfigError, match=r"KSP_DATA_DIR \(.*var\) is not a directory"):
        load_settings({"KSP_DATA_DIR": str(file)})


def test_a_new_data_dir_is_private(tmp_path: Path) -> None:
    """Issue 7 finding 10: the data dir is made 0700 and secrets.json 0600, with no
    temporary file left beside it."""
    data_dir = tmp_path / "a" / "var"
    load_settings({"KSP_DATA_DIR": str(data_dir)})
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert [p.name for p in data_dir.iterdir()] == ["secrets.json"]
