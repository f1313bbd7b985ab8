"""The load generator of ``bench/load.py``: N clients, each on one keep-alive connection,
each doing one operation after another, picked from a weighted mix, until time is up.

The same generator drives the service and the bare baseline, so the ratio of their rates is
the cost of the service's own work and not of the client. It reuses the lean
:class:`harness.HttpConnection` (httpx would spend more CPU per request than the server at
50 connections, and the client would measure itself).
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec

from harness import HOST, REQUEST_ERRORS, REQUEST_TIMEOUT_S, HttpConnection
from load_stats import Tally, is_by_design

JSON = "application/json"
MAX_PRINTED = 5  # unexpected answers printed as they happen; the rest only counted


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return msgspec.json.decode(self.body)


def problem_type(body: bytes) -> str:
    """The ``type`` of an RFC 9457 problem (the service never puts personal data in one)."""
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return ""
    found = decoded.get("type") if isinstance(decoded, dict) else None
    return found if isinstance(found, str) else ""


def request_head(method: str, port: int, path: str, headers: Mapping[str, str]) -> bytes:
    """The request line and headers, without Content-Length (the connection adds it).

    ``harness.request_head`` writes POST only; the mix also reads.
    """
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return "".join(f"{line}\r\n" for line in lines).encode("latin-1")


class Caller:
    """One client's connection: sends a request, times it, and counts how it ended."""

    printed = 0  # unexpected answers printed so far, by all callers

    def __init__(self, port: int, tally: Tally) -> None:
        self._port = port
        self._tally = tally
        self._connection = HttpConnection(port)

    async def call(
        self,
        operation: str,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes = b"",
    ) -> Answer | None:
        """The answer if it was 2xx; ``None`` otherwise (already counted)."""
        op = self._tally.of(operation)
        op.count += 1
        if body:
            headers = {**headers, "Content-Type": JSON}
        head = request_head(method, self._port, path, headers)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                status, answer = await self._connection.exchange(head, body)
        except REQUEST_ERRORS as exc:
            op.unexpected[type(exc).__name__] += 1
            await self._connection.close()
            self._print(operation, method, path, type(exc).__name__)
            return None
        if status < 400:
            op.ok_latencies.append(time.perf_counter() - started)
            return Answer(status, answer)
        kind = problem_type(answer)
        if is_by_design(status, kind):
            op.by_design[str(status)] += 1
        else:
            op.unexpected[str(status)] += 1
            op.unexpected_types[f"{status} {kind or '(no problem type)'}"] += 1
            self._print(operation, method, path, f"{status} {kind}")
        return None

    def flag(self, operation: str, what: str) -> None:
        """A 2xx answer whose content is wrong: an unexpected error too."""
        self._tally.of(operation).unexpected[what] += 1
        self._print(operation, "", "", what)

    def _print(self, operation: str, method: str, path: str, what: str) -> None:
        # Paths carry ids and version numbers only; problem types carry no personal data.
        if Caller.printed < MAX_PRINTED:
            Caller.printed += 1
            print(f"load: unexpected: {operation} {method} {path} -> {what}", file=sys.stderr)

    async def close(self) -> None:
        await self._connection.close()


class Client(Protocol):
    """One simulated user: does the named operation of its mix."""

    async def do(self, operation: str) -> None: ...


class Mix(Protocol):
    """The operations, their weights, and a factory of clients that do them."""

    @property
    def weights(self) -> Mapping[str, float]: ...

    def client(self, caller: Caller, rng: random.Random) -> Client: ...


async def drive(port: int, mix: Mix, clients: int, seconds: float, tally: Tally) -> float:
    """``clients`` clients run ``mix`` for ``seconds``; requests in flight then finish and
    count. The wall seconds it took.

    Client ``k`` starts with the mix's ``k``-th operation (then picks by weight), so even a
    short run with few clients does every operation at least once.
    """
    names, weights = list(mix.weights), list(mix.weights.values())
    started = time.perf_counter()
    deadline = started + seconds

    async def one(number: int) -> None:
        rng = random.Random()
        caller = Caller(port, tally)
        client = mix.client(caller, rng)
        operation = names[number % len(names)]
        try:
            while time.perf_counter() < deadline:
                await client.do(operation)
                operation = rng.choices(names, weights)[0]
        finally:
            await caller.close()

    await asyncio.gather(*(one(number) for number in range(clients)))
    return time.perf_counter() - started
