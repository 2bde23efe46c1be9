"""The kit's ClientLoad: one body by default, or many distinct inputs in turn."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.testing.load import IRIS_HIGH, IRIS_LOW, IRIS_ROW, ClientLoad, varied_iris_bodies


class _Echo(BaseHTTPRequestHandler):
    """Answers 500 when the first feature is above 6, else 200; records every body."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, object]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append(body)
        status = 500 if body["instances"][0][0] > 6 else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.send_header("X-Task-Id", "task-1")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_url() -> Iterator[str]:
    _Echo.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _run(load: ClientLoad, count: int) -> ClientLoad:
    with load:
        deadline = time.monotonic() + 20
        while len(load.responses) < count and time.monotonic() < deadline:
            time.sleep(0.01)
    return load


def test_varied_iris_bodies_are_distinct_stable_and_within_iris_ranges() -> None:
    bodies = varied_iris_bodies(500, seed=3)
    rows = [tuple(b["instances"][0]) for b in bodies]
    assert len(set(rows)) == 500
    assert varied_iris_bodies(500, seed=3) == bodies
    assert varied_iris_bodies(500, seed=4) != bodies
    for row in rows:
        assert all(lo <= v <= hi for v, lo, hi in zip(row, IRIS_LOW, IRIS_HIGH, strict=True))


def test_by_default_every_request_posts_the_one_body(echo_url: str) -> None:
    load = _run(ClientLoad(echo_url, pause_s=0.0, max_requests=20), 20)
    assert len(load.responses) == 20
    assert _Echo.seen == [IRIS_ROW] * 20
    assert {r.input_index for r in load.responses} == {0}


def test_bodies_are_sent_in_turn_and_each_answer_says_which(echo_url: str) -> None:
    bodies = varied_iris_bodies(50, seed=1)
    load = _run(ClientLoad(echo_url, bodies=bodies, threads=3, pause_s=0.0, max_requests=100), 100)
    assert len(load.responses) == 100
    assert sorted(map(json.dumps, _Echo.seen)) == sorted(map(json.dumps, bodies * 2))
    # the answer for an input is the server's answer for that input
    for response in load.responses:
        failing = bodies[response.input_index]["instances"][0][0] > 6
        assert response.status == (500 if failing else 200)
        assert response.task_id == "task-1"
    assert load.failures and load.successes
