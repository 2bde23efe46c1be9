"""The server as a process: one-line exits on bad models or settings, drain on SIGTERM.

These start real interpreters (``python -m serving.wsgi``, gunicorn), so they
cover what unit tests cannot: the exit code and stderr a deployment sees, and
gunicorn's signal handling with the gthread worker.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import PublishModel

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without DRYDOCK_* settings; these processes serve unsigned
    models unless a test configures trusted keys (signing: test_serving_signed_models)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DRYDOCK_", "PROMETHEUS_"))}
    env["DRYDOCK_VERIFY_SIGNATURES"] = "false"
    env.update(extra)
    return env


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=clean_env(**env), capture_output=True, text=True, timeout=60)


def assert_one_line(stderr: str, *fragments: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("drydock-serving: "), stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_bad_model_exits_nonzero_with_one_line(tmp_path: Path, publish_model: PublishModel) -> None:
    publish_model(tmp_path, payload=b"tampered")
    uri = f"file://{tmp_path}"
    result = run([sys.executable, "-m", "serving.wsgi"], DRYDOCK_MODEL_URI=uri)
    assert result.returncode == 3
    assert_one_line(result.stderr, f"cannot load model {uri}: ", "model.pkl is 8 bytes")


def test_good_model_check_exits_zero(tmp_path: Path, publish_model: PublishModel) -> None:
    publish_model(tmp_path)
    result = run([sys.executable, "-m", "serving.wsgi"], DRYDOCK_MODEL_URI=f"file://{tmp_path}")
    assert result.returncode == 0, result.stderr
    assert "model iris version 7 loads" in result.stdout


def test_gunicorn_exits_nonzero_with_one_line_when_the_model_is_missing(tmp_path: Path) -> None:
    uri = f"file://{tmp_path}"
    result = run(
        [GUNICORN, "--config", "python:serving.gunicorn_conf"],
        DRYDOCK_MODEL_URI=uri,
        DRYDOCK_BIND=f"127.0.0.1:{free_port()}",
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert_one_line(result.stderr, f"cannot load model {uri}: no such file", "manifest.json")


def test_gunicorn_exits_nonzero_with_one_line_on_invalid_settings() -> None:
    result = run([GUNICORN, "--config", "python:serving.gunicorn_conf"], DRYDOCK_WORKERS="two")
    assert result.returncode == 2
    assert_one_line(result.stderr, "DRYDOCK_WORKERS")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path: Path, publish_model: PublishModel) -> Iterator[tuple[subprocess.Popen, int]]:
    publish_model(tmp_path / "model")
    port = free_port()
    process = subprocess.Popen(
        [GUNICORN, "--config", "python:serving.gunicorn_conf"],
        env=clean_env(
            DRYDOCK_MODEL_URI=f"file://{tmp_path / 'model'}",
            DRYDOCK_BIND=f"127.0.0.1:{port}",
            DRYDOCK_WORKERS="1",
            DRYDOCK_GRACEFUL_TIMEOUT="5",
            DRYDOCK_DRAIN_QUIET_PERIOD="2",
            DRYDOCK_DRAIN_MAX_WAIT="4",
            DRYDOCK_TASK_ID="task-proc",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def wait_ready(port: int, deadline_s: float = 15.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/v2/health/ready")
            if connection.getresponse().status == 200:
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("server never became ready")


def get(connection: http.client.HTTPConnection, path: str) -> http.client.HTTPResponse:
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response


def test_sigterm_flips_readiness_at_once_and_exits_within_grace(
    gunicorn: tuple[subprocess.Popen, int],
) -> None:
    process, port = gunicorn
    wait_ready(port)
    kept_alive = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    kept_alive.request("GET", "/metrics")
    metrics = kept_alive.getresponse().read().decode()
    # multiprocess mode: the master's model gauge and the workers' counters in one scrape
    assert 'drydock_model_info{name="iris",sklearn_version=' in metrics
    assert 'route="/v2/health/ready",status="200"}' in metrics
    first = get(kept_alive, "/v2/health/ready")
    assert first.status == 200
    assert first.getheader("X-Task-Id") == "task-proc"

    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    # The worker still answers on the kept-alive connection, but no longer as ready.
    draining = get(kept_alive, "/v2/health/ready")
    assert draining.status == 503
    assert draining.getheader("X-Model-Version") == "7"
    # The draining answer closes the connection; no new connection gets an answer (the
    # master closed its listener; one still queued on the worker's copy is reset at exit).
    assert draining.getheader("Connection") == "close"
    with pytest.raises((ConnectionRefusedError, ConnectionResetError, TimeoutError)):
        get(http.client.HTTPConnection("127.0.0.1", port, timeout=5), "/v2/health/live")
    assert process.wait(timeout=10) == 0
    assert time.monotonic() - sent < 5 + 2  # graceful timeout plus slack


def test_sigterm_lets_an_in_flight_request_finish(gunicorn: tuple[subprocess.Popen, int]) -> None:
    """A client still uploading its body when SIGTERM arrives gets its full answer."""
    process, port = gunicorn
    wait_ready(port)
    body = b'{"instances": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}'
    head = (
        f"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(head + body[:10])
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        client.sendall(body[10:])
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
            if b'"predictions"' in answer and answer.endswith(b"}"):
                break
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b'"model_version":"7"' in answer
    assert process.wait(timeout=10) == 0


def test_sigterm_while_clients_keep_connecting_answers_every_request(
    gunicorn: tuple[subprocess.Popen, int],
) -> None:
    """No balancer drain first: a steady stream of new connections runs across SIGTERM.

    A worker that stopped accepting at once would leave the connections the
    kernel had queued on its socket to be reset at exit. The worker lingers
    instead, answers them, and stops once they stop (DRYDOCK_DRAIN_QUIET_PERIOD).
    """
    process, port = gunicorn
    wait_ready(port)
    body = '{"instances": [[5.1, 3.5, 1.4, 0.2]]}'
    headers = {"Content-Type": "application/json"}
    answered_at: list[float] = []
    failures: list[str] = []
    stop = threading.Event()

    def client() -> None:  # one that has not noticed the task is going away
        while not stop.is_set():
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request("POST", "/predict", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    answered_at.append(time.monotonic())
                else:
                    failures.append(f"status {response.status}")
            except OSError as exc:
                failures.append(repr(exc))
            finally:
                connection.close()

    stream = threading.Thread(target=client)
    stream.start()
    try:
        time.sleep(0.5)
        signalled_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        time.sleep(1.5)
    finally:
        stop.set()
        stream.join(timeout=10)
    traffic_stopped_at = time.monotonic()
    assert failures == []
    assert sum(at > signalled_at for at in answered_at) > 10, "answered after the signal"
    assert process.wait(timeout=10) == 0
    # it stopped about one quiet period (2 s here) after the last request, not at max wait
    assert time.monotonic() - traffic_stopped_at < 2.0 + 1.5


def post_raw(port: int, head: bytes, body: bytes | None, chunked_total: int = 0) -> bytes:
    """Send a request the way a client streaming an upload does, and read the answer.

    Returns what came back before the server closed (b"" or a reset is a dropped
    connection). The body is sent in 64 KiB pieces while reading whatever arrives,
    as HAProxy and HTTP clients do.
    """
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as client:
        client.sendall(head)
        pieces: Iterator[bytes]
        if body is not None:
            pieces = (body[i : i + 65536] for i in range(0, len(body), 65536))
        else:
            piece = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
            pieces = iter([piece] * (chunked_total // 0x10000) + [b"0\r\n\r\n"])
        try:
            for piece in pieces:
                client.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early and closed; what matters is what it sent
        try:
            while chunk := client.recv(65536):
                answer += chunk
                if _complete(answer):
                    break
        except ConnectionResetError:
            pass
    return answer


def _complete(answer: bytes) -> bool:
    """Whether ``answer`` holds a whole response (head and Content-Length body)."""
    head, separator, body = answer.partition(b"\r\n\r\n")
    if not separator:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


@pytest.mark.parametrize("connection", ["keep-alive", "close"])
@pytest.mark.parametrize("size", [1_100_000, 2_200_000, 22_000_000])
def test_a_body_over_the_limit_gets_413_not_a_dropped_connection(
    gunicorn: tuple[subprocess.Popen, int], size: int, connection: str
) -> None:
    """``Connection: close`` is how HAProxy (``option http-server-close``) talks to a task."""
    _, port = gunicorn
    wait_ready(port)
    head = (
        "POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Connection: {connection}\r\nContent-Length: {size}\r\n\r\n"
    ).encode()
    answer = post_raw(port, head, b" " * size)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"payload_too_large"' in answer


def test_a_chunked_body_over_the_limit_gets_413(gunicorn: tuple[subprocess.Popen, int]) -> None:
    _, port = gunicorn
    wait_ready(port)
    head = (
        b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    answer = post_raw(port, head, None, chunked_total=3 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
