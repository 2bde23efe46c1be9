"""Protocol-level errors, and how any emulator error maps to AWS's wire code and status.

Errors decided by the control plane are :class:`ControlPlaneError` subclasses naming a
botocore error shape. The wire code and HTTP status come from that shape's metadata
(ELBv2's ``TargetGroupNotFoundException`` is sent as ``TargetGroupNotFound``, 400);
ECS's JSON error shapes carry no metadata, so their code is the shape name.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.ecs.api.service_models import error_shape
from harness.ecs.control_plane.errors import ControlPlaneError


class UnknownOperation(ControlPlaneError):
    """JSON 1.1: an X-Amz-Target naming no operation of its service."""

    shape = "UnknownOperationException"


class NotEmulated(ControlPlaneError):
    """A real AWS operation Drydock does not emulate: say so rather than pretend."""

    shape = "UnsupportedFeatureException"


class InvalidAction(ControlPlaneError):
    """Query protocol: an Action naming no ELBv2 operation (AWS's code)."""

    shape = "InvalidAction"


class MissingAction(ControlPlaneError):
    shape = "MissingAction"


class SerializationError(ControlPlaneError):
    """The body is not JSON / not a form (AWS: SerializationException)."""

    shape = "SerializationException"


class InternalFailure(ControlPlaneError):
    """A bug in the emulator: reported as AWS reports its own faults (HTTP 500)."""

    shape = "InternalFailure"
    http_status = 500
    sender_fault = False


@dataclass(frozen=True)
class WireError:
    code: str
    message: str
    status: int
    sender_fault: bool


def to_wire(service: str, error: ControlPlaneError) -> WireError:
    """Code, message and status for ``error`` as ``service``'s clients expect them."""
    shape = error_shape(service, error.shape)
    meta = (shape.metadata.get("error") if shape is not None else None) or {}
    return WireError(
        code=meta.get("code", error.shape),
        message=error.message,
        status=meta.get("httpStatusCode", error.http_status),
        sender_fault=meta.get("senderFault", error.sender_fault),
    )
