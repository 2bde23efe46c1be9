"""ECS's JSON 1.1 protocol: ``X-Amz-Target`` names the operation, the body is JSON.

Only protocol here: find the operation, parse and validate the body against its input
shape, call the control plane, serialise the output shape (timestamps as epoch
seconds, as ECS sends them) or the error (``{"__type": code, "message": ...}``).
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from werkzeug.wrappers import Request, Response

from harness.ecs.api.errors import (
    InternalFailure,
    NotEmulated,
    SerializationError,
    UnknownOperation,
    to_wire,
)
from harness.ecs.api.service_models import ECS, operation_model, service_model
from harness.ecs.api.shape_walk import as_datetime, check_members
from harness.ecs.api.validation import validation_errors
from harness.ecs.control_plane import ECS_OPERATIONS, ControlPlane, ControlPlaneError
from harness.ecs.control_plane.errors import InvalidParameterException

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-amz-json-1.1"


def target_prefix() -> str:
    return service_model(ECS).metadata["targetPrefix"]


def is_ecs_request(request: Request) -> bool:
    return request.method == "POST" and request.headers.get("X-Amz-Target", "").startswith(
        target_prefix() + "."
    )


def handle(request: Request, control_plane: ControlPlane) -> Response:
    request_id = str(uuid.uuid4())
    try:
        name = request.headers["X-Amz-Target"].split(".", 1)[1]
        body = _parse(name, request.get_data())
        output = control_plane.call(ECS_OPERATIONS[name], body)
        model = operation_model(ECS, name)
        assert model is not None
        payload = serialize(output, model.output_shape, name) if model.output_shape else {}
        return _response(payload, 200, request_id)
    except ControlPlaneError as error:
        return error_response(error, request_id)
    except Exception:
        log.exception("ECS request failed inside the emulator")
        return error_response(InternalFailure("The emulator failed; see its log."), request_id)


def _parse(name: str, raw: bytes) -> dict[str, Any]:
    model = operation_model(ECS, name)
    if model is None:
        raise UnknownOperation(f"Operation '{name}' is not an ECS operation.")
    if name not in ECS_OPERATIONS:
        raise NotEmulated(
            f"ECS operation {name} is not emulated by Drydock; emulated: "
            f"{', '.join(sorted(ECS_OPERATIONS))}."
        )
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise SerializationError(f"Request body is not valid JSON: {exc}") from exc
    except RecursionError:
        raise SerializationError("Request body is not valid JSON: nested too deeply") from None
    if not isinstance(body, dict):
        raise SerializationError("Request body must be a JSON object.")
    problems = validation_errors(body, model.input_shape)
    if problems:
        raise InvalidParameterException("; ".join(problems))
    return body


def serialize(value: Any, shape: Shape, path: str) -> Any:
    """Python value -> JSON value per ``shape`` (epoch timestamps, base64 blobs)."""
    if value is None:
        return None
    if isinstance(shape, StructureShape):
        check_members(value, shape, path)
        out = {}
        for key, item in value.items():
            converted = serialize(item, shape.members[key], f"{path}.{key}")
            if converted is not None:
                out[shape.members[key].serialization.get("name", key)] = converted
        return out
    if isinstance(shape, ListShape):
        return [serialize(v, shape.member, f"{path}[]") for v in value]
    if isinstance(shape, MapShape):
        return {k: serialize(v, shape.value, f"{path}.{k}") for k, v in value.items()}
    if shape.type_name == "timestamp":
        return as_datetime(value).timestamp()
    if shape.type_name == "blob":
        return base64.b64encode(value if isinstance(value, bytes) else value.encode()).decode()
    return value


def error_response(error: ControlPlaneError, request_id: str) -> Response:
    wire = to_wire(ECS, error)
    return _response({"__type": wire.code, "message": wire.message}, wire.status, request_id)


def _response(payload: dict[str, Any], status: int, request_id: str) -> Response:
    return Response(
        json.dumps(payload),
        status=status,
        content_type=CONTENT_TYPE,
        headers={"x-amzn-RequestId": request_id},
    )
