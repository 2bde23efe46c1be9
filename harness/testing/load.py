"""Bounded background traffic through the load balancer, recording what clients saw.

Bounded in count and time (the machine's rule for load loops), so a hung rollout never
leaves a client hammering 127.0.0.1. Each response keeps the headers a rollout is judged
by: ``X-Model-Version`` (which model answered) and ``X-Task-Id`` (which task).

By default every request posts the same body; ``bodies`` makes the clients cycle through
many distinct inputs instead (:func:`varied_iris_bodies`), for a model that fails on some
inputs only (the serving image's ``DRYDOCK_FAULT_SERVER_ERROR_SHARE``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import numpy as np
import requests

#: One iris row: what Drydock's serving image predicts on.
IRIS_ROW: dict[str, Any] = {"instances": [[5.9, 3.0, 5.1, 1.8]]}
#: The ranges iris features take (cm): sepal length, sepal width, petal length, width.
IRIS_LOW, IRIS_HIGH = (4.3, 2.0, 1.0, 0.1), (7.9, 4.4, 6.9, 2.5)


def varied_iris_bodies(count: int, seed: int = 0) -> list[dict[str, Any]]:
    """``count`` distinct one-row ``/predict`` bodies within iris's ranges, the same for a
    seed (two decimals, as a client would send them)."""
    rng = np.random.default_rng(seed)
    rows: set[tuple[float, ...]] = set()
    while len(rows) < count:
        row = np.round(rng.uniform(IRIS_LOW, IRIS_HIGH), 2)
        rows.add(tuple(float(v) for v in row))
    return [{"instances": [list(row)]} for row in sorted(rows)]


@dataclass(frozen=True)
class Response:
    at: float  # time.monotonic() when the answer (or the error) arrived
    status: int | None  # None: no HTTP answer at all
    version: str | None
    task_id: str | None
    error: str = ""
    input_index: int = 0  # which of ClientLoad.bodies was sent (0 with a single body)

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class ClientLoad:
    """``threads`` clients POSTing ``body`` (or, when given, ``bodies`` in turn, one per
    request) to ``url + path`` until stopped or bounded."""

    url: str
    path: str = "/predict"
    body: dict[str, Any] = field(default_factory=lambda: dict(IRIS_ROW))
    bodies: Sequence[dict[str, Any]] = ()
    threads: int = 1
    pause_s: float = 0.02
    max_requests: int = 3000
    max_seconds: float = 150.0
    timeout_s: float = 10.0
    responses: list[Response] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._sent = 0
        self._workers: list[threading.Thread] = []

    @property
    def failures(self) -> list[Response]:
        return [r for r in self.responses if not r.ok]

    @property
    def successes(self) -> list[Response]:
        return [r for r in self.responses if r.ok]

    def after(self, moment: float) -> list[Response]:
        """Responses that arrived after ``moment`` (``time.monotonic()``)."""
        return [r for r in self.responses if r.at > moment]

    def start(self) -> ClientLoad:
        for n in range(self.threads):
            worker = threading.Thread(target=self._run, name=f"client-load-{n}", daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=self.timeout_s + 5)

    def _take_ticket(self) -> int | None:
        """The request's number, or None when the count is spent."""
        with self._lock:
            if self._sent >= self.max_requests:
                return None
            self._sent += 1
            return self._sent - 1

    def _run(self) -> None:
        session, deadline = requests.Session(), time.monotonic() + self.max_seconds
        while not self._stop.is_set() and time.monotonic() < deadline:
            ticket = self._take_ticket()
            if ticket is None:
                break
            index = ticket % len(self.bodies) if self.bodies else 0
            body = self.bodies[index] if self.bodies else self.body
            try:
                answer = session.post(self.url + self.path, json=body, timeout=self.timeout_s)
                record = Response(
                    time.monotonic(),
                    answer.status_code,
                    answer.headers.get("X-Model-Version"),
                    answer.headers.get("X-Task-Id"),
                    "" if answer.ok else answer.text[:120],
                    index,
                )
            except requests.RequestException as exc:
                record = Response(time.monotonic(), None, None, None, repr(exc)[:200], index)
            with self._lock:
                self.responses.append(record)
            time.sleep(self.pause_s)

    def __enter__(self) -> ClientLoad:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
