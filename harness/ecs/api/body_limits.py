"""A ceiling on request bodies, so no client can make the emulator buffer without bound.

AWS's front ends refuse an oversized request before any service reads it; the emulator
must too, since it reads each body into memory (JSON for ECS, a form for ELBv2). The
body is read here, under the limit, before the protocol layer parses it (werkzeug
caches what it read), and an oversized one gets HTTP 413 in the protocol's own error
shape, code ``RequestEntityTooLarge``, naming the limit and the setting that moves it.
A chunked body with no Content-Length is cut off at the same limit.
"""

from __future__ import annotations

from werkzeug.exceptions import RequestEntityTooLarge as WerkzeugTooLarge
from werkzeug.wrappers import Request

from harness.ecs.control_plane.errors import ControlPlaneError

#: Default ceiling: far above any real ECS/ELBv2 request (a task definition is at most
#: 64 KiB; RegisterTargets of 1,000 targets is about 60 KB as a form).
DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024


class RequestEntityTooLarge(ControlPlaneError):
    """The body is over the emulator's limit (AWS answers such requests with 413)."""

    shape = "RequestEntityTooLarge"
    http_status = 413


def read_within(request: Request, limit: int, *, form: bool) -> RequestEntityTooLarge | None:
    """Read ``request``'s body (as a form when ``form``) under ``limit`` bytes.

    Returns the error to send when the body is over the limit, else None (the body is
    then cached on ``request`` for the protocol layer).
    """
    request.max_content_length = limit
    request.max_form_memory_size = limit
    try:
        if form:
            parameters = sum(1 for _ in request.form.items(multi=True))
        else:
            _read_all(request)
    except WerkzeugTooLarge:
        size = request.content_length
        stated = f"{size} bytes" if size is not None else "a chunked body"
        return RequestEntityTooLarge(
            f"Request entity too large: {stated} is over the emulator's limit of {limit} "
            "bytes (DRYDOCK_ECS_MAX_REQUEST_BYTES)."
        )
    if form and parameters > max_form_parameters(limit):
        # RegisterTargets of 1,000 targets is about 3,000; a form of one parameter per
        # few bytes is hostile, and every parameter costs parsing and validation
        return RequestEntityTooLarge(
            f"Request entity too large: the form has {parameters} parameters, more than "
            f"{max_form_parameters(limit)}."
        )
    return None


def max_form_parameters(limit: int) -> int:
    """At most one form parameter per 64 bytes of the body limit (16,384 for 1 MiB)."""
    return max(5_000, limit // 64)


def _read_all(request: Request) -> None:
    """Read the whole body into werkzeug's cache (``get_data`` reads one chunk of a
    chunked body only), raising werkzeug's 413 past ``max_content_length``."""
    parts: list[bytes] = []
    while chunk := request.stream.read(64 * 1024):
        parts.append(chunk)
    request._cached_data = b"".join(parts)  # what get_data() returns from now on
