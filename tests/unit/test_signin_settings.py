"""The sign-in settings (CONTRACT.md, "Signing in"): the development sign-in only on a
loopback host unless KSP_DEV_LOGIN=true, one way for the client to authenticate, whole
numbers ≥ 1 for the session lifetimes, and __Host- cookies over HTTPS."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksp.auth.config import NSIS_SUBSTANTIAL_OR_HIGH, load_sign_in
from ksp.auth.context import CookieNames
from ksp.settings import ConfigError, load_settings

ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - what a container binds to
PROVIDER = {
    "KSP_OIDC_ISSUER": "https://login.example.dk",
    "KSP_OIDC_CLIENT_ID": "ksp",
    "KSP_OIDC_CLIENT_SECRET": "s",
}


def test_the_embedded_default_on_loopback_offers_the_development_sign_in() -> None:
    """No issuer and a loopback host: the development sign-in, over plain HTTP."""
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        settings = load_sign_in({}, host, 8000)
        assert settings.dev_login, host
        assert not settings.secure_cookies
    assert load_sign_in({}, "127.0.0.1", 8000).redirect_uri == "http://127.0.0.1:8000/auth/callback"


def test_on_another_host_the_development_sign_in_is_off_unless_asked_for() -> None:
    """0.0.0.0 or a name: off; KSP_DEV_LOGIN=true turns it on anyway."""
    assert not load_sign_in({}, ALL_INTERFACES, 8000).dev_login
    assert not load_sign_in({}, "ksp.example.dk", 8000).dev_login
    assert load_sign_in({"KSP_DEV_LOGIN": "true"}, ALL_INTERFACES, 8000).dev_login
    assert not load_sign_in({"KSP_DEV_LOGIN": "false"}, "127.0.0.1", 8000).dev_login


def test_a_provider_turns_the_development_sign_in_off() -> None:
    """With KSP_OIDC_ISSUER the development sign-in is off, and asking for both is an error."""
    settings = load_sign_in(PROVIDER, "127.0.0.1", 8000)
    assert not settings.dev_login
    assert settings.required_acr == NSIS_SUBSTANTIAL_OR_HIGH
    assert settings.scopes == ("openid", "email")
    with pytest.raises(ValueError, match="KSP_DEV_LOGIN"):
        load_sign_in({**PROVIDER, "KSP_DEV_LOGIN": "true"}, "127.0.0.1", 8000)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"KSP_OIDC_CLIENT_ID": ""}, "KSP_OIDC_CLIENT_ID"),
        ({"KSP_OIDC_CLIENT_SECRET": ""}, "KSP_OIDC_CLIENT_SECRET"),
        ({"KSP_OIDC_ISSUER": "login.example.dk"}, "KSP_OIDC_ISSUER"),
        ({"KSP_OIDC_SCOPES": "email profile"}, "KSP_OIDC_SCOPES"),
        ({"KSP_OIDC_ROLE_CLAIM": "a role"}, "KSP_OIDC_ROLE_CLAIM"),
        ({"KSP_OIDC_MAPPING_FILE": "/nonexistent.json"}, "KSP_OIDC_MAPPING_FILE"),
        ({"KSP_OIDC_PRIVATE_KEY_FILE": "/nonexistent.pem"}, "KSP_OIDC_PRIVATE_KEY_FILE"),
        ({"KSP_DEV_LOGIN": "yes"}, "KSP_DEV_LOGIN"),
        ({"KSP_PUBLIC_URL": "https://ksp.example.dk/app"}, "KSP_PUBLIC_URL"),
        ({"KSP_SESSION_IDLE_MINUTES": "0"}, "KSP_SESSION_IDLE_MINUTES"),
        ({"KSP_SESSION_IDLE_MINUTES": "1.5"}, "KSP_SESSION_IDLE_MINUTES"),
        ({"KSP_SESSION_MAX_HOURS": "-1"}, "KSP_SESSION_MAX_HOURS"),
        ({"KSP_SESSION_MAX_HOURS": "ten"}, "KSP_SESSION_MAX_HOURS"),
    ],
)
def test_a_bad_sign_in_setting_stops_the_start_naming_the_variable(
    tmp_path: Path, changes: dict[str, str], named: str
) -> None:
    """load_settings raises ConfigError with the variable's name."""
    env = {"KSP_DATA_DIR": str(tmp_path), **PROVIDER, **changes}
    with pytest.raises(ConfigError, match=named):
        load_settings(env)


def test_the_client_authenticates_one_way_only(tmp_path: Path) -> None:
    """A client secret or a private key file (private_key_jwt), not both."""
    key = tmp_path / "client.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n")
    key.chmod(0o600)
    env = {**PROVIDER, "KSP_OIDC_PRIVATE_KEY_FILE": str(key)}
    with pytest.raises(ValueError, match="exactly one"):
        load_sign_in(env, "127.0.0.1", 8000)
    del env["KSP_OIDC_CLIENT_SECRET"]
    assert load_sign_in(env, "127.0.0.1", 8000).private_key_pem is not None
    key.chmod(0o644)
    with pytest.raises(ValueError, match="open to others"):
        load_sign_in(env, "127.0.0.1", 8000)


def test_session_lifetimes_and_acr_values_are_read_as_given() -> None:
    """Whole numbers ≥ 1; KSP_OIDC_REQUIRED_ACR and KSP_OIDC_SCOPES space-separated."""
    env = {
        **PROVIDER,
        "KSP_SESSION_IDLE_MINUTES": "1",
        "KSP_SESSION_MAX_HOURS": "1",
        "KSP_OIDC_REQUIRED_ACR": "  urn:a   urn:b ",
        "KSP_OIDC_SCOPES": "openid email ksp",
    }
    settings = load_sign_in(env, "127.0.0.1", 8000)
    assert (settings.session_idle_minutes, settings.session_max_hours) == (1, 1)
    assert settings.required_acr == ("urn:a", "urn:b")
    assert settings.scopes == ("openid", "email", "ksp")
    defaults = load_sign_in(PROVIDER, "127.0.0.1", 8000)
    assert (defaults.session_idle_minutes, defaults.session_max_hours) == (30, 10)


def test_a_provider_on_a_public_host_needs_an_https_public_url() -> None:
    """The redirect URI of a real deployment is HTTPS, and its cookies are then __Host-."""
    with pytest.raises(ValueError, match="KSP_PUBLIC_URL must be https"):
        load_sign_in(PROVIDER, ALL_INTERFACES, 8000)
    env = {**PROVIDER, "KSP_PUBLIC_URL": "https://ksp.example.dk/"}
    settings = load_sign_in(env, ALL_INTERFACES, 8000)
    assert settings.redirect_uri == "https://ksp.example.dk/auth/callback"
    assert settings.secure_cookies
    names = CookieNames(settings.secure_cookies)
    assert (names.session, names.attempt) == ("__Host-ksp_session", "__Host-ksp_signin")


def test_the_client_secret_stays_out_of_the_settings_repr(tmp_path: Path) -> None:
    """Like the other secrets: not in a repr that could reach a log."""
    env = {"KSP_DATA_DIR": str(tmp_path), **PROVIDER, "KSP_OIDC_CLIENT_SECRET": "hush-hush"}
    assert "hush-hush" not in repr(load_settings(env))
