"""The data dir (``KSP_DATA_DIR``) and the secrets it keeps in ``secrets.json``.

The data dir is made 0700 and ``secrets.json`` 0600. The file is made once, atomically:
each process that finds none writes a complete file of fresh secrets under a temporary
name and links it to ``secrets.json``; a link fails if another process got there first,
and every process then reads the file that won. So processes started together on a new
data dir all end up with the same secrets. Secrets a newer release adds are written under
an exclusive lock on the data dir, after reading the file again.

Only the commands that set a service up (``ksp init``, ``ksp db upgrade``, ``ksp serve``)
create secrets; the others read them, and fail with :class:`DataDirError` when there are
none, so that no command hands out a key nobody else has.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

__all__ = ["SECRET_NAMES", "DataDirError", "locked", "read_secrets", "tighten_data_files"]

SECRET_NAMES: Final = ("token_secret", "data_key", "cpr_hash_key", "journal_signing_key")
SECRETS_FILE: Final = "secrets.json"
_EXACT_LENGTH: Final = {"data_key": 32, "journal_signing_key": 32}  # the rest: at least 32
_SECRET_BYTES: Final = 32
_PRIVATE_FILES: Final = (SECRETS_FILE, "ksp.sqlite3", "ksp.sqlite3-wal", "ksp.sqlite3-shm")


class DataDirError(Exception):
    """The data dir or its ``secrets.json`` is missing, unreadable or malformed; the
    message names the file (or ``KSP_DATA_DIR``) and never a secret."""


def read_secrets(data_dir: Path, *, create: bool) -> dict[str, str]:
    """The secrets in ``data_dir/secrets.json`` (base64 text by name), checked.

    With ``create``, a missing data dir or file is made and missing secrets are added;
    without it, either is a :class:`DataDirError` naming ``KSP_DATA_DIR``.
    """
    path = data_dir / SECRETS_FILE
    stored = _read(path)
    if stored is None:
        if not create:
            raise DataDirError(
                f"KSP_DATA_DIR ({data_dir}) is not initialised: it holds no {SECRETS_FILE}. "
                "Point KSP_DATA_DIR at the service's data dir, or initialise it with "
                "`ksp init` (`ksp db upgrade` and `ksp serve` do so too)"
            )
        _make_dir(data_dir)
        stored = _create(path)
    missing = [name for name in SECRET_NAMES if name not in stored]
    if missing:
        if not create:
            raise DataDirError(
                f"{path} lacks {', '.join(missing)}: run `ksp db upgrade` with this "
                "KSP_DATA_DIR to add them"
            )
        stored = _add_missing(path)
    return stored


def tighten_data_files(data_dir: Path) -> None:
    """Make ``secrets.json`` and the embedded SQLite database (with its -wal and -shm)
    0600 where an older release left them readable by group or others."""
    for name in _PRIVATE_FILES:
        path = data_dir / name
        try:
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise DataDirError(f"{path} cannot be made private ({exc.strerror})") from None


def _read(path: Path) -> dict[str, str] | None:
    """The checked content of ``secrets.json``, or None if there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise DataDirError(f"KSP_DATA_DIR ({path.parent}) is not a directory") from None
    except OSError as exc:
        raise DataDirError(f"{path} cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise DataDirError(f"{path} is not UTF-8 text") from None
    try:
        loaded = json.loads(text)
    except ValueError:
        raise DataDirError(f"{path} is not valid JSON") from None
    if not isinstance(loaded, dict):
        raise DataDirError(f"{path} must hold a JSON object of base64 secrets")
    for name, value in loaded.items():
        _check(path, name, value)
    return loaded


def _check(path: Path, name: str, value: object) -> None:
    if not isinstance(value, str):
        raise DataDirError(f"{path}: {name} must be a base64 string")
    if name not in SECRET_NAMES:
        return  # a later release's secret: kept as it is
    try:
        length = len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        raise DataDirError(f"{path}: {name} must be base64") from None
    exact = _EXACT_LENGTH.get(name)
    if (exact is not None and length != exact) or length < _SECRET_BYTES:
        size = f"exactly {exact}" if exact else f"at least {_SECRET_BYTES}"
        raise DataDirError(f"{path}: {name} must decode to {size} bytes")


def _fresh() -> str:
    return base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode("ascii")


def _make_dir(data_dir: Path) -> None:
    try:
        data_dir.mkdir(mode=0o700, parents=True)  # parents as the umask has them
        data_dir.chmod(0o700)
    except FileExistsError:
        if not data_dir.is_dir():
            raise DataDirError(f"KSP_DATA_DIR ({data_dir}) is not a directory") from None
    except OSError as exc:
        raise DataDirError(f"KSP_DATA_DIR ({data_dir}) cannot be made ({exc.strerror})") from None


def _create(path: Path) -> dict[str, str]:
    """Link a complete new file into place unless another process did; read the winner."""
    tmp = _write_temporary(path, {name: _fresh() for name in SECRET_NAMES})
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process won: its secrets are everybody's
    except OSError as exc:
        raise DataDirError(f"{path} cannot be written ({exc.strerror})") from None
    finally:
        tmp.unlink(missing_ok=True)
    _sync_dir(path.parent)
    won = _read(path)
    if won is None:
        raise DataDirError(f"{path} vanished while it was being made")
    return won


def _add_missing(path: Path) -> dict[str, str]:
    """Under the data dir's lock: read again, add what is still missing, replace."""
    with locked(path.parent):
        stored = _read(path) or {}
        missing = [name for name in SECRET_NAMES if name not in stored]
        if missing:
            stored |= {name: _fresh() for name in missing}
            _write_temporary(path, stored).replace(path)
            _sync_dir(path.parent)
        return stored


def _write_temporary(path: Path, values: dict[str, str]) -> Path:
    """A new 0600 file beside ``path`` holding ``values``, flushed to disk."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise DataDirError(f"{path.parent} cannot be written ({exc.strerror})") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(values, handle)
        handle.flush()
        os.fsync(handle.fileno())
    return tmp


@contextmanager
def locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on ``directory`` (flock), for making what it must hold only once."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
