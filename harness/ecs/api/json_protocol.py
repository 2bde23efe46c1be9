"""AWS's JSON protocol, for every JSON service on the endpoint (ECS, ECR, CloudWatch).

``X-Amz-Target: <targetPrefix>.<Operation>`` names the service and the operation; the
body is JSON. The target prefix comes from each service's botocore model
(``AmazonEC2ContainerServiceV20141113`` for ECS, ``AmazonEC2ContainerRegistry_V20150921``
for ECR), so adding a JSON service is one :class:`JsonService` entry, not a new module.

Only protocol here: find the operation, parse and validate the body against its input
shape, call the control plane, serialise the output shape (timestamps as epoch
seconds, as these services send them) or the error (``{"__type": code, "message": ...}``).

CloudWatch speaks JSON 1.0 (its model's ``jsonVersion``; botocore picks ``json`` first of
the protocols the model lists, so boto3 and the AWS CLI both send it) and is
``awsQueryCompatible``: its errors also carry ``x-amzn-query-error: <code>;Sender``, from
which botocore takes the code its query-era clients know (``ResourceNotFound``).
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
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
from harness.ecs.api.service_models import (
    CLOUDWATCH,
    ECR,
    ECS,
    operation_model,
    service_model,
)
from harness.ecs.api.shape_walk import as_datetime, check_members
from harness.ecs.api.validation import validation_errors
from harness.ecs.control_plane import ECS_OPERATIONS, ControlPlane, ControlPlaneError, Operation
from harness.ecs.control_plane.cloudwatch import CLOUDWATCH_OPERATIONS
from harness.ecs.control_plane.cloudwatch.errors import InvalidParameterValue
from harness.ecs.control_plane.ecr import ECR_OPERATIONS
from harness.ecs.control_plane.errors import InvalidParameterException

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-amz-json-1.1"


@dataclass(frozen=True)
class JsonService:
    """One JSON service: its botocore model name, the operations emulated, and the
    error a request that fails the model's validation gets."""

    name: str
    operations: Mapping[str, Operation]
    invalid_parameter: type[ControlPlaneError] = InvalidParameterException

    @property
    def content_type(self) -> str:
        return (
            f"application/x-amz-json-{service_model(self.name).metadata.get('jsonVersion', '1.1')}"
        )

    @property
    def query_compatible(self) -> bool:
        return "awsQueryCompatible" in service_model(self.name).metadata

    @property
    def target_prefix(self) -> str:
        return service_model(self.name).metadata["targetPrefix"]

    @property
    def service_id(self) -> str:
        return service_model(self.name).metadata["serviceId"]


JSON_SERVICES = (
    JsonService(ECS, ECS_OPERATIONS),
    JsonService(ECR, ECR_OPERATIONS),
    JsonService(CLOUDWATCH, CLOUDWATCH_OPERATIONS, InvalidParameterValue),
)


@cache
def _by_target_prefix() -> dict[str, JsonService]:
    return {service.target_prefix: service for service in JSON_SERVICES}


def json_service(request: Request) -> JsonService | None:
    """The JSON service an ``X-Amz-Target`` POST is for; None for anything else."""
    if request.method != "POST":
        return None
    prefix, dot, _ = request.headers.get("X-Amz-Target", "").partition(".")
    return _by_target_prefix().get(prefix) if dot else None


def handle(request: Request, service: JsonService, control_plane: ControlPlane) -> Response:
    request_id = str(uuid.uuid4())
    try:
        name = request.headers["X-Amz-Target"].split(".", 1)[1]
        body = _parse(service, name, request.get_data())
        output = control_plane.call(service.operations[name], body)
        model = operation_model(service.name, name)
        assert model is not None
        payload = serialize(output, model.output_shape, name) if model.output_shape else {}
        return _response(payload, 200, request_id, service.content_type)
    except ControlPlaneError as error:
        return error_response(service, error, request_id)
    except Exception:
        log.exception("%s request failed inside the emulator", service.service_id)
        return error_response(
            service, InternalFailure("The emulator failed; see its log."), request_id
        )


def _parse(service: JsonService, name: str, raw: bytes) -> dict[str, Any]:
    model = operation_model(service.name, name)
    if model is None:
        raise UnknownOperation(f"Operation '{name}' is not an {service.service_id} operation.")
    if name not in service.operations:
        raise NotEmulated(
            f"{service.service_id} operation {name} is not emulated by Drydock; emulated: "
            f"{', '.join(sorted(service.operations))}."
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
        raise service.invalid_parameter("; ".join(problems))
    return body


def serialize(value: Any, shape: Shape, path: str) -> Any:
    """Python value -> JSON value per ``shape`` (epoch timestamps, base64 blobs)."""
    if value is None:
        return None
    if shape.metadata.get("document"):  # free-form JSON (``hookDetails``): as it came
        return value
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


def error_response(service: JsonService, error: ControlPlaneError, request_id: str) -> Response:
    wire = to_wire(service.name, error)
    if not service.query_compatible:
        return _response({"__type": wire.code, "message": wire.message}, wire.status, request_id)
    fault = "Sender" if wire.sender_fault else "Receiver"
    return _response(
        {"__type": error.shape, "message": wire.message},
        wire.status,
        request_id,
        service.content_type,
        {"x-amzn-query-error": f"{wire.code};{fault}"},
    )


def _response(
    payload: dict[str, Any],
    status: int,
    request_id: str,
    content_type: str = CONTENT_TYPE,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        json.dumps(payload),
        status=status,
        content_type=content_type,
        headers={"x-amzn-RequestId": request_id, **(headers or {})},
    )
