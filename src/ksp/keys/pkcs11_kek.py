"""A keeper whose KEKs live in a PKCS#11 token (an HSM; SoftHSM2 in the tests).

Settings: ``KSP_PKCS11_MODULE`` (the library), ``KSP_PKCS11_TOKEN`` (the token label),
``KSP_PKCS11_KEY_LABEL`` (the AES KEK's label) and ``KSP_PKCS11_PIN_FILE`` (the user PIN,
read once at start-up). Wrapping and unwrapping happen inside the token (``C_WrapKey`` /
``C_UnwrapKey`` with ``CKM_AES_KEY_WRAP_PAD``, RFC 5649): the KEK is made non-extractable
and never leaves it. What is wrapped is the data key followed by 16 bytes of SHA-256 of
the associated data, checked on unwrap, so a wrapped key is bound to its id and owner.

A KEK's id is ``pkcs11:<token>/<label>``. Rotation makes a new AES key in the token
labelled ``<label>#2``, ``#3`` …; the highest generation is current. Start-up fails with
:class:`KekError` on a missing module or token, a wrong PIN, a missing KEK or one not
allowed to wrap and unwrap (``CKA_WRAP`` false), before anything is read or written.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from pathlib import Path
from typing import Any

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11

from ksp.keys.kek import KekError, UnwrapFailed

__all__ = ["Pkcs11KekKeeper"]

_MECHANISM = Mechanism.AES_KEY_WRAP_PAD
_BINDING = 16
_PREFIX = "pkcs11:"
_RELOAD_SECONDS = 60.0


class Pkcs11KekKeeper:
    def __init__(self, module: str, token: str, key_label: str, pin_file: Path) -> None:
        self._base = key_label
        self._lock = threading.Lock()
        self._session = _open_session(module, token, _read_pin(pin_file))
        self._prefix = f"{_PREFIX}{token}/"
        self._keks: dict[str, Any] = {}
        self._load()
        if not self._keks:
            raise KekError(f"KSP_PKCS11_KEY_LABEL: the token holds no AES key {key_label!r}")
        for kek_id, kek in self._keks.items():
            if not (kek[Attribute.WRAP] and kek[Attribute.UNWRAP]):
                raise KekError(
                    f"KSP_PKCS11_KEY_LABEL: the key {kek_id[len(self._prefix) :]!r} may not wrap "
                    "and unwrap (CKA_WRAP and CKA_UNWRAP must be true)"
                )

    def _load(self) -> None:
        pattern = re.compile(re.escape(self._base) + r"(?:#([0-9]+))?")
        found: dict[str, tuple[int, Any]] = {}
        template = {Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.KEY_TYPE: KeyType.AES}
        for kek in self._session.get_objects(template):
            label = str(kek[Attribute.LABEL])
            match = pattern.fullmatch(label)
            if match is not None:
                found[self._prefix + label] = (int(match.group(1) or 1), kek)
        self._keks = {kek_id: kek for kek_id, (_, kek) in found.items()}
        self._loaded_at = time.monotonic()
        self._current = max(found, key=lambda k: found[k][0]) if found else ""

    @property
    def current(self) -> str:
        return self._current

    def kek_ids(self) -> list[str]:
        return sorted(self._keks)

    def wrap(self, key: bytes, aad: bytes) -> bytes:
        with self._lock:
            if time.monotonic() - self._loaded_at > _RELOAD_SECONDS:
                self._load()  # a rotation elsewhere: wrap under the new KEK soon after
            return self._wrap(key, aad)

    def _wrap(self, key: bytes, aad: bytes) -> bytes:
        value = key + hashlib.sha256(aad).digest()[:_BINDING]
        secret = self._session.create_object(
            {
                Attribute.CLASS: ObjectClass.SECRET_KEY,
                Attribute.KEY_TYPE: KeyType.GENERIC_SECRET,
                Attribute.VALUE: value,
                Attribute.TOKEN: False,
                Attribute.EXTRACTABLE: True,
                Attribute.SENSITIVE: False,
            }
        )
        try:
            return bytes(self._keks[self._current].wrap_key(secret, mechanism=_MECHANISM))
        finally:
            secret.destroy()

    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        with self._lock:
            return self._unwrap(kek_id, wrapped, aad)

    def _unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        if kek_id not in self._keks:  # made since start-up, by `ksp keys rotate`
            self._load()
        kek = self._keks.get(kek_id)
        if kek is None:
            raise UnwrapFailed
        try:
            secret = kek.unwrap_key(
                ObjectClass.SECRET_KEY,
                KeyType.GENERIC_SECRET,
                wrapped,
                mechanism=_MECHANISM,
                store=False,
                template={Attribute.EXTRACTABLE: True, Attribute.SENSITIVE: False},
            )
        except p11.PKCS11Error:
            raise UnwrapFailed from None
        try:
            value = bytes(secret[Attribute.VALUE])
        finally:
            secret.destroy()
        key, binding = value[:-_BINDING], value[-_BINDING:]
        if len(key) != 32 or not hmac.compare_digest(
            binding, hashlib.sha256(aad).digest()[:_BINDING]
        ):
            raise UnwrapFailed
        return key

    def rewrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        with self._lock:
            return self._wrap(self._unwrap(kek_id, wrapped, aad), aad)

    def add_current(self) -> str:
        with self._lock:
            generation = 1 + max(
                int(k.rsplit("#", 1)[1]) if "#" in k[len(self._prefix) + len(self._base) :] else 1
                for k in self._keks
            )
            label = f"{self._base}#{generation}"
            self._session.generate_key(
                KeyType.AES,
                256,
                label=label,
                store=True,
                template={
                    Attribute.WRAP: True,
                    Attribute.UNWRAP: True,
                    Attribute.ENCRYPT: False,
                    Attribute.DECRYPT: False,
                    Attribute.EXTRACTABLE: False,
                    Attribute.SENSITIVE: True,
                },
            )
            self._load()
            return self._prefix + label

    def retire(self, kek_id: str) -> None:
        with self._lock:
            if kek_id == self._current:
                raise KekError("the current KEK cannot be retired")
            kek = self._keks.get(kek_id)
            if kek is None:
                raise KekError(f"the token holds no KEK {kek_id}")
            kek.destroy()
            self._load()


def _read_pin(path: Path) -> str:
    try:
        pin = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise KekError(f"KSP_PKCS11_PIN_FILE ({path}) could not be read") from None
    if not pin:
        raise KekError(f"KSP_PKCS11_PIN_FILE ({path}) is empty")
    return pin


def _open_session(module: str, token: str, pin: str) -> Any:
    """A read-write session on the token, logged in; :class:`KekError` naming the fault."""
    try:
        library = pkcs11.lib(module)
    except (RuntimeError, OSError, p11.PKCS11Error) as exc:
        raise KekError(f"KSP_PKCS11_MODULE ({module}) could not be loaded: {exc}") from None
    try:
        found = library.get_token(token_label=token)
    except p11.NoSuchToken:
        raise KekError(f"KSP_PKCS11_TOKEN: no token labelled {token!r} in the module") from None
    except p11.PKCS11Error as exc:
        raise KekError(f"KSP_PKCS11_TOKEN: the token could not be found ({exc!r})") from None
    try:
        return found.open(user_pin=pin, rw=True)
    except p11.UserAlreadyLoggedIn:  # this process has a keeper on the token already
        return found.open(rw=True)
    except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange):
        raise KekError("KSP_PKCS11_PIN_FILE: the token refused the PIN") from None
    except p11.PinLocked:
        raise KekError("KSP_PKCS11_TOKEN: the token's user PIN is locked") from None
    except p11.PKCS11Error as exc:
        raise KekError(f"KSP_PKCS11_TOKEN: could not log in ({exc!r})") from None
