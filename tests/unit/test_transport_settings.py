"""Issue 7, findings 4 and 6: the token and transport limits are explicit settings, and a
JWKS over plain HTTP stops the start-up."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from ksp.settings import ConfigError, load_settings


def env_with(tmp_path: Path, **values: str) -> dict[str, str]:
    key = base64.b64encode(os.urandom(32)).decode()
    return {
        "KSP_DATA_DIR": str(tmp_path),
        "KSP_TOKEN_SECRET": key,
        "KSP_DATA_KEYS": f"k1:{key}",
        "KSP_CPR_HASH_KEY": key,
        "KSP_JOURNAL_SIGNING_KEY": key,
        **values,
    }


def test_the_transport_limits_have_the_documented_defaults(tmp_path: Path) -> None:
    """16 KiB of headers, 8 KiB of token, 30 s for headers, 12 h of token life (README)."""
    settings = load_settings(env_with(tmp_path))
    assert settings.max_header_bytes == 16_384
    assert settings.max_token_bytes == 8_192
    assert settings.header_timeout_seconds == 30
    assert settings.keep_alive_seconds == 5
    assert settings.token_max_ttl_seconds == 12 * 3600
    assert settings.max_concurrency == 100
    assert settings.max_connections == 1_000


@pytest.mark.parametrize(
    ("raw", "seconds"), [("3600", 3600), ("90m", 5400), ("8h", 28_800), ("45s", 45)]
)
def test_the_maximum_token_lifetime_takes_seconds_or_a_unit(
    tmp_path: Path, raw: str, seconds: int
) -> None:
    """KSP_TOKEN_MAX_TTL: a whole number of seconds, or with s, m or h."""
    settings = load_settings(env_with(tmp_path, KSP_TOKEN_MAX_TTL=raw))
    assert settings.token_max_ttl_seconds == seconds


@pytest.mark.parametrize("raw", ["12 hours", "-1", "0", "2d", "25h"])
def test_a_bad_maximum_token_lifetime_is_a_configuration_error(tmp_path: Path, raw: str) -> None:
    """A lifetime that is not a duration, or is over a day, stops the start-up by name."""
    with pytest.raises(ConfigError, match="KSP_TOKEN_MAX_TTL"):
        load_settings(env_with(tmp_path, KSP_TOKEN_MAX_TTL=raw))


@pytest.mark.parametrize(
    "url", ["http://idp.example/jwks", "HTTP://idp.example/jwks", "http://127.0.0.2.nip.io/jwks"]
)
def test_a_jwks_url_over_plain_http_is_a_configuration_error(tmp_path: Path, url: str) -> None:
    """KSP_JWKS: keys fetched over plain HTTP could be anyone's; only https:// is taken."""
    with pytest.raises(ConfigError, match="KSP_JWKS must be a file or an https:// URL"):
        load_settings(env_with(tmp_path, KSP_JWKS=url))


def test_a_jwks_file_or_https_url_is_taken(tmp_path: Path) -> None:
    """A file path or an https:// URL is a valid KSP_JWKS."""
    for value in (str(tmp_path / "jwks.json"), "https://idp.example/jwks"):
        assert load_settings(env_with(tmp_path, KSP_JWKS=value)).jwks == value


def test_a_token_limit_larger_than_the_header_limit_is_a_configuration_error(
    tmp_path: Path,
) -> None:
    """KSP_MAX_TOKEN_BYTES cannot exceed KSP_MAX_HEADER_BYTES: the token travels in a header."""
    with pytest.raises(ConfigError, match="KSP_MAX_TOKEN_BYTES"):
        load_settings(env_with(tmp_path, KSP_MAX_HEADER_BYTES="8192", KSP_MAX_TOKEN_BYTES="16384"))
