"""The service's side of tlog-witness: ask one witness to cosign, with a bounded time-out.

:func:`add_checkpoint` never raises for what a witness answers or fails to: the answer is
one :class:`WitnessAnswer` (cosigned with its signature lines, a conflict with the size the
witness knows, an inconsistent proof, a refusal, or unreachable).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import httpx

__all__ = ["HttpWitnessAsker", "Outcome", "WitnessAnswer", "add_checkpoint", "request_body"]

_SIZE = re.compile("(0|[1-9][0-9]{0,19})\n")
_MAX_ANSWER = 16 * 1024


class Outcome(StrEnum):
    COSIGNED = "cosigned"
    CONFLICT = "conflict"  # 409: the witness knows another size (or root at this size)
    INCONSISTENT = "inconsistent"  # 422: our proof does not extend what it cosigned
    REFUSED = "refused"  # 400/403/404 or another status
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class WitnessAnswer:
    outcome: Outcome
    size: int | None = None
    lines: Sequence[str] = field(default_factory=tuple)


def request_body(old: int, proof: Sequence[bytes], note: str) -> bytes:
    lines = [f"old {old}", *(base64.b64encode(h).decode("ascii") for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode("utf-8")


async def add_checkpoint(
    client: httpx.AsyncClient, url: str, *, old: int, proof: Sequence[bytes], note: str
) -> WitnessAnswer:
    """POST ``url``/add-checkpoint; the client carries the time-out."""
    try:
        response = await client.post(
            url.rstrip("/") + "/add-checkpoint", content=request_body(old, proof, note)
        )
    except httpx.HTTPError:
        return WitnessAnswer(Outcome.UNREACHABLE)
    text = response.text[:_MAX_ANSWER]
    if response.status_code == 200:
        lines = [line for line in text.split("\n") if line.startswith("\u2014 ")]
        return WitnessAnswer(Outcome.COSIGNED, lines=tuple(lines))
    if response.status_code == 409:
        size = _SIZE.fullmatch(text)
        return WitnessAnswer(Outcome.CONFLICT, size=None if size is None else int(size.group(1)))
    if response.status_code == 422:
        return WitnessAnswer(Outcome.INCONSISTENT)
    return WitnessAnswer(Outcome.REFUSED)


class HttpWitnessAsker:
    """One keep-alive HTTP client for every witness, each request bounded by ``timeout``."""

    def __init__(self, timeout: float) -> None:
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def add_checkpoint(
        self, url: str, *, old: int, proof: Sequence[bytes], note: str
    ) -> WitnessAnswer:
        return await add_checkpoint(self._client, url, old=old, proof=proof, note=note)

    async def close(self) -> None:
        await self._client.aclose()
