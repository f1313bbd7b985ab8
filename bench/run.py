"""Case submissions per second through HTTP, next to a bare insert endpoint: ``make bench``.

What is measured: ``POST /api/v1/cases`` on a real ``ksp serve`` process (bearer token,
strict validation, CPR checks, field encryption, keyed CPR hash, the request-id and access
log middleware, one transaction), and ``POST /items`` on ``bench/bare_app.py``, a bare
Litestar + SQLAlchemy endpoint that decodes a small struct and inserts one row with the same
driver and pool. The absolute rates depend on the machine; the ratio service / bare, measured
in the same run, is what we track (target: at least 0.5).

How: both servers are single uvicorn processes (one event loop: one core's worth of Python,
as the service is sized), started the same way; this process runs the client. After a
warm-up, the servers are loaded in turns (A B, B A, ...) for ``--rounds`` turns each, so both
see the same machine state and database growth. Each of ``--concurrency`` workers keeps one
connection and POSTs a fresh body as soon as its last answer came; with 32 workers that is
more than the service's pool (20 + 10), so pool waits show in the latencies. The client is
plain asyncio rather than httpx, whose pool costs so much CPU per request at this concurrency
that it, not the server, would be measured.

``server_cpu`` is the server's CPU seconds per wall second: near 1.0, its event loop is the
bottleneck (above 1.0, driver threads work beside it); well below, it waits on locks or the
database. ``client_cpu`` is the same for the client and should stay low. ``--pin`` puts both
servers on one CPU and the client on the others; it is off by default because on a two-CPU
machine with a local PostgreSQL the database then competes with the pinned server for its
CPU, and the rates swing by a third from run to run.

Backends: SQLite always (fresh files in a temporary directory); PostgreSQL when
``KSP_BENCH_DATABASE_URL`` or ``KSP_TEST_DATABASE_URL`` names a server, in a throwaway
database created and dropped here (the service's tables and the bare table side by side).

Output: JSON (``--out``) with requests/s, p50/p95/p99 latencies and errors (answers other
than 201) of both servers per backend and their ratio, and a short summary on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
from sqlalchemy.engine import make_url

BENCH_DIR = Path(__file__).resolve().parent
BARE_APP = BENCH_DIR / "bare_app.py"
KSP = Path(sys.executable).parent / "ksp"
HOST = "127.0.0.1"
TARGET_RATIO = 0.5
STARTUP_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 30.0
VERSIONED = ("litestar", "sqlalchemy", "aiosqlite", "asyncpg", "uvicorn", "httpx", "ksp")
NAMES = ("Jens", "Søren", "Aïcha", "Mikkel", "Ølsted", "Åse")


class BenchError(Exception):
    """The benchmark could not run (a server did not start, a command failed)."""


@dataclass(frozen=True)
class LoadConfig:
    concurrency: int
    warmup_s: float
    duration_s: float
    rounds: int


@dataclass(frozen=True)
class Pinning:
    """CPUs for the servers and for this (client) process; ``None``: not pinned."""

    server: frozenset[int] | None
    client: frozenset[int] | None


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server, and what to POST to it."""

    name: str
    command: list[str]
    port: int
    path: str
    headers: dict[str, str]
    body: Callable[[random.Random], bytes]


@dataclass(frozen=True)
class Target:
    """A running server under load."""

    name: str
    port: int
    head: bytes  # request line and headers, without Content-Length
    body: Callable[[random.Random], bytes]
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0


# Request bodies ---------------------------------------------------------------------------


def random_cpr(rng: random.Random) -> str:
    """A valid CPR number: a real birth date in 1900-1999 (7th digit 0-3), DDMMYY-SSSS."""
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(0, 99)
    return f"{day:02d}{month:02d}{year:02d}-{rng.randint(0, 3)}{rng.randint(0, 999):03d}"


def random_name(rng: random.Random) -> str:
    return f"{rng.choice(NAMES)} Benchperson-{rng.getrandbits(32):08x}"


def case_bodies(today: dt.date) -> Callable[[random.Random], bytes]:
    """Valid remand cases (as in tests/support/data.py), each with a fresh subject.

    The dates are relative to ``today``: the service refuses dates in the future.
    """
    notified = (today - dt.timedelta(days=7)).isoformat()
    detained = (today - dt.timedelta(days=57)).isoformat()

    def body(rng: random.Random) -> bytes:
        return msgspec.json.encode(
            {
                "subject": {"name": random_name(rng), "cpr": random_cpr(rng)},
                "custody": "remand",
                "radicalisation_concern": True,
                "security_notified_on": notified,
                "concern": f"Bekymring for radikalisering {rng.getrandbits(24):06x}",
                "municipality_code": 101,
                "police_district": "koebenhavn",
                "kif_unit": "kif-bench",
                "detained_since": detained,
                "released_on": None,
                "urgent": False,
            }
        )

    return body


