"""The server's errors: each knows its stable code and HTTP status.

Two boundaries, two hierarchies. ``ApiError`` is what a client did wrong and
becomes a 4xx JSON body (``{"error": {"code", "message"}}`` on ``/predict``, the Open
Inference Protocol's ``{"error": "<message>"}`` and 400 for 422 on ``/v2``, see
``serving/oip_errors.py``); ``ModelLoadError``
is why the process cannot serve at all and becomes one line on stderr and a
non-zero exit (a task that cannot load its model must fail its deployment, not
answer 500s).
"""

from __future__ import annotations


class ApiError(Exception):
    """A request the server refuses; never a server fault, so never a 5xx."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidJson(ApiError):
    status = 400
    code = "invalid_json"


class InvalidInput(ApiError):
    """Well-formed JSON that does not describe a batch this model can take."""

    status = 422
    code = "invalid_input"


class UnsupportedMediaType(ApiError):
    status = 415
    code = "unsupported_media_type"


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"


class ModelNotFound(ApiError):
    status = 404
    code = "model_not_found"


class ModelLoadError(Exception):
    """The configured model cannot be served; the message says why, in one line."""
