"""The embedded default keeper: KEKs in a JSON file (``KSP_KEK_FILE``, else
``$KSP_DATA_DIR/kek.json``), mode 0600, apart from ``secrets.json``.

The file is ``{"current": id, "keys": {id: base64 key}}``. Wrapping is AES-256-GCM under the
KEK with the KEK id and the data key's associated data as AAD: ``nonce ‖ ciphertext ‖ tag``.
Rotation writes a new file atomically (temporary file, fsync, rename), so a kill leaves the
old file or the new one, never half of either.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ksp.keys.kek import KekError, UnwrapFailed

__all__ = ["FileKekKeeper"]

_NONCE = 12


class FileKekKeeper:
    def __init__(self, path: Path, *, create: bool = True) -> None:
        self._path = path
        self._lock = threading.Lock()
        if not path.exists():
            if not create:
                raise KekError(f"KSP_KEK_FILE ({path}) does not exist")
            _write_new(path)
        self._stamp = _stamp(path)
        self._current, self._keys = _read(path)

    def _fresh(self) -> None:
        """Read the file again if another process (``ksp keys rotate``) replaced it, so a
        running service wraps under the new KEK and unwraps what was rewrapped."""
        stamp = _stamp(self._path)
        if stamp != self._stamp:
            with self._lock:
                self._current, self._keys = _read(self._path)
                self._stamp = stamp

    @property
    def current(self) -> str:
        self._fresh()
        return self._current

    def kek_ids(self) -> list[str]:
        self._fresh()
        return sorted(self._keys)

    def wrap(self, key: bytes, aad: bytes) -> bytes:
        self._fresh()
        return self._wrap_under(self._current, key, aad)

    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        if kek_id not in self._keys:
            self._fresh()
        aead = self._keys.get(kek_id)
        if aead is None or len(wrapped) < _NONCE + 16:
            raise UnwrapFailed
        try:
            return aead.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], _aad(kek_id, aad))
        except InvalidTag:
            raise UnwrapFailed from None

    def rewrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        return self.wrap(self.unwrap(kek_id, wrapped, aad), aad)

    def add_current(self) -> str:
        with self._lock:
            raw = _raw(self._path)
            kek_id = _new_id(raw["keys"])
            raw["keys"][kek_id] = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
            raw["current"] = kek_id
            _replace(self._path, raw)
            self._current, self._keys = _read(self._path)
            self._stamp = _stamp(self._path)
            return kek_id

    def retire(self, kek_id: str) -> None:
        with self._lock:
            raw = _raw(self._path)
            if kek_id == raw["current"]:
                raise KekError("the current KEK cannot be retired")
            if raw["keys"].pop(kek_id, None) is None:
                raise KekError(f"KSP_KEK_FILE holds no KEK {kek_id}")
            _replace(self._path, raw)
            self._current, self._keys = _read(self._path)
            self._stamp = _stamp(self._path)

    def _wrap_under(self, kek_id: str, key: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._keys[kek_id].encrypt(nonce, key, _aad(kek_id, aad))


def _stamp(path: Path) -> tuple[int, int, int]:
    try:
        found = path.stat()
    except OSError:
        raise KekError(f"KSP_KEK_FILE ({path}) could not be read") from None
    return found.st_ino, found.st_mtime_ns, found.st_size


def _aad(kek_id: str, aad: bytes) -> bytes:
    return kek_id.encode("ascii") + b"\x00" + aad


def _new_id(existing: dict[str, str]) -> str:
    while (kek_id := f"file-{secrets.token_hex(4)}") in existing:
        pass
    return kek_id


def _raw(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise KekError(f"KSP_KEK_FILE ({path}) is not a readable KEK file") from None
    if not (
        isinstance(raw, dict)
        and isinstance(raw.get("keys"), dict)
        and isinstance(raw.get("current"), str)
        and raw["current"] in raw["keys"]
    ):
        raise KekError(f"KSP_KEK_FILE ({path}) must be {{'current': id, 'keys': {{id: key}}}}")
    return raw


def _read(path: Path) -> tuple[str, dict[str, AESGCM]]:
    raw = _raw(path)
    keys = {}
    for kek_id, encoded in raw["keys"].items():
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, TypeError, ValueError):
            key = b""
        if len(key) != 32 or not str(kek_id).isascii():
            raise KekError(f"KSP_KEK_FILE ({path}): KEKs must be 32 bytes of base64")
        keys[str(kek_id)] = AESGCM(key)
    return str(raw["current"]), keys


def _write_new(path: Path) -> None:
    """A first KEK, linked into place only if no other process made the file first."""
    kek_id = _new_id({})
    body = {"current": kek_id, "keys": {kek_id: base64.b64encode(secrets.token_bytes(32)).decode()}}
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    _write_private(temporary, body)
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def _replace(path: Path, body: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    _write_private(temporary, body)
    temporary.replace(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _write_private(path: Path, body: dict[str, Any]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        json.dump(body, out, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