def bare_body(rng: random.Random) -> bytes:
    return msgspec.json.encode(
        {"name": random_name(rng), "cpr": random_cpr(rng), "municipality_code": 101}
    )


# Load -------------------------------------------------------------------------------------


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and all its threads (0.0 where /proc is absent)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class HttpProtocolError(Exception):
    """The server's answer is not one this client reads (no Content-Length)."""


class HttpConnection:
    """One keep-alive HTTP/1.1 connection that POSTs and reads the status and body.

    Not httpx: at 32 connections its pool spends about 2 ms of client CPU per request, so a
    one-core client tops out near 500 req/s and measures itself. This needs ~0.05 ms.
    """

    def __init__(self, port: int) -> None:
        self._port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, head: bytes, body: bytes) -> int:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(HOST, self._port)
        self._writer.write(b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body))
        response = await self._reader.readuntil(b"\r\n\r\n")
        headers = response.lower()
        at = headers.find(b"\r\ncontent-length:")
        if at < 0:
            raise HttpProtocolError("no Content-Length")
        await self._reader.readexactly(int(headers[at + 17 : headers.index(b"\r\n", at + 2)]))
        if b"\r\nconnection: close" in headers:
            await self.close()
        return int(response[9:12])

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


REQUEST_ERRORS = (
    OSError,
    TimeoutError,
    ValueError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    HttpProtocolError,
)


async def worker(target: Target, deadline: float, tally: Tally) -> None:
    rng = random.Random()
    connection = HttpConnection(target.port)
    try:
        while time.perf_counter() < deadline:
            body = target.body(rng)
            started = time.perf_counter()
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_S):
                    status = await connection.post(target.head, body)
            except REQUEST_ERRORS as exc:
                tally.errors[type(exc).__name__] += 1
                await connection.close()
                continue
            if status == 201:
                tally.latencies.append(time.perf_counter() - started)
            else:
                tally.errors[str(status)] += 1
    finally:
        await connection.close()


async def load(target: Target, concurrency: int, seconds: float, tally: Tally) -> None:
    """``concurrency`` connections POST for ``seconds``; in-flight requests finish and count."""
    pid = target.process.pid
    server_cpu, client_cpu = process_cpu_s(pid), time.process_time()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(worker(target, deadline, tally) for _ in range(concurrency)))
    tally.elapsed += time.perf_counter() - started
    tally.server_cpu += process_cpu_s(pid) - server_cpu
    tally.client_cpu += time.process_time() - client_cpu
    if target.process.poll() is not None:
        raise BenchError(f"{target.name} died under load:\n{log_tail(target.log)}")


async def measure(targets: Sequence[Target], config: LoadConfig) -> dict[str, Tally]:
    """Warm every target up, then load them in turns (AB, BA, ...) for ``rounds`` rounds."""
    for target in targets:
        await load(target, config.concurrency, config.warmup_s, Tally())
    tallies = {target.name: Tally() for target in targets}
    segment = config.duration_s / config.rounds
    for round_no in range(config.rounds):
        order = targets if round_no % 2 == 0 else list(reversed(targets))
        for target in order:
            await load(target, config.concurrency, segment, tallies[target.name])
    return tallies


