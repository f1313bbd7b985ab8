"""Configuration from ``KSP_*`` environment variables, validated at start-up.

Secrets not given in the environment come from ``$KSP_DATA_DIR/secrets.json``, which the
commands that set a service up generate once (mode 0600, in a 0700 dir; see
``ksp.data_dir``) and every command reuses afterwards. Several instances must share their
secrets through the environment instead (see the README).
"""

from __future__ import annotations

import base64
import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ksp.auth.config import SignInConfigError, SignInSettings, load_sign_in
from ksp.data_dir import DataDirError, read_secrets
from ksp.db.url import DatabaseUrlError, async_database_url
from ksp.domain.reference import InvalidUnitTable, UnitTable, parse_unit_table, shipped_unit_table
from ksp.domain.retention import InvalidRetentionPolicy, RetentionPolicy, parse_retention_policy
from ksp.tokens import secure_key_url
from ksp.witness.policy import InvalidPolicy, Policy, parse_policy

__all__ = ["ConfigError", "Pkcs11Settings", "Settings", "load_settings", "mail_sender"]

DEFAULT_ORIGIN = "ksp.kriminalforsorgen.dk/journal"


class ConfigError(Exception):
    """A ``KSP_*`` value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Pkcs11Settings:
    """The PKCS#11 token that keeps the KEK (``KSP_PKCS11_*``); the PIN is read at start-up."""

    module: str
    token: str
    key_label: str
    pin_file: Path


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    token_secret: bytes = field(repr=False)
    data_keys: Mapping[str, bytes] = field(repr=False)
    data_key_id: str
    cpr_hash_key: bytes = field(repr=False)
    journal_signing_key: bytes = field(repr=False)
    journal_origin: str = DEFAULT_ORIGIN
    witness_policy: Policy | None = None  # KSP_WITNESS_POLICY, a C2SP tlog-policy file
    witness_timeout_ms: int = 2_000
    db_service_role: str | None = None
    database_schema: str | None = None
    mail_from: str = "ksp@localhost"
    mail_signing_key: str | None = field(default=None, repr=False)
    smime_trust_anchors: str | None = field(default=None, repr=False)  # PEM bundle
    smime_crls: tuple[str, ...] = ()  # files or URLs, DER or PEM
    smime_crl_refresh_seconds: int = 3_600  # how often the worker fetches the URLs again
    smime_crl_timeout_seconds: int = 10
    smime_crl_max_bytes: int = 8 * 1024 * 1024
    smime_cert: str | None = field(default=None, repr=False)  # PEM, with its chain
    smime_key: str | None = field(default=None, repr=False)
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_tls: str = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_ca_file: str | None = None
    smtp_messages_per_connection: int = 100
    smtp_connection_seconds: int = 60
    outbox_in_process: bool = True
    outbox_lease_seconds: int = 300
    outbox_poll_ms: int = 2_000
    host: str = "127.0.0.1"
    port: int = 8000
    jwks: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    max_body_bytes: int = 65_536
    token_max_ttl_seconds: int = 43_200
    max_token_bytes: int = 8_192
    max_header_bytes: int = 16_384
    header_timeout_seconds: int = 30
    keep_alive_seconds: int = 5
    max_concurrency: int = 100
    max_connections: int = 1_000
    db_pool_size: int = 20
    db_max_overflow: int = 10
    log_level: str = "INFO"
    sign_in: SignInSettings = field(
        default_factory=lambda: SignInSettings(public_url="http://127.0.0.1:8000", dev_login=True)
    )
    units: UnitTable = field(default_factory=shipped_unit_table, repr=False)
    max_list_entries: int = 500
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    retention_interval_seconds: int = 3_600
    kek_file: Path | None = None
    pkcs11: Pkcs11Settings | None = None
    pdf_workers: int = 2
    pdf_timeout_seconds: int = 30
    pdf_max_bytes: int = 20_000_000

    @property
    def kek_path(self) -> Path:
        """``KSP_KEK_FILE``, else ``kek.json`` in the data dir (made there, 0600)."""
        return self.kek_file or self.data_dir / "kek.json"


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}")
    return value


def _b64(name: str, raw: str, *, min_len: int) -> bytes:
    try:
        value = base64.b64decode(raw, validate=True)
    except ValueError:
        raise ConfigError(f"{name} must be base64") from None
    if len(value) < min_len:
        raise ConfigError(f"{name} must decode to at least {min_len} bytes")
    return value


