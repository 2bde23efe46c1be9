"""Reading the rest of a refused body, so the client hears the 413 instead of a reset.

A body over the limit is refused before it is read. If the server then closes the
connection with the body still arriving, the client (or the load balancer in front)
sees the connection dropped, not the answer: HAProxy, talking to the task with
``Connection: close``, passes the 413 on but stops reading the client's upload, and a
client that sends its whole body before reading (Python's http.client, requests) then
waits until the idle timeout cuts it off. nginx (``lingering_close``) and Go's
net/http solve this the same way: read and drop what is left of the body, bounded,
then answer. Past the bound the connection is closed anyway; a client sending tens
of megabytes to a 1 MiB endpoint gets the 413 if its HTTP stack reads early answers.
"""

from __future__ import annotations

from typing import Any

from flask import Response

_PIECE = 64 * 1024


def discard_unread_body(environ: dict[str, Any], max_bytes: int) -> bool:
    """Read and drop the rest of the request body, at most ``max_bytes``.

    True when the body was read to its end (the connection can be kept). Only reads
    where the end is known (a Content-Length, or a server that marks the input
    terminated, as gunicorn does for chunked bodies), so it never waits on a client.
    """
    stream = environ.get("wsgi.input")
    if stream is None:
        return True
    if not environ.get("CONTENT_LENGTH") and not environ.get("wsgi.input_terminated"):
        return True
    dropped = 0
    while dropped <= max_bytes:
        piece = stream.read(_PIECE)
        if not piece:
            return True
        dropped += len(piece)
    return False


def finish_refused_body(response: Response, environ: dict[str, Any], max_bytes: int) -> Response:
    """Drain the refused body; close the connection when it was too big to drain."""
    if not discard_unread_body(environ, max_bytes):
        response.headers["Connection"] = "close"
    return response
