"""The witness's one record per log: the size and root it last cosigned, kept atomically.

``state.json`` in the state directory is replaced whole (write a temporary file, fsync,
rename, fsync the directory), so a crash leaves the old record or the new, never half of
one. ``witness.lock`` (flock) keeps a second witness process off the same directory.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = ["LogState", "StateDir", "StateLocked"]

_FILE = "state.json"


class StateLocked(Exception):
    """Another witness process holds this state directory."""


@dataclass(frozen=True, slots=True)
class LogState:
    size: int
    root: bytes


class StateDir:
    def __init__(self, path: Path) -> None:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._path = path
        self._lock: IO[bytes] | None = None

    def lock(self) -> None:
        handle = (self._path / "witness.lock").open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise StateLocked(str(self._path)) from None
        self._lock = handle

    def load(self, origin: str) -> LogState:
        """What was last cosigned for ``origin``; size 0 if nothing yet."""
        try:
            data = json.loads((self._path / _FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return LogState(0, b"")
        record = data.get("logs", {}).get(origin)
        if record is None:
            return LogState(0, b"")
        return LogState(int(record["size"]), base64.b64decode(record["root"]))

    def save(self, origin: str, state: LogState) -> None:
        try:
            data = json.loads((self._path / _FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {"logs": {}}
        data.setdefault("logs", {})[origin] = {
            "size": state.size,
            "root": base64.b64encode(state.root).decode("ascii"),
        }
        temporary = self._path / f".{_FILE}.{os.getpid()}.tmp"
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(self._path / _FILE)
        directory = os.open(self._path, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