def _stored_secrets(data_dir: Path, *, create: bool) -> dict[str, str]:
    try:
        return read_secrets(data_dir, create=create)
    except DataDirError as exc:
        raise ConfigError(str(exc)) from None


def _data_keys(env: Mapping[str, str], fallback: str) -> tuple[dict[str, bytes], str]:
    raw = env.get("KSP_DATA_KEYS")
    if not raw:
        return {"k1": base64.b64decode(fallback)}, "k1"  # checked by ksp.data_dir
    keys: dict[str, bytes] = {}
    for item in raw.split(","):
        key_id, sep, encoded = item.strip().partition(":")
        if not sep or not key_id:
            raise ConfigError("KSP_DATA_KEYS must be a comma-separated list of id:base64key")
        key = _b64("KSP_DATA_KEYS", encoded, min_len=32)
        if len(key) != 32:
            raise ConfigError("KSP_DATA_KEYS keys must be exactly 32 bytes")
        keys[key_id] = key
    current = env.get("KSP_DATA_KEY_ID") or next(iter(keys))
    if current not in keys:
        raise ConfigError("KSP_DATA_KEY_ID must name one of the keys in KSP_DATA_KEYS")
    return keys, current


def _signing_key(env: Mapping[str, str], stored: Mapping[str, str]) -> bytes:
    raw = env.get("KSP_JOURNAL_SIGNING_KEY") or stored["journal_signing_key"]
    key = _b64("KSP_JOURNAL_SIGNING_KEY", raw, min_len=32)
    if len(key) != 32:
        raise ConfigError("KSP_JOURNAL_SIGNING_KEY must be a 32-byte Ed25519 seed in base64")
    return key


def _origin(env: Mapping[str, str]) -> str:
    origin = env.get("KSP_JOURNAL_ORIGIN") or DEFAULT_ORIGIN
    if not re.fullmatch(r"[A-Za-z0-9.-]+(/[A-Za-z0-9._-]+)*", origin):
        raise ConfigError("KSP_JOURNAL_ORIGIN must look like host/path, without spaces")
    return origin


def _witness_policy(env: Mapping[str, str]) -> Policy | None:
    name = env.get("KSP_WITNESS_POLICY")
    if not name:
        return None
    try:
        return parse_policy(Path(name).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"KSP_WITNESS_POLICY: {name}: {exc.strerror}") from None
    except (InvalidPolicy, UnicodeDecodeError) as exc:
        raise ConfigError(f"KSP_WITNESS_POLICY: not a C2SP tlog-policy: {exc}") from None


def _schema(env: Mapping[str, str]) -> str | None:
    schema = env.get("KSP_DATABASE_SCHEMA") or None
    if schema is not None and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
        raise ConfigError("KSP_DATABASE_SCHEMA must be a plain lower-case PostgreSQL schema name")
    return schema


def _role(env: Mapping[str, str]) -> str | None:
    role = env.get("KSP_DB_SERVICE_ROLE") or None
    if role is not None and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ConfigError("KSP_DB_SERVICE_ROLE must be a plain lower-case PostgreSQL role name")
    return role


def mail_sender(env: Mapping[str, str]) -> str:
    """KSP_MAIL_FROM (default ``ksp@localhost``), checked; needs no secrets."""
    sender = env.get("KSP_MAIL_FROM") or "ksp@localhost"
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", sender):
        raise ConfigError("KSP_MAIL_FROM must be an e-mail address")
    return sender


def _kek(env: Mapping[str, str]) -> dict[str, Any]:
    """KSP_KEK_FILE, or the four KSP_PKCS11_* settings (all of them, or none)."""
    names = ("KSP_PKCS11_MODULE", "KSP_PKCS11_TOKEN", "KSP_PKCS11_KEY_LABEL", "KSP_PKCS11_PIN_FILE")
    given = [name for name in names if env.get(name)]
    kek_file = Path(env["KSP_KEK_FILE"]).resolve() if env.get("KSP_KEK_FILE") else None
    if not given:
        return {"kek_file": kek_file, "pkcs11": None}
    if len(given) != len(names):
        missing = ", ".join(name for name in names if name not in given)
        raise ConfigError(f"a PKCS#11 KEK needs all of KSP_PKCS11_*: {missing} is missing")
    if kek_file is not None:
        raise ConfigError("set KSP_KEK_FILE or KSP_PKCS11_*, not both")
    module, token, label, pin_file = (env[name] for name in names)
    return {"kek_file": None, "pkcs11": Pkcs11Settings(module, token, label, Path(pin_file))}


