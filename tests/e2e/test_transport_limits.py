"""Issue 7, finding 4, over real sockets against a real `ksp serve`: a header over 16 KiB is
a 431 and stalls nobody; connections that are idle, or stop half-way through a request, are
closed; a flood of idle connections leaves /health served; requests over the concurrency
limit get 503. Also: `ksp serve` on a taken port exits, and `ksp token --ttl` is capped."""

from __future__ import annotations

import json
import resource
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.data import fresh_units
from support.server import KSP, Server, running_server, server_env, wait_for_health

HEADER_TIMEOUT = 2  # KSP_HEADER_TIMEOUT_SECONDS in these servers (default 30)
KEEP_ALIVE = 1  # KSP_KEEP_ALIVE_SECONDS (default 5)
PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"
FAST = 1.0  # seconds: /health answers in milliseconds; a stalled loop took 1.8 s and more


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("limits")
    env = server_env(data_dir) | {
        "KSP_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "KSP_KEEP_ALIVE_SECONDS": str(KEEP_ALIVE),
        "KSP_MAX_CONCURRENCY": "2",
    }
    with running_server(data_dir, env) as started:
        yield started


def connect(server: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", int(server.env["KSP_PORT"])), timeout=10)
    sock.settimeout(10)
    return sock


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    """Status and body of one response on a connection the server closes after it."""
    data = b""
    while chunk := sock.recv(65_536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def closed_by_server_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closed ``sock`` (reads EOF); fails after ``seconds``."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(65_536):
            pass
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for over {seconds} s")
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def health_seconds(server: Server) -> float:
    started = time.monotonic()
    assert httpx.get(server.base_url + "/health", timeout=5).status_code == 200
    return time.monotonic() - started


def request(path: str, *headers: str, method: str = "GET") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_request_headers_over_16_kib_get_431_and_health_stays_fast(server: Server) -> None:
    """KSP_MAX_HEADER_BYTES (16 KiB): a 17 KiB header is a 431 problem, one of 15 KiB is
    served."""
    with connect(server) as sock:
        sock.sendall(request("/health", "X-Pad: " + "a" * 17 * 1024))
        status, body = read_response(sock)
    assert status == 431
    assert json.loads(body)["type"] == PROBLEMS + "request-headers-too-large"
    with connect(server) as sock:
        sock.sendall(request("/health", "X-Pad: " + "a" * 15 * 1024))
        assert read_response(sock)[0] == 200
    assert health_seconds(server) < FAST


def test_a_huge_authorization_header_is_refused_early_and_stalls_nobody(server: Server) -> None:
    """Finding 4: a 32 MiB Authorization header stalled /health for 1.8 s. Now the server
    answers 431 after the first 16 KiB and closes, while /health stays fast."""
    sent, answer = 0, b""
    timings: list[float] = []
    with connect(server) as sock:
        sock.sendall(b"GET /api/v1/cases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ")
        chunk = b"a" * 65_536
        try:
            while sent < 32 * 1024 * 1024:
                sock.sendall(chunk)
                sent += len(chunk)
                if sent % (4 * 1024 * 1024) == 0:
                    timings.append(health_seconds(server))
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            answer = sock.recv(65_536)
        except ConnectionResetError:
            answer = b""  # the reset can overtake the answer; what matters is the refusal
    assert sent < 32 * 1024 * 1024, "the server read the whole 32 MiB header"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431 ")
    assert all(seconds < FAST for seconds in timings)
    assert health_seconds(server) < FAST


def test_a_token_over_8_kib_is_a_401_before_verification(server: Server) -> None:
    """KSP_MAX_TOKEN_BYTES (8 KiB): a 9 KiB bearer token, under the header cap, is a 401."""
    answer = httpx.get(
        server.base_url + "/api/v1/cases", headers={"Authorization": "Bearer " + "a" * 9216}
    )
    assert answer.status_code == 401
    assert answer.json()["type"] == PROBLEMS + "not-authenticated"


def test_a_connection_that_stops_half_way_through_its_headers_is_closed(
    server: Server,
) -> None:
    """KSP_HEADER_TIMEOUT_SECONDS: headers not complete in time, the connection is closed,
    however slowly the client keeps sending."""
    with connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        for _ in range(3):  # a byte now and then keeps no timer from running out
            time.sleep(HEADER_TIMEOUT / 4)
            sock.sendall(b"a")
        assert closed_by_server_within(sock, HEADER_TIMEOUT + 3) < HEADER_TIMEOUT + 3


def test_a_connection_that_sends_nothing_is_closed(server: Server) -> None:
    """A connection opened and never used is closed after the header time-out."""
    with connect(server) as sock:
        closed_by_server_within(sock, HEADER_TIMEOUT + 3)


def test_an_idle_keep_alive_connection_is_closed(server: Server) -> None:
    """KSP_KEEP_ALIVE_SECONDS: after its response, an idle connection is closed."""
    with connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65_536).startswith(b"HTTP/1.1 200 ")
        assert closed_by_server_within(sock, KEEP_ALIVE + 3) >= KEEP_ALIVE * 0.5


def test_a_body_that_stops_half_way_is_closed(server: Server) -> None:
    """The body, once the headers are in, must also arrive within the time-out."""
    with connect(server) as sock:
        sock.sendall(
            b"POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        closed_by_server_within(sock, HEADER_TIMEOUT + 3)


def test_requests_over_the_concurrency_limit_get_503_and_health_does_not(
    server: Server,
) -> None:
    """KSP_MAX_CONCURRENCY (2 here): a third request in progress is a 503 problem with
    Retry-After; /health is exempt, and the slots come back."""
    token = server.token("arrest", "arrest-koebenhavn")
    held = [connect(server) for _ in range(2)]
    try:
        for sock in held:  # headers in, body pending: each holds a request in progress
            sock.sendall(
                b"POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                b"Content-Type: application/json\r\n"
                b"Authorization: Bearer " + token.encode() + b"\r\n\r\n{"
            )
        time.sleep(0.3)
        busy = httpx.get(server.base_url + "/ready")
        assert busy.status_code == 503
        assert busy.json()["type"] == PROBLEMS + "busy"
        assert busy.headers["retry-after"] == "1"
        assert health_seconds(server) < FAST
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    assert httpx.get(server.base_url + "/ready").status_code == 200


def limit_open_files(files: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))


def test_a_flood_of_idle_connections_leaves_health_served(tmp_path: Path) -> None:
    """Finding 4: 1,100 idle connections exhausted the file descriptors. With 512 files
    allowed and KSP_MAX_CONNECTIONS=64, 700 idle connections shed the oldest idle ones and
    /health is still served."""
    env = server_env(tmp_path) | {"KSP_MAX_CONNECTIONS": "64"}
    subprocess.run([KSP, "db", "upgrade"], env=env, check=True, capture_output=True)
    base_url = f"http://127.0.0.1:{env['KSP_PORT']}"
    with (tmp_path / "server.log").open("wb") as sink:
        process = subprocess.Popen(
            [KSP, "serve"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: limit_open_files(512),  # noqa: PLW1509 - no threads started yet
        )
        idle: list[socket.socket] = []
        try:
            wait_for_health(base_url, process)
            address = ("127.0.0.1", int(env["KSP_PORT"]))
            idle.extend(socket.create_connection(address) for _ in range(700))
            time.sleep(0.5)
            answer = httpx.get(base_url + "/health", timeout=5)
            assert answer.status_code == 200
            assert process.poll() is None
        finally:
            for sock in idle:
                sock.close()
            process.terminate()
            process.wait(timeout=10)


def test_ksp_serve_on_a_taken_port_exits_non_zero(tmp_path: Path) -> None:
    """A port already in use: `ksp serve` says so and exits 1 (it used to hang)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = server_env(tmp_path) | {"KSP_PORT": str(taken.getsockname()[1])}
        subprocess.run([KSP, "db", "upgrade"], env=env, check=True, capture_output=True)
        result = subprocess.run(
            [KSP, "serve"], env=env, capture_output=True, text=True, timeout=30, check=False
        )
    assert result.returncode == 1
    assert "cannot listen on 127.0.0.1:" in result.stderr


def test_ksp_token_refuses_a_lifetime_over_the_maximum(tmp_path: Path) -> None:
    """KSP_TOKEN_MAX_TTL: `ksp token --ttl` beyond it exits 2 and names the variable."""
    env = server_env(tmp_path)
    base = [KSP, "token", "--role", "kif", "--unit", "kif-hovedstaden", "--sub", "s"]
    over = subprocess.run(
        [*base, "--ttl", "43201"], env=env, capture_output=True, text=True, check=False
    )
    assert over.returncode == 2
    assert "KSP_TOKEN_MAX_TTL" in over.stderr
    assert over.stdout == ""
    at_most = subprocess.run(
        [*base, "--ttl", "43200"], env=env, capture_output=True, text=True, check=False
    )
    assert at_most.returncode == 0
    assert at_most.stdout.count(".") == 2


def test_a_client_that_leaves_mid_body_is_logged_as_499_not_as_an_error(server: Server) -> None:
    """A client that hangs up half-way through its body is not a fault of the service: the
    access line says 499 (the client closed the request), and no unhandled error is logged."""
    token = server.token("arrest", fresh_units().arrest)
    with connect(server) as sock:
        sock.sendall(
            b"POST /api/v1/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {token}\r\nX-Request-ID: leaves-mid-body\r\n".encode()
            + b"Content-Length: 100\r\n\r\n{"
        )
        time.sleep(0.2)  # the handler is reading the body now
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in server.log.read_text().splitlines() if line]
        lines = [e for e in lines if e.get("request_id") == "leaves-mid-body"]
        posts = [e for e in lines if e.get("event") == "request"]
        if posts:
            break
        time.sleep(0.1)
    assert [e["status"] for e in posts] == [499]
    assert not [e for e in lines if e.get("event") == "unhandled_exception"]