def percentile_ms(ordered: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile of sorted seconds, in milliseconds."""
    if not ordered:
        return None
    rank = max(1, round(pct / 100 * len(ordered)))
    return round(ordered[min(rank, len(ordered)) - 1] * 1000, 1)


def summarise(tally: Tally) -> dict[str, Any]:
    ordered = sorted(tally.latencies)
    elapsed = tally.elapsed or 1.0
    return {
        "requests_per_s": round(len(ordered) / elapsed, 1),
        "requests": len(ordered),
        "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors),
        "latency_ms": {f"p{p}": percentile_ms(ordered, p) for p in (50, 95, 99)},
        "elapsed_s": round(tally.elapsed, 2),
        "server_cpu": round(tally.server_cpu / elapsed, 2),
        "client_cpu": round(tally.client_cpu / elapsed, 2),
    }


# Server processes -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def log_tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, SIGKILL it if it has not exited in 10 s."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def request_head(port: int, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {HOST}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return "".join(f"{line}\r\n" for line in lines).encode("latin-1")


@contextlib.contextmanager
def started(
    spec: ServerSpec, env: dict[str, str], work: Path, cpus: frozenset[int] | None
) -> Iterator[Target]:
    """The server in a process group of its own, stopped on the way out whatever happens."""
    log = work / f"{spec.name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            spec.command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        if cpus is not None:
            # Before the interpreter starts threads (aiosqlite's), which inherit the mask.
            os.sched_setaffinity(process.pid, cpus)
        headers = {"Content-Type": "application/json", **spec.headers}
        head = request_head(spec.port, spec.path, headers)
        yield Target(spec.name, spec.port, head, spec.body, process, log)
    finally:
        stop(process)


def wait_healthy(target: Target) -> None:
    base_url = f"http://{HOST}:{target.port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    with httpx.Client(base_url=base_url, timeout=1.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if target.process.poll() is not None:
                code = target.process.returncode
                raise BenchError(f"{target.name} exited ({code}):\n{log_tail(target.log)}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/health").status_code == 200:
                    return
            time.sleep(0.1)
    raise BenchError(f"{target.name} not healthy in {STARTUP_TIMEOUT_S} s:\n{log_tail(target.log)}")


def ksp(env: dict[str, str], *args: str) -> str:
    """Run a ``ksp`` command; its stdout, stripped."""
    done = subprocess.run([str(KSP), *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"ksp {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout.strip()


def service_env(data_dir: Path, database_url: str, port: int) -> dict[str, str]:
    """This environment without any ``KSP_*`` of its own, so the service runs on defaults."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("KSP_")}
    env.update(
        KSP_HOST=HOST,
        KSP_PORT=str(port),
        KSP_DATA_DIR=str(data_dir),
        KSP_DATABASE_URL=database_url,
        KSP_LOG_LEVEL="WARNING",
    )
    return env


# One backend ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backend:
    name: str
    service_url: str  # as an operator writes it (KSP_DATABASE_URL)
    bare_url: str  # with the async driver


def prepare_service(backend: Backend, work: Path) -> tuple[dict[str, str], str]:
    """Migrate the service's database and issue a token; the env to serve with, and the token."""
    env = service_env(work / "ksp-data", backend.service_url, free_port())
    ksp(env, "db", "upgrade")
    token = ksp(env, "token", "--role", "arrest", "--unit", "arrest-bench", "--sub", "bench")
    return env, token


def bench_backend(
    backend: Backend, config: LoadConfig, pinning: Pinning, work: Path
) -> dict[str, Any]:
    """Both servers up on ``backend``, measured in turns, stopped; their results and ratio."""
    env, token = prepare_service(backend, work)
    bare_port = free_port()
    bare_command = [sys.executable, str(BARE_APP), "--host", HOST, "--port", str(bare_port)]
    specs = [
        ServerSpec(
            "service",
            [str(KSP), "serve"],
            int(env["KSP_PORT"]),
            "/api/v1/cases",
            {"Authorization": f"Bearer {token}"},
            case_bodies(dt.datetime.now(dt.UTC).date()),
        ),
        ServerSpec(
            "bare_insert",
            [*bare_command, "--database-url", backend.bare_url],
            bare_port,
            "/items",
            {},
            bare_body,
        ),
    ]
    with contextlib.ExitStack() as stack:
        targets = [stack.enter_context(started(spec, env, work, pinning.server)) for spec in specs]
        for target in targets:
            wait_healthy(target)
        tallies = asyncio.run(measure(targets, config))
    return backend_result(targets, tallies)


def backend_result(targets: Sequence[Target], tallies: dict[str, Tally]) -> dict[str, Any]:
    result: dict[str, Any] = {name: summarise(tally) for name, tally in tallies.items()}
    for target in targets:
        if tallies[target.name].errors:
            tail = log_tail(target.log)
            print(f"{target.name} answered with errors; its log ends:\n{tail}", file=sys.stderr)
    bare_rps = result["bare_insert"]["requests_per_s"]
    ratio = result["service"]["requests_per_s"] / bare_rps if bare_rps else None
    result["ratio"] = None if ratio is None else round(ratio, 3)
    result["meets_target"] = ratio is not None and ratio >= TARGET_RATIO
    return result


def sqlite_result(config: LoadConfig, pinning: Pinning, work: Path) -> dict[str, Any]:
    work = work / "sqlite"
    work.mkdir()
    backend = Backend(
        "sqlite",
        service_url=f"sqlite:///{work / 'service.sqlite3'}",
        bare_url=f"sqlite+aiosqlite:///{work / 'bare.sqlite3'}",
    )
    return bench_backend(backend, config, pinning, work)


# PostgreSQL: a throwaway database ---------------------------------------------------------


def postgres_dsn(url: str, database: str | None = None, driver: str = "postgresql") -> str:
    parsed = make_url(url).set(drivername=driver)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def admin_execute(admin_url: str, statement: str) -> None:
    connection = await asyncpg.connect(postgres_dsn(admin_url), timeout=10)
    try:
        await connection.execute(statement)  # outside a transaction: autocommit
    finally:
        await connection.close()


def postgres_result(config: LoadConfig, pinning: Pinning, work: Path) -> dict[str, Any]:
    admin_url = os.environ.get("KSP_BENCH_DATABASE_URL") or os.environ.get("KSP_TEST_DATABASE_URL")
    if not admin_url:
        return {"skipped": "neither KSP_BENCH_DATABASE_URL nor KSP_TEST_DATABASE_URL is set"}
    name = f"ksp_bench_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(admin_execute(admin_url, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return {"skipped": f"cannot create a database on {make_url(admin_url).host}: {exc}"}
    work = work / "postgresql"
    work.mkdir()
    backend = Backend(
        "postgresql",
        service_url=postgres_dsn(admin_url, name),
        bare_url=postgres_dsn(admin_url, name, "postgresql+asyncpg"),
    )
    try:
        return bench_backend(backend, config, pinning, work)
    finally:
        asyncio.run(admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# The report -------------------------------------------------------------------------------


def pin_cpus(enabled: bool) -> Pinning:
    """Servers on the first allowed CPU, this process on the rest; no pinning below two."""
    if not enabled or not hasattr(os, "sched_getaffinity"):
        return Pinning(None, None)
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return Pinning(None, None)
    server_cpus, client_cpus = frozenset(allowed[:1]), frozenset(allowed[1:])
    os.sched_setaffinity(0, client_cpus)
    return Pinning(server_cpus, client_cpus)


def version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def report(config: LoadConfig, pinning: Pinning, results: dict[str, Any]) -> dict[str, Any]:
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": {package: version(package) for package in VERSIONED},
        "config": {
            "concurrency": config.concurrency,
            "warmup_s": config.warmup_s,
            "duration_s": config.duration_s,
            "rounds": config.rounds,
            "server_cpus": None if pinning.server is None else sorted(pinning.server),
            "client_cpus": None if pinning.client is None else sorted(pinning.client),
            "client": "asyncio HTTP/1.1, one keep-alive connection per worker",
            "target_ratio": TARGET_RATIO,
        },
        "case_submission": results,
    }


def describe(result: dict[str, Any]) -> str:
    latency = result["latency_ms"]
    return (
        f"{result['requests_per_s']:>7.0f} req/s  p50 {latency['p50']} ms  "
        f"p99 {latency['p99']} ms  errors {result['errors']}  cpu {result['server_cpu']:.2f}"
    )


def print_summary(results: dict[str, Any], out: Path) -> None:
    for backend, result in results.items():
        if "skipped" in result:
            print(f"{backend}: skipped ({result['skipped']})")
            continue
        verdict = "meets" if result["meets_target"] else "below"
        print(f"{backend}:")
        print(f"  service      {describe(result['service'])}")
        print(f"  bare insert  {describe(result['bare_insert'])}")
        print(f"  ratio {result['ratio']} ({verdict} the target of {TARGET_RATIO})")
    print(f"written to {out}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--concurrency", type=int, default=32, help="workers (default 32)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per server")
    parser.add_argument("--duration", type=float, default=8.0, help="measured s per server")
    parser.add_argument("--rounds", type=int, default=4, help="turns per server (default 4)")
    parser.add_argument("--quick", action="store_true", help="0.5 s warm-up, 1 s measured")
    parser.add_argument("--pin", action="store_true", help="servers on one CPU, client on rest")
    args = parser.parse_args(argv)
    if args.quick:
        args.warmup, args.duration, args.rounds = 0.5, 1.0, 1
    if args.concurrency < 1 or args.rounds < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--concurrency and --rounds must be >= 1, --duration > 0, --warmup >= 0")
    return args


def exit_on_sigterm(signum: int, _frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so the servers are stopped and the database dropped."""
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    config = LoadConfig(args.concurrency, args.warmup, args.duration, args.rounds)
    if not KSP.exists():
        print(f"bench: {KSP} not found; run `make install`", file=sys.stderr)
        return 2
    pinning = pin_cpus(args.pin)
    try:
        with tempfile.TemporaryDirectory(prefix="ksp-bench-") as tmp:
            work = Path(tmp)
            results = {
                "sqlite": sqlite_result(config, pinning, work),
                "postgresql": postgres_result(config, pinning, work),
            }
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; servers stopped, nothing written", file=sys.stderr)
        return 130
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report(config, pinning, results), indent=2) + "\n")
    print_summary(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