def _mail(env: Mapping[str, str]) -> dict[str, Any]:
    """KSP_MAIL_FROM and KSP_SMTP_*: TLS is required (starttls or implicit); no plaintext."""
    tls = (env.get("KSP_SMTP_TLS") or "starttls").lower()
    if tls not in {"starttls", "implicit"}:
        raise ConfigError(
            "KSP_SMTP_TLS must be starttls or implicit (plaintext SMTP is not offered)"
        )
    sender = mail_sender(env)
    in_process = (env.get("KSP_OUTBOX_IN_PROCESS") or "true").lower()
    if in_process not in {"true", "false", "1", "0"}:
        raise ConfigError("KSP_OUTBOX_IN_PROCESS must be true or false")
    return {
        "mail_from": sender,
        "mail_signing_key": _mail_signing_key(env),
        "smtp_host": env.get("KSP_SMTP_HOST") or None,
        "smtp_port": _int(env, "KSP_SMTP_PORT", 465 if tls == "implicit" else 587, 1, 65535),
        "smtp_tls": tls,
        "smtp_username": env.get("KSP_SMTP_USERNAME") or None,
        "smtp_password": env.get("KSP_SMTP_PASSWORD") or None,
        "smtp_ca_file": _ca_file(env),
        "smtp_messages_per_connection": _int(
            env, "KSP_SMTP_MESSAGES_PER_CONNECTION", 100, 1, 10_000
        ),
        "smtp_connection_seconds": _int(env, "KSP_SMTP_CONNECTION_SECONDS", 60, 1, 3_600),
        "outbox_in_process": in_process in {"true", "1"},
        "outbox_lease_seconds": _int(env, "KSP_OUTBOX_LEASE_SECONDS", 300, 1, 86_400),
        "outbox_poll_ms": _int(env, "KSP_OUTBOX_POLL_MS", 2_000, 50, 600_000),
        **_smime(env),
    }


def _smime(env: Mapping[str, str]) -> dict[str, Any]:
    """KSP_SMIME_TRUST_ANCHORS (a PEM bundle), KSP_SMIME_CRLS (comma-separated files or
    http(s) URLs), KSP_SMIME_CERT_FILE and KSP_SMIME_KEY_FILE (0600), read now."""
    anchors = _pem_file(env, "KSP_SMIME_TRUST_ANCHORS", "CERTIFICATE")
    cert = _pem_file(env, "KSP_SMIME_CERT_FILE", "CERTIFICATE")
    key = _pem_file(env, "KSP_SMIME_KEY_FILE", "PRIVATE KEY", private=True)
    if (cert is None) != (key is None):
        raise ConfigError("KSP_SMIME_CERT_FILE and KSP_SMIME_KEY_FILE must be set together")
    crls = tuple(item.strip() for item in (env.get("KSP_SMIME_CRLS") or "").split(",") if item)
    for source in crls:
        if not source.startswith(("https://", "http://")) and not Path(source).is_file():
            raise ConfigError("KSP_SMIME_CRLS must list readable files or http(s) URLs")
    return {
        "smime_trust_anchors": anchors,
        "smime_crls": crls,
        "smime_crl_refresh_seconds": _int(env, "KSP_SMIME_CRL_REFRESH_SECONDS", 3_600, 60, 86_400),
        "smime_crl_timeout_seconds": _int(env, "KSP_SMIME_CRL_TIMEOUT_SECONDS", 10, 1, 120),
        "smime_crl_max_bytes": _int(
            env, "KSP_SMIME_CRL_MAX_BYTES", 8 * 1024 * 1024, 1_024, 64 * 1024 * 1024
        ),
        "smime_cert": cert,
        "smime_key": key,
    }


