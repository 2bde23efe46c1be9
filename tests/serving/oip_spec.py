"""The Open Inference Protocol v2 REST schemas, to check every answer on ``/v2`` against.

Transcribed from the protocol's OpenAPI document (``components/schemas`` of
``specification/protocol/open_inference_rest.yaml`` in kserve/open-inference-protocol,
Apache-2.0), response side only, same component names. Stricter in one place: the
spec leaves ``error`` optional in ``inference_error_response``; an error object
without its message helps nobody, so it is required here as in the metadata errors.

Our own ``/openapi.json`` is checked for validity elsewhere; this is the outside
contract it must not drift from.
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator

_STRING = {"type": "string"}
_PARAMETERS = {"type": "object"}
_ERROR = {"type": "object", "properties": {"error": _STRING}, "required": ["error"]}

COMPONENTS: dict[str, Any] = {
    "metadata_server_response": {
        "type": "object",
        "properties": {
            "name": _STRING,
            "version": _STRING,
            "extensions": {"type": "array", "items": _STRING},
        },
        "required": ["name", "version", "extensions"],
    },
    "metadata_server_error_response": _ERROR,
    "metadata_tensor": {
        "type": "object",
        "properties": {
            "name": _STRING,
            "datatype": _STRING,
            "shape": {"type": "array", "items": {"type": "integer"}},
        },
        "required": ["name", "datatype", "shape"],
    },
    "metadata_model_response": {
        "type": "object",
        "properties": {
            "name": _STRING,
            "versions": {"type": "array", "items": _STRING},
            "platform": _STRING,
            "inputs": {"type": "array", "items": {"$ref": "#/$defs/metadata_tensor"}},
            "outputs": {"type": "array", "items": {"$ref": "#/$defs/metadata_tensor"}},
        },
        "required": ["name", "platform"],
    },
    "metadata_model_error_response": _ERROR,
    "tensor_data": {
        "type": "array",
        "items": {
            "anyOf": [
                {"$ref": "#/$defs/tensor_data"},
                {"type": "number"},
                {"type": "string"},
                {"type": "boolean"},
            ]
        },
    },
    "response_output": {
        "type": "object",
        "properties": {
            "name": _STRING,
            "shape": {"type": "array", "items": {"type": "integer"}},
            "datatype": _STRING,
            "parameters": _PARAMETERS,
            "data": {"$ref": "#/$defs/tensor_data"},
        },
        "required": ["name", "shape", "datatype", "data"],
    },
    "inference_response": {
        "type": "object",
        "properties": {
            "model_name": _STRING,
            "model_version": _STRING,
            "id": _STRING,
            "parameters": _PARAMETERS,
            "outputs": {"type": "array", "items": {"$ref": "#/$defs/response_output"}},
        },
        "required": ["model_name", "outputs"],
    },
    "inference_error_response": _ERROR,
}

_SEGMENT = r"[^/]+"
_MODEL = rf"/v2/models/{_SEGMENT}(/versions/{_SEGMENT})?"

#: (method, path pattern) -> (schema of a 2xx answer or None, schema of an error answer).
#: The health and ready endpoints define no body in the spec; their errors still are errors.
OPERATIONS: tuple[tuple[str, re.Pattern[str], str | None, str], ...] = (
    ("GET", re.compile(r"/v2/?"), "metadata_server_response", "metadata_server_error_response"),
    ("GET", re.compile(r"/v2/health/(live|ready)"), None, "metadata_server_error_response"),
    ("GET", re.compile(rf"{_MODEL}/ready"), None, "metadata_model_error_response"),
    ("GET", re.compile(_MODEL), "metadata_model_response", "metadata_model_error_response"),
    ("POST", re.compile(rf"{_MODEL}/infer"), "inference_response", "inference_error_response"),
)

#: Statuses the spec's error objects come with; 422 is not among them (bad input is 400).
OIP_ERROR_STATUSES = frozenset({400, 404, 405, 413, 415, 500, 503})


def _validator(component: str) -> Draft202012Validator:
    return Draft202012Validator({"$defs": COMPONENTS, "$ref": f"#/$defs/{component}"})


def check_oip_answer(method: str, path: str, status: int, body: Any) -> None:
    """Fail (AssertionError) unless this answer is what the OIP v2 spec allows.

    Unknown ``/v2`` paths are routing errors: they must still carry an OIP error object.
    """
    success, error = None, "metadata_server_error_response"
    for op_method, pattern, ok_schema, error_schema in OPERATIONS:
        if pattern.fullmatch(path) and (op_method == method or status >= 400):
            success, error = ok_schema, error_schema
            break
    if 200 <= status < 300:
        if success is not None:
            problems = [e.message for e in _validator(success).iter_errors(body)]
            assert not problems, f"{method} {path} {status} breaks {success}: {problems}"
        return
    assert status in OIP_ERROR_STATUSES, f"{method} {path} answered {status}, not an OIP status"
    problems = [e.message for e in _validator(error).iter_errors(body)]
    assert not problems, f"{method} {path} {status} breaks {error}: {problems} in {body!r}"
