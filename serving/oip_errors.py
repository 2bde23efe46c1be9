"""Error answers in the Open Inference Protocol's own shape on its paths.

OIP v2 (KServe, Triton, Seldon) defines an error as ``{"error": "<message>"}`` and
a request it cannot take as 400; clients written against the spec (KServe's SDK,
Triton's client) read exactly that. ``/predict`` is Drydock's own API and keeps its
richer ``{"error": {"code", "message"}}`` and 422 for well-formed but unusable input.
"""

from __future__ import annotations

from flask import Response

from serving.http import error_response, json_response

OIP_PREFIX = "/v2"


def is_oip_path(path: str) -> bool:
    return path == OIP_PREFIX or path.startswith(OIP_PREFIX + "/")


def oip_status(status: int) -> int:
    """The spec answers bad input with 400; 422 is not an OIP status."""
    return 400 if status == 422 else status


def error_for(path: str, status: int, code: str, message: str) -> Response:
    """The error answer for a request to ``path``: OIP's shape there, Drydock's elsewhere."""
    if is_oip_path(path):
        return json_response({"error": message}, oip_status(status))
    return error_response(status, code, message)