def _pem_file(env: Mapping[str, str], name: str, kind: str, *, private: bool = False) -> str | None:
    path = env.get(name)
    if not path:
        return None
    try:
        if private and Path(path).stat().st_mode & 0o077:
            raise ConfigError(f"{name} must not be open to group or others (chmod 600)")
        if Path(path).stat().st_size > 1_048_576:
            raise ConfigError(f"{name} must name a PEM file under 1 MiB")
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeError):
        raise ConfigError(f"{name} must name a readable PEM file") from None
    if f"-----BEGIN {kind}" not in text and not (private and "PRIVATE KEY-----" in text):
        raise ConfigError(f"{name} must name a PEM file of {kind.lower()}s")
    return text


def _ca_file(env: Mapping[str, str]) -> str | None:
    """KSP_SMTP_CA_FILE: PEM CA certificates added to the system's trust store for SMTP."""
    name = env.get("KSP_SMTP_CA_FILE") or None
    if name is not None:
        try:
            ssl.create_default_context().load_verify_locations(cafile=name)
        except (OSError, ssl.SSLError):
            raise ConfigError(
                "KSP_SMTP_CA_FILE must name a readable PEM file of CA certificates"
            ) from None
    return name


def _mail_signing_key(env: Mapping[str, str]) -> str | None:
    """KSP_MAIL_SIGNING_KEY_FILE: the service's armoured OpenPGP secret key, shared by all
    instances (see ``ksp mail new-key``); without it each data dir makes its own key."""
    name = env.get("KSP_MAIL_SIGNING_KEY_FILE")
    if not name:
        return None
    try:
        if Path(name).stat().st_mode & 0o077:
            raise ConfigError(
                "KSP_MAIL_SIGNING_KEY_FILE must not be open to group or others (chmod 600)"
            )
        armour = Path(name).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise ConfigError("KSP_MAIL_SIGNING_KEY_FILE must name a readable ASCII file") from None
    if "-----BEGIN PGP PRIVATE KEY BLOCK-----" not in armour:
        raise ConfigError("KSP_MAIL_SIGNING_KEY_FILE must hold an armoured OpenPGP secret key")
    return armour


