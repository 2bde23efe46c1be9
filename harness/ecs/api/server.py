"""Serving the WSGI app: a blocking server for the CLI, a background one for tests.

werkzeug's threaded server keeps all state in one process, which the control plane
needs (its state is in memory, shared with the driver thread); a multi-process server
such as gunicorn with several workers would split it, so it is not used here.
"""

from __future__ import annotations

import threading
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, make_server

from harness.ecs.api.app import make_wsgi_app
from harness.ecs.api.body_limits import DEFAULT_MAX_REQUEST_BYTES
from harness.ecs.control_plane import ControlPlane

LOCALHOST = "127.0.0.1"


class ApiServer:
    """The API on a background thread; a context manager so tests always stop it.

    ``port=0`` picks a free port; read it back from :attr:`port` / :attr:`endpoint_url`.
    """

    def __init__(
        self,
        control_plane: ControlPlane,
        host: str = LOCALHOST,
        port: int = 0,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    ) -> None:
        self.control_plane = control_plane
        self._server: BaseWSGIServer = make_server(
            host, port, make_wsgi_app(control_plane, max_request_bytes), threaded=True
        )
        # A short poll interval makes stop() (and so every test's teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="drydock-ecs-api",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return self._server.server_port

    @property
    def endpoint_url(self) -> str:
        return f"http://{self._server.host}:{self.port}"

    def start(self) -> ApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(control_plane: ControlPlane, host: str = LOCALHOST, port: int = 8005) -> None:
    """Serve in the calling thread until interrupted."""
    server = make_server(host, port, make_wsgi_app(control_plane), threaded=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
