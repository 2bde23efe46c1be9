"""ELBv2's query protocol: form-encoded ``Action=...&Version=2015-12-01``, XML out.

Only protocol here: find the operation, parse the form against its input shape,
validate, call the control plane, serialise the output or an ``<ErrorResponse>``.
"""

from __future__ import annotations

import logging
import uuid

from werkzeug.wrappers import Request, Response

from harness.ecs.api.errors import (
    InternalFailure,
    InvalidAction,
    MissingAction,
    NotEmulated,
    to_wire,
)
from harness.ecs.api.query_parser import parse_query
from harness.ecs.api.service_models import ELBV2, operation_model, service_model
from harness.ecs.api.validation import validation_errors
from harness.ecs.api.xml_serializer import error_xml, response_xml
from harness.ecs.control_plane import ELBV2_OPERATIONS, ControlPlane, ControlPlaneError
from harness.ecs.control_plane.errors import ValidationError

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/xml"


def is_query_request(request: Request) -> bool:
    return request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded"


def namespace() -> str:
    return service_model(ELBV2).metadata["xmlNamespace"]


def handle(request: Request, control_plane: ControlPlane) -> Response:
    request_id = str(uuid.uuid4())
    try:
        form = {k: v for k, v in request.form.items()}
        action = form.pop("Action", None)
        version = form.pop("Version", None)
        if not action:
            raise MissingAction("The request must contain the parameter Action.")
        model = operation_model(ELBV2, action)
        if model is None:
            raise InvalidAction(f"The action {action} is not valid for this web service.")
        expected = service_model(ELBV2).api_version
        if version != expected:
            raise ValidationError(
                f"Version must be {expected} for Elastic Load Balancing v2, not '{version}'."
            )
        if action not in ELBV2_OPERATIONS:
            raise NotEmulated(
                f"ELBv2 action {action} is not emulated by Drydock; emulated: "
                f"{', '.join(sorted(ELBV2_OPERATIONS))}."
            )
        params = parse_query(form, model.input_shape)
        problems = validation_errors(params, model.input_shape)
        if problems:
            raise ValidationError("; ".join(problems))
        output = control_plane.call(ELBV2_OPERATIONS[action], params)
        body = response_xml(model, output, request_id, namespace())
        return Response(
            body, status=200, content_type=CONTENT_TYPE, headers={"x-amzn-RequestId": request_id}
        )
    except ControlPlaneError as error:
        return error_response(error, request_id)
    except Exception:
        log.exception("ELBv2 request failed inside the emulator")
        return error_response(InternalFailure("The emulator failed; see its log."), request_id)


def error_response(error: ControlPlaneError, request_id: str) -> Response:
    wire = to_wire(ELBV2, error)
    body = error_xml(wire.code, wire.message, wire.sender_fault, request_id, namespace())
    return Response(
        body,
        status=wire.status,
        content_type=CONTENT_TYPE,
        headers={"x-amzn-RequestId": request_id},
    )
