"""HTTP plumbing shared by the endpoints: JSON bodies in, JSON bodies and errors out.

Responses are serialised with ``json.dumps`` straight into a ``Response``
rather than through Flask's JSON provider (which sorts keys and goes through
more layers); it is the hot path of every prediction.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Request, Response

from serving.errors import InvalidJson, PayloadTooLarge, UnsupportedMediaType

JSON_MIMETYPE = "application/json"
_dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(_dumps(payload), status=status, mimetype=JSON_MIMETYPE)


def error_response(status: int, code: str, message: str) -> Response:
    return json_response({"error": {"code": code, "message": message}}, status)


def read_json_body(request: Request) -> Any:
    """The request's JSON document, or an ApiError saying what is wrong with the body.

    Size is enforced by Werkzeug (``MAX_CONTENT_LENGTH``) while reading, which
    raises a 413 before a huge body is held in memory.
    """
    mimetype = request.mimetype
    if mimetype != JSON_MIMETYPE and not mimetype.endswith("+json"):
        found = f"Content-Type is {mimetype!r}" if mimetype else "Content-Type is missing"
        raise UnsupportedMediaType(f"{found}, expected {JSON_MIMETYPE!r}")
    data = request.get_data(cache=False)
    limit = request.max_content_length
    if limit is not None and request.content_length is None and len(data) >= limit:
        # A chunked body is cut at the limit by Werkzeug rather than refused; refuse it.
        raise PayloadTooLarge(f"body is larger than the {limit}-byte limit")
    if not data:
        raise InvalidJson("body is empty, expected a JSON document")
    try:
        return json.loads(data)
    except UnicodeDecodeError:
        raise InvalidJson("body is not UTF-8 encoded JSON") from None
    except ValueError as exc:
        raise InvalidJson(f"body is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidJson("body is not valid JSON: nested too deeply") from None
