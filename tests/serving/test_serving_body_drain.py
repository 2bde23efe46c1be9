"""A refused (413) body is read to its end, bounded, so the client hears the answer.

Without it gunicorn closes with the body unread, the kernel resets the connection, and
HAProxy in front (``Connection: close`` to the task) loses the 413 some of the time:
the client sees a dropped connection (issue 11).
"""

from __future__ import annotations

import io

from serving.app import create_app
from serving.body_drain import discard_unread_body
from serving.model_loading import ServedModel
from serving.settings import ServingSettings


class CountingInput(io.BytesIO):
    """wsgi.input that remembers how much was read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        piece = super().read(size)
        self.consumed += len(piece)
        return piece


def post_oversized(served_iris: ServedModel, size: int, drain: int) -> tuple[int, str, int]:
    settings = ServingSettings(task_id="t", max_body_bytes=1000, drain_body_max_bytes=drain)
    client = create_app(settings, model=served_iris).test_client()
    body = CountingInput(b" " * size)
    response = client.post(
        "/predict",
        input_stream=body,
        headers={"Content-Type": "application/json", "Content-Length": str(size)},
    )
    return response.status_code, response.headers.get("Connection", ""), body.consumed


def test_an_oversized_body_is_read_to_its_end_before_the_413(served_iris: ServedModel) -> None:
    status, connection, consumed = post_oversized(served_iris, 300_000, drain=1_000_000)
    assert status == 413
    assert consumed == 300_000
    assert connection != "close", "a drained connection can be kept alive"


def test_past_the_drain_bound_the_connection_is_closed(served_iris: ServedModel) -> None:
    status, connection, consumed = post_oversized(served_iris, 3_000_000, drain=100_000)
    assert status == 413
    assert 100_000 <= consumed < 300_000, "reading stops soon after the bound"
    assert connection == "close"


def test_a_body_of_unknown_end_is_not_waited_on() -> None:
    class Endless(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise AssertionError("read a stream whose end nobody knows")

    assert discard_unread_body({"wsgi.input": Endless()}, 1_000)
    ten = {"CONTENT_LENGTH": "10"}
    assert discard_unread_body({**ten, "wsgi.input": io.BytesIO(b"x" * 10)}, 10)
    assert not discard_unread_body({**ten, "wsgi.input": io.BytesIO(b"x" * 10)}, 9)
