"""The service's benchmarks: ``make bench``. Five sections in one ``results.json``:

- ``case_submission`` (this module): case submissions per second through HTTP, next to a
  bare insert endpoint; described below.
- ``list_version`` (``bench/list_version.py``): the latency of a new version of a
  200-person KSP list through HTTP, one change at a time.
- ``minutes_version`` (``bench/minutes_version.py``): the latency of a new minutes version
  of a 50-case meeting with 100 actions, next to a list version of the same 50 cases in the
  same run (target: minutes p95 at most 2x the list's).
- ``journal_verification`` (``bench/journal_verification.py``): verifying a journal of
  100,000 entries in process, next to a bare SHA-256 hash chain over the same bytes.
- ``circulation`` (``bench/circulation.py``): circulating one version to 30 recipients
  through HTTP, the outbox and a local SMTP server, next to 30 bare python-gnupg
  encrypt+sign calls.
- ``smime`` (``bench/smime_circulation.py``): circulating one 200-person version to 30
  S/MIME recipients next to the same version to 30 OpenPGP recipients (gpg), in one run.
- ``pdf`` (``bench/pdf_print.py``): the PDF of a 200-person version (p95), and the event
  loop's lag while 10 PDFs print at once.
- ``proofs`` (``bench/proofs.py``): an inclusion and a consistency proof on a journal of
  1,000,000 entries, and ``verify-receipt`` of a receipt cosigned by two witnesses.
- ``witnessed_list_change`` (``bench/proofs.py``): the list-version changes without and
  with two ``ksp witness serve`` processes on loopback (SQLite).
- ``key_rotation`` (``bench/key_rotation.py``): rewrapping 100,000 data keys under a new
  KEK on SQLite with the KEK file, and fewer in a SoftHSM2 token.

``--only`` runs some of them; the file then holds only those. Each server section runs on
SQLite and, when a PostgreSQL server is named (below), PostgreSQL, in fresh databases.

Case submissions per second:

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
than 201) of both servers per backend and their ratio, the other sections' figures, and a
short summary on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import platform
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from circulation import CirculationConfig, bench_circulation, prepared
from harness import (
    BENCH_DIR,
    HOST,
    KSP,
    NO_POSTGRES,
    REQUEST_ERRORS,
    REQUEST_TIMEOUT_S,
    Backend,
    BenchError,
    CannotCreateDatabase,
    HttpConnection,
    Server,
    case_bodies,
    free_port,
    ksp,
    log_tail,
    percentile_ms,
    postgres_admin_url,
    process_cpu_s,
    random_cpr,
    random_name,
    request_head,
    run_in_scratch,
    running,
    service_env,
    sqlite_backend,
    throwaway_postgres,
    version,
    wait_healthy,
    write_report,
)
from journal_verification import bench_journal_verification
from list_version import ListConfig, bench_list_version
from minutes_version import TARGET_MINUTES_TO_LIST, MinutesConfig, bench_minutes_version
from pdf_print import TARGET_LAG_P99_MS, PdfConfig, bench_pdf
from proofs import bench_proofs, bench_witnessed_changes
from smime_circulation import SmimeBenchConfig, bench_smime, prepared_smime

BARE_APP = BENCH_DIR / "bare_app.py"
TARGET_RATIO = 0.5
TARGET_CIRCULATION = 1.5
VERSIONED = (
    "litestar",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "uvicorn",
    "httpx",
    "msgspec",
    "cryptography",
    "rfc8785",
    "python-gnupg",
    "aiosmtpd",
    "ksp",
)
SECTIONS = (
    "case_submission",
    "list_version",
    "minutes_version",
    "journal_verification",
    "circulation",
    "smime",
    "pdf",
    "proofs",
    "witnessed_list_change",
    "key_rotation",
)


@dataclass(frozen=True)
class LoadConfig:
    concurrency: int
    warmup_s: float
    duration_s: float
    rounds: int


@dataclass(frozen=True)
class JournalConfig:
    entries: int
    runs: int


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
class Target(Server):
    """A running server under load."""

    head: bytes  # request line and headers, without Content-Length
    body: Callable[[random.Random], bytes]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0


# Request bodies ---------------------------------------------------------------------------


def bare_body(rng: random.Random) -> bytes:
    return msgspec.json.encode(
        {"name": random_name(rng), "cpr": random_cpr(rng), "municipality_code": 101}
    )


# Load -------------------------------------------------------------------------------------


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


@contextlib.contextmanager
def started(
    spec: ServerSpec, env: dict[str, str], work: Path, cpus: frozenset[int] | None
) -> Iterator[Target]:
    """The server in a process group of its own, stopped on the way out whatever happens."""
    with running(spec.name, spec.command, env, spec.port, work, cpus) as server:
        headers = {"Content-Type": "application/json", **spec.headers}
        head = request_head(spec.port, spec.path, headers)
        yield Target(server.name, server.port, server.process, server.log, head, spec.body)


# One backend ------------------------------------------------------------------------------


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


# Both backends ----------------------------------------------------------------------------


BackendBench = Callable[[Backend, Path], dict[str, Any]]


def on_backends(bench: BackendBench, work: Path) -> dict[str, Any]:
    """``bench`` on fresh SQLite files, then on a throwaway PostgreSQL database (if named)."""
    work.mkdir()
    sqlite_work = work / "sqlite"
    sqlite_work.mkdir()
    results = {"sqlite": bench(sqlite_backend(sqlite_work), sqlite_work)}
    admin_url = postgres_admin_url()
    if not admin_url:
        results["postgresql"] = {"skipped": NO_POSTGRES}
        return results
    postgres_work = work / "postgresql"
    postgres_work.mkdir()
    try:
        with throwaway_postgres(admin_url) as backend:
            results["postgresql"] = bench(backend, postgres_work)
    except CannotCreateDatabase as exc:
        results["postgresql"] = {"skipped": str(exc)}
    return results


@dataclass(frozen=True)
class Plan:
    sections: tuple[str, ...]
    load: LoadConfig
    lists: ListConfig
    minutes: MinutesConfig
    journal: JournalConfig
    circulation: CirculationConfig
    smime: SmimeBenchConfig
    pinning: Pinning
    pdf: PdfConfig
    proof_entries: int = 1_000_000
    proof_runs: int = 200
    rotation_keys: tuple[int, int] = (100_000, 10_000)


def run_case_submission(plan: Plan, work: Path) -> Any:
    return on_backends(
        lambda backend, where: bench_backend(backend, plan.load, plan.pinning, where),
        work / "case_submission",
    )


def run_list_version(plan: Plan, work: Path) -> Any:
    return on_backends(
        lambda backend, where: bench_list_version(backend, plan.lists, where, plan.pinning.server),
        work / "list_version",
    )


def run_minutes_version(plan: Plan, work: Path) -> Any:
    return on_backends(
        lambda backend, where: bench_minutes_version(
            backend, plan.minutes, where, plan.pinning.server
        ),
        work / "minutes_version",
    )


def run_journal_verification(plan: Plan, _work: Path) -> Any:
    return bench_journal_verification(plan.journal.entries, plan.journal.runs)


def run_circulation(plan: Plan, work: Path) -> Any:
    with prepared(plan.circulation, work / "circulation-kit") as kit:
        return on_backends(
            lambda backend, where: bench_circulation(backend, kit, plan.circulation, where),
            work / "circulation",
        )


def run_smime(plan: Plan, work: Path) -> Any:
    with prepared_smime(plan.smime, work / "smime-kit") as smime_kit:
        return on_backends(
            lambda backend, where: bench_smime(backend, smime_kit, plan.smime, where),
            work / "smime",
        )


def run_pdf(plan: Plan, _work: Path) -> Any:
    return bench_pdf(plan.pdf)


def run_proofs(plan: Plan, work: Path) -> Any:
    return bench_proofs(work / "proofs", plan.proof_entries, plan.proof_runs)


def run_witnessed_list_change(plan: Plan, work: Path) -> Any:
    return bench_witnessed_changes(plan.lists, work / "witnessed")


def run_key_rotation(plan: Plan, _work: Path) -> Any:
    from key_rotation import bench_key_rotation  # noqa: PLC0415 - imports the service

    return bench_key_rotation(*plan.rotation_keys)


RUNNERS: dict[str, Callable[[Plan, Path], Any]] = {
    "case_submission": run_case_submission,
    "list_version": run_list_version,
    "minutes_version": run_minutes_version,
    "journal_verification": run_journal_verification,
    "circulation": run_circulation,
    "smime": run_smime,
    "pdf": run_pdf,
    "proofs": run_proofs,
    "witnessed_list_change": run_witnessed_list_change,
    "key_rotation": run_key_rotation,
}


def run_sections(plan: Plan, work: Path) -> dict[str, Any]:
    """The chosen sections, in the order of SECTIONS."""
    return {name: RUNNERS[name](plan, work) for name in plan.sections}


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


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages before the run: other work skews the figures."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def machine(load_before: list[float] | None) -> dict[str, Any]:
    """What a report says of the machine it ran on."""
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_before": load_before,
    }


def report(plan: Plan, results: dict[str, Any], load_before: list[float] | None) -> dict[str, Any]:
    config, pinning = plan.load, plan.pinning
    sections = dict(results)
    if "list_version" in sections:
        sections["list_version"] = {"config": plan.lists.as_json(), **sections["list_version"]}
    if "minutes_version" in sections:
        sections["minutes_version"] = {
            "config": plan.minutes.as_json(),
            **sections["minutes_version"],
        }
    if "circulation" in sections:
        sections["circulation"] = {
            "config": plan.circulation.as_json(),
            **sections["circulation"],
        }
    if "smime" in sections:
        sections["smime"] = {"config": plan.smime.as_json(), **sections["smime"]}
    if "pdf" in sections:
        sections["pdf"] = {"config": plan.pdf.as_json(), **sections["pdf"]}
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(load_before),
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
        **sections,
    }


def describe(result: dict[str, Any]) -> str:
    latency = result["latency_ms"]
    return (
        f"{result['requests_per_s']:>7.0f} req/s  p50 {latency['p50']} ms  "
        f"p99 {latency['p99']} ms  errors {result['errors']}  cpu {result['server_cpu']:.2f}"
    )


def print_case_submission(results: dict[str, Any]) -> None:
    print("case_submission:")
    for backend, result in results.items():
        if "skipped" in result:
            print(f"  {backend}: skipped ({result['skipped']})")
            continue
        verdict = "meets" if result["meets_target"] else "below"
        print(f"  {backend}:")
        print(f"    service      {describe(result['service'])}")
        print(f"    bare insert  {describe(result['bare_insert'])}")
        print(f"    ratio {result['ratio']} ({verdict} the target of {TARGET_RATIO})")


def print_list_version(results: dict[str, Any]) -> None:
    print("list_version:")
    for backend, result in results.items():
        if "skipped" in result:
            print(f"  {backend}: skipped ({result['skipped']})")
            continue
        latency = result["latency_ms"]
        print(
            f"  {backend:<10}  {result['changes']} changes  p50 {latency['p50']} ms  "
            f"p95 {latency['p95']} ms  mean {latency['mean']} ms  max {latency['max']} ms  "
            f"errors {result['errors']}  server cpu {result['server_cpu_ms']} ms/change  "
            f"(version 1: {result['first_version_ms']} ms)"
        )


def print_minutes_version(results: dict[str, Any]) -> None:
    print("minutes_version:")
    for backend, result in results.items():
        if "skipped" in result:
            print(f"  {backend}: skipped ({result['skipped']})")
            continue
        verdict = "meets" if result["meets_target"] else "misses"
        listed, minutes = result["list_version_ms"], result["minutes_version_ms"]
        print(
            f"  {backend:<10}  {result['cases']} cases, {result['actions']} actions: "
            f"list version p50 {listed['p50']} ms p95 {listed['p95']} ms; "
            f"minutes version p50 {minutes['p50']} ms p95 {minutes['p95']} ms; "
            f"ratio p95 {result['ratio_p95_minutes_to_list']} "
            f"({verdict} {TARGET_MINUTES_TO_LIST}x)  errors {result['errors']}"
        )


def print_journal(result: dict[str, Any]) -> None:
    seconds, rates = result["seconds"], result["entries_per_s"]
    verdict = "meets" if result["meets_target"] else "misses"
    print(f"journal_verification ({result['entries']} entries, best of {result['runs']}):")
    for name in ("verify", "verify_open", "bare_chain"):
        print(f"  {name:<12} {seconds[name]:>8.3f} s  {rates[name]:>9} entries/s")
    print(
        f"  verify / bare {result['ratio_verify_to_bare']}, verify_open / bare "
        f"{result['ratio_verify_open_to_bare']} ({verdict} the target: {result['target']})"
    )


def print_circulation(results: dict[str, Any]) -> None:
    print("circulation:")
    for backend, result in results.items():
        if "skipped" in result:
            print(f"  {backend}: skipped ({result['skipped']})")
            continue
        verdict = "meets" if result["meets_target"] else "misses"
        circulate, bare = result["circulate_ms"], result["bare_30_encrypt_sign_ms"]
        print(
            f"  {backend:<10}  circulate p50 {circulate['p50']} ms (max {circulate['max']})  "
            f"bare p50 {bare['p50']} ms  ratio {result['ratio_circulate_to_bare']} "
            f"({verdict} {TARGET_CIRCULATION}x)"
        )
        print(
            f"              print p50 {result['print_ms']['p50']} ms  circulate minus print "
            f"/ bare {result['ratio_circulate_minus_print_to_bare']}  first delivered p50 "
            f"{result['first_delivered_ms']['p50']} ms"
        )
        print(
            f"              all delivered p50 {result['delivery_ms']['p50']} ms  "
            f"end-to-end p50 {result['end_to_end_ms']['p50']} ms  "
            f"minus idle p50 {result['end_to_end_minus_idle_ms']['p50']} ms  "
            f"sent {result['deliveries_sent']}/{result['deliveries']}"
        )


def print_smime(results: dict[str, Any]) -> None:
    print("smime (one version to S/MIME recipients, then the same to OpenPGP ones):")
    for backend, result in results.items():
        if "skipped" in result:
            print(f"  {backend}: skipped ({result['skipped']})")
            continue
        verdict = "meets" if result["meets_target"] else "misses"
        smime, gpg = result["smime_circulate_ms"], result["openpgp_circulate_ms"]
        print(
            f"  {backend:<10}  S/MIME p50 {smime['p50']} ms (max {smime['max']})  "
            f"gpg p50 {gpg['p50']} ms (max {gpg['max']})  "
            f"ratio {result['ratio_smime_to_gpg']} ({verdict} {result['target']})"
        )
        sealing = result["seal_only_30_ms"]
        print(
            f"              envelopes alone: S/MIME {sealing['smime']} ms  "
            f"gpg {sealing['openpgp']} ms  ratio {result['ratio_seal_only_smime_to_gpg']}"
        )
        for kind, label in (("smime", "S/MIME"), ("openpgp", "gpg")):
            delivered = result[f"{kind}_delivered_ms"]
            print(
                f"              {label} first delivered p50 {delivered['first']['p50']} ms  "
                f"all delivered p50 {delivered['all']['p50']} ms (max {delivered['all']['max']})"
            )


def print_pdf(result: dict[str, Any]) -> None:
    printing, lag = result["print_ms"], result["loop_lag_while_printing_ms"]
    verdict = "meets" if result["meets_target"] else "misses"
    print(
        f"pdf: print p50 {printing['p50']} ms  p95 {printing['p95']} ms  "
        f"({result['pdf_bytes']} bytes)  loop lag while printing p99 {lag['p99']} ms "
        f"max {lag['max']} ms ({verdict} {TARGET_LAG_P99_MS:g} ms)"
    )


def print_proofs(result: dict[str, Any]) -> None:
    print(
        f"proofs ({result['entries']} entries, {result['runs']} each, load average "
        f"{result['load_average_before']} before):"
    )
    for name in ("inclusion", "consistency", "verify_receipt"):
        part = result[name]
        verdict = "meets" if part["meets_target"] else "misses"
        cpu = f"  CPU {part['cpu_ms_per_request']} ms/request" if "bare" in part else ""
        if "judged_on" in part:
            verdict = "meets" if part["meets_judged_target"] else "misses"
            verdict += f" {part['target_ms']} ms judged on {part['judged_on']}"
        else:
            verdict += f" {part['target_ms']} ms"
        print(f"  {name:<15} p50 {part['p50_ms']} ms  p95 {part['p95_ms']} ms{cpu} ({verdict})")
        if "bare" in part:
            bare = part["bare"]
            print(
                f"  {'  bare reads':<15} p50 {bare['p50_ms']} ms  p95 {bare['p95_ms']} ms  "
                f"CPU {bare['cpu_ms_per_request']} ms/request (CPU ratio "
                f"{part['ratio_cpu_to_bare']})"
            )
    print(
        f"  verify-receipt as a process (Python start-up included) p50 "
        f"{result['verify_receipt']['verify_receipt_cli_ms']} ms"
    )


def print_witnessed(result: dict[str, Any]) -> None:
    verdict = "meets" if result["meets_target"] else "misses"
    bare = result["without_witnesses"]["latency_ms"]
    witnessed = result["with_two_witnesses"]["latency_ms"]
    print(
        f"witnessed_list_change (sqlite): p95 {witnessed['p95']} ms with two witnesses, "
        f"{bare['p95']} ms without, ratio {result['ratio_p95']} "
        f"({verdict} {result['target_ratio']}x)"
    )


def print_key_rotation(result: dict[str, Any]) -> None:
    for keeper, figures in result.items():
        print(f"key rotation ({keeper}): {figures}")


PRINTERS: dict[str, Callable[[Any], None]] = {
    "case_submission": print_case_submission,
    "list_version": print_list_version,
    "minutes_version": print_minutes_version,
    "journal_verification": print_journal,
    "circulation": print_circulation,
    "smime": print_smime,
    "pdf": print_pdf,
    "proofs": print_proofs,
    "witnessed_list_change": print_witnessed,
    "key_rotation": print_key_rotation,
}


def print_summary(results: dict[str, Any], out: Path) -> None:
    for name in SECTIONS:
        if name in results:
            PRINTERS[name](results[name])
    print(f"written to {out}")


def sections_of(text: str) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(SECTIONS)}")
    return tuple(section for section in SECTIONS if section in chosen)


def add_submission_arguments(parser: argparse.ArgumentParser) -> None:
    submissions = parser.add_argument_group("case_submission")
    submissions.add_argument("--concurrency", type=int, default=32, help="workers (default 32)")
    submissions.add_argument("--warmup", type=float, default=2.0, help="seconds per server")
    submissions.add_argument("--duration", type=float, default=8.0, help="measured s per server")
    submissions.add_argument("--rounds", type=int, default=4, help="turns per server (default 4)")


def check_submission_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.concurrency < 1 or args.rounds < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--concurrency and --rounds must be >= 1, --duration > 0, --warmup >= 0")


def add_list_arguments(parser: argparse.ArgumentParser) -> None:
    lists = parser.add_argument_group("list_version")
    lists.add_argument("--list-changes", type=int, default=60, help="measured (default 60)")
    lists.add_argument("--list-warmup", type=int, default=3, help="changes not counted (3)")
    lists.add_argument("--list-persons", type=int, default=200, help="per version (200)")
    lists.add_argument("--list-spare", type=int, help="cases to add (default: the changes)")


def check_list_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.list_spare is None:
        args.list_spare = max(1, min(args.list_changes + args.list_warmup, 100))
    if args.list_changes < 1 or args.list_warmup < 0 or args.list_spare < 1:
        parser.error("--list-changes and --list-spare must be >= 1, --list-warmup >= 0")
    if not 1 <= args.list_persons <= 500:
        parser.error("--list-persons must be 1 to 500 (one request adds at most 500)")


def add_minutes_arguments(parser: argparse.ArgumentParser) -> None:
    minutes = parser.add_argument_group("minutes_version")
    minutes.add_argument("--minutes-cases", type=int, default=50, help="on the agenda (50)")
    minutes.add_argument("--minutes-actions", type=int, default=100, help="in all (100)")
    minutes.add_argument("--minutes-versions", type=int, default=30, help="measured, each (30)")
    minutes.add_argument("--minutes-warmup", type=int, default=3, help="not counted (3)")


def check_minutes_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if not 1 <= args.minutes_cases <= 500 or args.minutes_actions < 0:
        parser.error("--minutes-cases must be 1 to 500, --minutes-actions >= 0")
    if args.minutes_versions < 1 or args.minutes_warmup < 0:
        parser.error("--minutes-versions must be >= 1, --minutes-warmup >= 0")


def add_journal_arguments(parser: argparse.ArgumentParser) -> None:
    journal = parser.add_argument_group("journal_verification")
    journal.add_argument("--journal-entries", type=int, default=100_000, help="(100000)")
    journal.add_argument("--journal-runs", type=int, default=3, help="best of (3)")


def check_journal_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.journal_entries < 1 or args.journal_runs < 1:
        parser.error("--journal-entries and --journal-runs must be >= 1")


def add_proof_arguments(parser: argparse.ArgumentParser) -> None:
    proofs = parser.add_argument_group("proofs")
    proofs.add_argument("--proof-entries", type=int, default=1_000_000, help="(1000000)")
    proofs.add_argument("--proof-runs", type=int, default=200, help="proofs of each kind (200)")


def check_proof_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.proof_entries < 1 or args.proof_runs < 1:
        parser.error("--proof-entries and --proof-runs must be >= 1")


def add_circulation_arguments(parser: argparse.ArgumentParser) -> None:
    mail = parser.add_argument_group("circulation")
    mail.add_argument("--circulation-rounds", type=int, default=5, help="measured (default 5)")
    mail.add_argument("--circulation-warmup", type=int, default=1, help="not counted (1)")
    mail.add_argument("--circulation-recipients", type=int, default=30, help="(30)")
    mail.add_argument("--circulation-persons", type=int, default=20, help="per version (20)")


def check_circulation_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    circulation = (
        args.circulation_rounds,
        args.circulation_warmup + 1,
        args.circulation_recipients,
    )
    if min(circulation) < 1 or not 1 <= args.circulation_persons <= 500:
        parser.error(
            "--circulation-rounds and --circulation-recipients must be >= 1, "
            "--circulation-warmup >= 0, --circulation-persons 1 to 500"
        )


def add_smime_arguments(parser: argparse.ArgumentParser) -> None:
    smime = parser.add_argument_group("smime")
    smime.add_argument("--smime-rounds", type=int, default=5, help="measured (default 5)")
    smime.add_argument("--smime-warmup", type=int, default=1, help="not counted (1)")
    smime.add_argument("--smime-recipients", type=int, default=30, help="of each kind (30)")
    smime.add_argument("--smime-persons", type=int, default=200, help="on the version (200)")


def check_smime_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if min(args.smime_rounds, args.smime_recipients, args.smime_warmup + 1) < 1 or not (
        1 <= args.smime_persons <= 500
    ):
        parser.error("--smime-rounds and --smime-recipients >= 1, --smime-persons 1 to 500")


def add_pdf_arguments(parser: argparse.ArgumentParser) -> None:
    pdf = parser.add_argument_group("pdf")
    pdf.add_argument("--pdf-persons", type=int, default=200, help="per version (200)")
    pdf.add_argument("--pdf-prints", type=int, default=10, help="measured one by one (10)")
    pdf.add_argument("--pdf-concurrent", type=int, default=10, help="at once (10)")


def check_pdf_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if min(args.pdf_prints, args.pdf_concurrent) < 1 or not 1 <= args.pdf_persons <= 500:
        parser.error("--pdf-prints and --pdf-concurrent must be >= 1, --pdf-persons 1 to 500")


def add_rotation_arguments(parser: argparse.ArgumentParser) -> None:
    rotation = parser.add_argument_group("key_rotation")
    rotation.add_argument("--rotation-keys", type=int, default=100_000, help="file KEK (100000)")
    rotation.add_argument("--rotation-hsm-keys", type=int, default=10_000, help="SoftHSM (10000)")


def check_rotation_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if min(args.rotation_keys, args.rotation_hsm_keys) < 1:
        parser.error("--rotation-keys and --rotation-hsm-keys must be >= 1")


def quicken(args: argparse.Namespace) -> None:
    """``--quick``: a short run of every section."""
    args.warmup, args.duration, args.rounds = 0.5, 1.0, 1
    args.list_changes, args.list_warmup = 10, 1
    args.minutes_versions, args.minutes_warmup = 10, 1
    args.journal_entries = 10_000
    args.proof_entries, args.proof_runs = 10_000, 20
    args.circulation_rounds = 1
    args.smime_rounds = 1
    args.pdf_prints = 3
    args.rotation_keys, args.rotation_hsm_keys = 10_000, 1_000


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.json")
    parser.add_argument("--only", type=sections_of, default=SECTIONS, help=", ".join(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="a short run of every section")
    parser.add_argument("--pin", action="store_true", help="servers on one CPU, client on rest")
    sections = (
        (add_submission_arguments, check_submission_arguments),
        (add_list_arguments, check_list_arguments),
        (add_minutes_arguments, check_minutes_arguments),
        (add_journal_arguments, check_journal_arguments),
        (add_proof_arguments, check_proof_arguments),
        (add_circulation_arguments, check_circulation_arguments),
        (add_smime_arguments, check_smime_arguments),
        (add_pdf_arguments, check_pdf_arguments),
        (add_rotation_arguments, check_rotation_arguments),
    )
    for add, _ in sections:
        add(parser)
    args = parser.parse_args(argv)
    if args.quick:
        quicken(args)
    for _, check in sections:
        check(parser, args)
    return args


def exit_on_sigterm(signum: int, _frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so the servers are stopped and the database dropped."""
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    if not KSP.exists():
        print(f"bench: {KSP} not found; run `make install`", file=sys.stderr)
        return 2
    plan = Plan(
        sections=args.only,
        load=LoadConfig(args.concurrency, args.warmup, args.duration, args.rounds),
        lists=ListConfig(
            persons=args.list_persons,
            changes=args.list_changes,
            warmup=args.list_warmup,
            spare=args.list_spare,
            setup_concurrency=8,
        ),
        minutes=MinutesConfig(
            cases=args.minutes_cases,
            actions=args.minutes_actions,
            versions=args.minutes_versions,
            warmup=args.minutes_warmup,
            setup_concurrency=8,
        ),
        journal=JournalConfig(args.journal_entries, args.journal_runs),
        circulation=CirculationConfig(
            recipients=args.circulation_recipients,
            persons=args.circulation_persons,
            rounds=args.circulation_rounds,
            warmup=args.circulation_warmup,
            setup_concurrency=8,
        ),
        smime=SmimeBenchConfig(
            recipients=args.smime_recipients,
            persons=args.smime_persons,
            rounds=args.smime_rounds,
            warmup=args.smime_warmup,
        ),
        pinning=pin_cpus(args.pin),
        pdf=PdfConfig(
            persons=args.pdf_persons,
            prints=args.pdf_prints,
            concurrent=args.pdf_concurrent,
            workers=2,
        ),
        proof_entries=args.proof_entries,
        proof_runs=args.proof_runs,
        rotation_keys=(args.rotation_keys, args.rotation_hsm_keys),
    )
    load_before = load_average()
    results = run_in_scratch("bench", lambda tmp: run_sections(plan, tmp))
    if isinstance(results, int):
        return results
    write_report(args.out, report(plan, results, load_before))
    print_summary(results, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
