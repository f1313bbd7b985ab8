"""The sign-in settings (``KSP_OIDC_*``, ``KSP_SESSION_*``, ``KSP_PUBLIC_URL``,
``KSP_DEV_LOGIN``), validated at start-up like the rest of ``ksp.settings``."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "NSIS_SUBSTANTIAL_OR_HIGH",
    "SignInConfigError",
    "SignInSettings",
    "is_loopback",
    "load_sign_in",
]

NSIS = "https://data.gov.dk/concept/core/nsis/loa/"
NSIS_SUBSTANTIAL_OR_HIGH = (NSIS + "Substantial", NSIS + "High")
_CLAIM_NAME = re.compile(r"^[A-Za-z0-9_:./-]{1,200}$")


class SignInConfigError(ValueError):
    """A sign-in variable is missing or malformed; the message names it."""


@dataclass(frozen=True)
class SignInSettings:
    public_url: str
    issuer: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    private_key_pem: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = ("openid", "email")
    required_acr: tuple[str, ...] = NSIS_SUBSTANTIAL_OR_HIGH
    role_claim: str = "role"
    unit_claim: str = "unit"
    mapping_file: str | None = None
    session_idle_minutes: int = 30
    session_max_hours: int = 10
    dev_login: bool = False

    @property
    def secure_cookies(self) -> bool:
        """Secure, ``__Host-`` cookies everywhere but the embedded default's plain HTTP."""
        return self.public_url.startswith("https://")

    @property
    def redirect_uri(self) -> str:
        return self.public_url + "/auth/callback"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _whole(env: Mapping[str, str], name: str, default: int, high: int) -> int:
    raw = env.get(name) or str(default)
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not 1 <= int(raw) <= high:
        raise SignInConfigError(f"{name} must be a whole number from 1 to {high}")
    return int(raw)


def _claim(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    if not _CLAIM_NAME.fullmatch(value):
        raise SignInConfigError(f"{name} must be a claim name")
    return value


def _public_url(env: Mapping[str, str], host: str, port: int, *, provider: bool) -> str:
    default = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    url = (env.get("KSP_PUBLIC_URL") or default).rstrip("/")
    if not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+", url):
        raise SignInConfigError("KSP_PUBLIC_URL must be scheme://host[:port], without a path")
    if provider and url.startswith("http://") and not is_loopback(host):
        raise SignInConfigError(
            "KSP_PUBLIC_URL must be https:// with KSP_OIDC_ISSUER unless KSP_HOST is loopback"
        )
    return url


def _private_key(env: Mapping[str, str]) -> str | None:
    name = env.get("KSP_OIDC_PRIVATE_KEY_FILE")
    if not name:
        return None
    try:
        if Path(name).stat().st_mode & 0o077:
            raise SignInConfigError("KSP_OIDC_PRIVATE_KEY_FILE must not be open to others")
        pem = Path(name).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise SignInConfigError("KSP_OIDC_PRIVATE_KEY_FILE must name a readable PEM file") from None
    if "PRIVATE KEY-----" not in pem:
        raise SignInConfigError("KSP_OIDC_PRIVATE_KEY_FILE must hold a PEM private key")
    return pem


def _provider(env: Mapping[str, str]) -> dict[str, object]:
    issuer = env.get("KSP_OIDC_ISSUER") or None
    if issuer is None:
        return {}
    if not re.fullmatch(r"https?://\S+", issuer):
        raise SignInConfigError("KSP_OIDC_ISSUER must be an http(s) URL")
    client_id = env.get("KSP_OIDC_CLIENT_ID")
    if not client_id:
        raise SignInConfigError("KSP_OIDC_CLIENT_ID is required with KSP_OIDC_ISSUER")
    secret, key = env.get("KSP_OIDC_CLIENT_SECRET") or None, _private_key(env)
    if (secret is None) == (key is None):
        raise SignInConfigError(
            "set exactly one of KSP_OIDC_CLIENT_SECRET and KSP_OIDC_PRIVATE_KEY_FILE"
        )
    scopes = tuple((env.get("KSP_OIDC_SCOPES") or "openid email").split())
    if "openid" not in scopes:
        raise SignInConfigError("KSP_OIDC_SCOPES must include openid")
    acr = tuple((env.get("KSP_OIDC_REQUIRED_ACR") or " ".join(NSIS_SUBSTANTIAL_OR_HIGH)).split())
    mapping = env.get("KSP_OIDC_MAPPING_FILE") or None
    if mapping is not None and not Path(mapping).is_file():
        raise SignInConfigError("KSP_OIDC_MAPPING_FILE must name a readable file")
    return {
        "issuer": issuer.rstrip("/"),
        "client_id": client_id,
        "client_secret": secret,
        "private_key_pem": key,
        "scopes": scopes,
        "required_acr": acr,
        "role_claim": _claim(env, "KSP_OIDC_ROLE_CLAIM", "role"),
        "unit_claim": _claim(env, "KSP_OIDC_UNIT_CLAIM", "unit"),
        "mapping_file": mapping,
    }


def load_sign_in(env: Mapping[str, str], host: str, port: int) -> SignInSettings:
    """The sign-in settings; the development sign-in is on only without an issuer, and only
    on a loopback host unless ``KSP_DEV_LOGIN=true`` says otherwise."""
    dev_flag = (env.get("KSP_DEV_LOGIN") or "").lower()
    if dev_flag not in {"", "true", "false"}:
        raise SignInConfigError("KSP_DEV_LOGIN must be true or false")
    provider = _provider(env)
    if provider and dev_flag == "true":
        raise SignInConfigError("KSP_DEV_LOGIN=true cannot be combined with KSP_OIDC_ISSUER")
    dev = not provider and (dev_flag == "true" or (dev_flag == "" and is_loopback(host)))
    return SignInSettings(
        public_url=_public_url(env, host, port, provider=bool(provider)),
        session_idle_minutes=_whole(env, "KSP_SESSION_IDLE_MINUTES", 30, 1440),
        session_max_hours=_whole(env, "KSP_SESSION_MAX_HOURS", 10, 168),
        dev_login=dev,
        **provider,  # type: ignore[arg-type]
    )
