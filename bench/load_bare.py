"""The bare baseline's side of ``bench/load.py``: the same load generator and clients
against ``bench/bare_app.py``, with a mix of one write and one read.

- ``write``: ``POST /items``, one row inserted (``run.bare_body``: a name, a CPR number, a
  municipality code, as the case submissions of ``run.py``'s baseline);
- ``read``: ``GET /items/{id}`` of a row written earlier in the run.

The weights are the service mix's: ``write`` weighs what its writes weigh (case
submissions, list updates, circulations) and ``read`` the rest, so both servers see the
same share of writes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from load_client import Caller
from run import bare_body


def bare_weights(mix: Mapping[str, float], writes: frozenset[str]) -> dict[str, float]:
    written = sum(weight for name, weight in mix.items() if name in writes)
    return {"write": written, "read": sum(mix.values()) - written}


class BareClient:
    def __init__(self, ids: list[str], caller: Caller, rng: random.Random) -> None:
        self._ids = ids
        self._caller = caller
        self._rng = rng

    async def do(self, operation: str) -> None:
        if operation == "read" and self._ids:
            path = f"/items/{self._rng.choice(self._ids)}"
            await self._caller.call("read", "GET", path, {})
            return
        answer = await self._caller.call("write", "POST", "/items", {}, bare_body(self._rng))
        if answer is not None:
            self._ids.append(answer.json()["id"])


@dataclass(frozen=True)
class BareMix:
    weights: Mapping[str, float]
    ids: list[str] = field(default_factory=list)  # every row written, shared by the clients

    def client(self, caller: Caller, rng: random.Random) -> BareClient:
        return BareClient(self.ids, caller, rng)
