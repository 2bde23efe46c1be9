"""A stand-in for the load balancer and the ECS API, in one thread, on 127.0.0.1.

Model traffic (``/predict``, ``/v2/models/<name>/infer``) is answered with
``X-Model-Version`` "1" until :meth:`deploy` is called, then "2", optionally
with a window of 502s first (a botched drain). ``POST /`` with an
``X-Amz-Target`` header speaks just enough of the ECS JSON API
(``UpdateService``, ``DescribeServices``) for the CLI's boto3 trigger.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
STEADY_AFTER_S = 1.0


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class FakeRollout:
    def __init__(self, outage_s: float = 0.0) -> None:
        self.outage_s = outage_s
        self.deployed_at: float | None = None
        self.update_calls = 0
        self._lock = threading.Lock()

    def deploy(self) -> None:
        with self._lock:
            self.deployed_at = time.time()
            self.update_calls += 1

    def events(self) -> list[dict[str, Any]]:
        """DescribeServices-style events: newest first, as ECS lists them."""
        if self.deployed_at is None:
            return [{"createdAt": time.time() - 3600, "message": "(service web) old history"}]
        out = [{"createdAt": self.deployed_at, "message": "(service web) has started 1 tasks."}]
        if time.time() >= self.deployed_at + STEADY_AFTER_S:
            steady = self.deployed_at + STEADY_AFTER_S
            out.append(
                {"createdAt": steady, "message": "(service web) has reached a steady state."}
            )
        return list(reversed(out))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            return self._ecs(target, start_response)
        deployed = self.deployed_at
        if deployed is not None and time.time() < deployed + self.outage_s:
            start_response("502 Bad Gateway", [("Content-Type", "text/plain")])
            return [b"no healthy target"]
        version = "1" if deployed is None else "2"
        body = json.dumps({"predictions": [0]}).encode()
        headers = [
            ("Content-Type", "application/json"),
            ("X-Model-Version", version),
            ("X-Task-Id", f"task-v{version}"),
        ]
        start_response("200 OK", headers)
        return [body]

    def _ecs(self, target: str, start_response: StartResponse) -> Iterable[bytes]:
        operation = target.rsplit(".", 1)[-1]
        if operation == "UpdateService":
            self.deploy()
            answer: dict[str, Any] = {"service": {"serviceName": "web"}}
        elif operation == "DescribeServices":
            answer = {"services": [{"serviceName": "web", "events": self.events()}], "failures": []}
        else:
            start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.1")])
            return [json.dumps({"__type": "InvalidParameterException"}).encode()]
        start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1")])
        return [json.dumps(answer).encode()]


@contextmanager
def serve(app: FakeRollout) -> Iterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port; yields its URL, always shuts down."""
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
