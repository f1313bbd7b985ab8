"""The port every KEK keeper implements, and its one error.

A keeper holds one or more key-encryption keys, one of them current. It wraps a data key
under the current KEK and unwraps under whichever KEK a wrapped key names; the associated
data (the data key's id and owner) is bound into every wrap, so a wrapped key copied to
another row does not unwrap. A PKCS#11 keeper does both inside the token: its KEKs never
leave it.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["KekError", "KekKeeper", "UnwrapFailed"]


class KekError(Exception):
    """A keeper cannot start or act: the message names the setting, never a secret."""


class UnwrapFailed(Exception):
    """A wrapped data key did not unwrap: unknown KEK, wrong owner, or tampered bytes."""


class KekKeeper(Protocol):
    @property
    def current(self) -> str:
        """The id of the KEK new data keys are wrapped under."""
        ...

    def kek_ids(self) -> list[str]:
        """Every KEK this keeper holds, the current one among them."""
        ...

    def wrap(self, key: bytes, aad: bytes) -> bytes:
        """``key`` wrapped under the current KEK, bound to ``aad``."""
        ...

    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        """The data key in ``wrapped``; :class:`UnwrapFailed` for any fault."""
        ...

    def rewrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        """``wrapped`` (under ``kek_id``) wrapped under the current KEK instead."""
        ...

    def add_current(self) -> str:
        """Make a new KEK and make it current (rotation); its id."""
        ...

    def retire(self, kek_id: str) -> None:
        """Forget a KEK that is not current (after rotation, once nothing needs it)."""
        ...