def _duration_seconds(env: Mapping[str, str], name: str, default: int, high: int) -> int:
    """Seconds, or a whole number with ``s``, ``m`` or ``h`` (``12h``)."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    match = re.fullmatch(r"(\d{1,9})([smh]?)", raw)
    if match is None:
        raise ConfigError(f"{name} must be a whole number of seconds, or end in s, m or h")
    seconds = int(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]
    if not 1 <= seconds <= high:
        raise ConfigError(f"{name} must be between 1 second and {high} seconds")
    return seconds


def _jwks(env: Mapping[str, str]) -> str | None:
    """A JWKS file or an ``https://`` URL: keys fetched over plain HTTP could be anyone's
    (only a provider on this machine's loopback may be reached over http)."""
    jwks = env.get("KSP_JWKS") or None
    scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://", jwks or "")
    if scheme is not None and jwks is not None and not secure_key_url(jwks):
        raise ConfigError("KSP_JWKS must be a file or an https:// URL")
    return jwks


def _transport(env: Mapping[str, str]) -> dict[str, Any]:
    """Tokens, and the limits that keep one client from holding the process (README)."""
    header_bytes = _int(env, "KSP_MAX_HEADER_BYTES", 16_384, 4_096, 65_536)
    return {
        "jwks": _jwks(env),
        "jwt_issuer": env.get("KSP_JWT_ISSUER") or None,
        "jwt_audience": env.get("KSP_JWT_AUDIENCE") or None,
        "token_max_ttl_seconds": _duration_seconds(env, "KSP_TOKEN_MAX_TTL", 43_200, 86_400),
        "max_token_bytes": _int(env, "KSP_MAX_TOKEN_BYTES", 8_192, 1_024, header_bytes),
        "max_header_bytes": header_bytes,
        "header_timeout_seconds": _int(env, "KSP_HEADER_TIMEOUT_SECONDS", 30, 1, 300),
        "keep_alive_seconds": _int(env, "KSP_KEEP_ALIVE_SECONDS", 5, 1, 300),
        "max_concurrency": _int(env, "KSP_MAX_CONCURRENCY", 100, 1, 10_000),
        "max_connections": _int(env, "KSP_MAX_CONNECTIONS", 1_000, 16, 100_000),
    }


def _units(env: Mapping[str, str]) -> UnitTable:
    """KSP_UNITS_FILE replaces the shipped units table; it is checked here, at start-up."""
    name = env.get("KSP_UNITS_FILE")
    if not name:
        return shipped_unit_table()
    try:
        return parse_unit_table(Path(name).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        raise ConfigError("KSP_UNITS_FILE must name a readable UTF-8 file") from None
    except InvalidUnitTable as exc:
        raise ConfigError(f"KSP_UNITS_FILE: {exc}") from None


def _retention(env: Mapping[str, str]) -> RetentionPolicy:
    """KSP_RETENTION_FILE: the retention policy, checked here, at start-up; without it
    nothing is erased."""
    name = env.get("KSP_RETENTION_FILE")
    if not name:
        return RetentionPolicy()
    try:
        return parse_retention_policy(Path(name).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        raise ConfigError("KSP_RETENTION_FILE must name a readable UTF-8 file") from None
    except InvalidRetentionPolicy as exc:
        raise ConfigError(f"KSP_RETENTION_FILE: {exc}") from None


def load_settings(env: Mapping[str, str] | None = None, *, create_secrets: bool = True) -> Settings:
    """Build settings from ``env`` (default: ``os.environ``); raise ConfigError if bad.

    Secrets missing from ``env`` come from the data dir's ``secrets.json``; without
    ``create_secrets`` a data dir that has none is a ConfigError naming ``KSP_DATA_DIR``.
    """
    env = os.environ if env is None else env
    data_dir = Path(env.get("KSP_DATA_DIR") or "var").resolve()
    raw_url = env.get("KSP_DATABASE_URL") or f"sqlite:///{data_dir / 'ksp.sqlite3'}"
    try:
        database_url = async_database_url(raw_url)
    except DatabaseUrlError as exc:
        raise ConfigError(f"KSP_DATABASE_URL: {exc}") from None
    needs_file = any(
        not env.get(name)
        for name in (
            "KSP_TOKEN_SECRET",
            "KSP_DATA_KEYS",
            "KSP_CPR_HASH_KEY",
            "KSP_JOURNAL_SIGNING_KEY",
        )
    )
    stored = _stored_secrets(data_dir, create=create_secrets) if needs_file else {}
    token_secret = env.get("KSP_TOKEN_SECRET") or stored["token_secret"]
    keys, current = _data_keys(env, stored.get("data_key", ""))
    log_level = (env.get("KSP_LOG_LEVEL") or "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError("KSP_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
    host = env.get("KSP_HOST") or "127.0.0.1"
    port = _int(env, "KSP_PORT", 8000, 1, 65535)
    try:
        sign_in = load_sign_in(env, host, port)
    except SignInConfigError as exc:
        raise ConfigError(str(exc)) from None
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        token_secret=_b64("KSP_TOKEN_SECRET", token_secret, min_len=32),
        data_keys=keys,
        data_key_id=current,
        cpr_hash_key=_b64(
            "KSP_CPR_HASH_KEY", env.get("KSP_CPR_HASH_KEY") or stored["cpr_hash_key"], min_len=32
        ),
        journal_signing_key=_signing_key(env, stored),
        journal_origin=_origin(env),
        witness_policy=_witness_policy(env),
        witness_timeout_ms=_int(env, "KSP_WITNESS_TIMEOUT_MS", 2_000, 100, 30_000),
        db_service_role=_role(env),
        database_schema=_schema(env),
        **_mail(env),
        host=host,
        port=port,
        **_transport(env),
        max_body_bytes=_int(env, "KSP_MAX_BODY_BYTES", 65_536, 1_024, 10_485_760),
        db_pool_size=_int(env, "KSP_DB_POOL_SIZE", 20, 1, 500),
        db_max_overflow=_int(env, "KSP_DB_MAX_OVERFLOW", 10, 0, 500),
        log_level=log_level,
        sign_in=sign_in,
        units=_units(env),
        max_list_entries=_int(env, "KSP_MAX_LIST_ENTRIES", 500, 1, 100_000),
        retention=_retention(env),
        retention_interval_seconds=_int(env, "KSP_RETENTION_INTERVAL", 3_600, 60, 86_400),
        **_kek(env),
        pdf_workers=_int(env, "KSP_PDF_WORKERS", 2, 1, 32),
        pdf_timeout_seconds=_int(env, "KSP_PDF_TIMEOUT_SECONDS", 30, 1, 600),
        pdf_max_bytes=_int(env, "KSP_PDF_MAX_BYTES", 20_000_000, 100_000, 500_000_000),
    )
