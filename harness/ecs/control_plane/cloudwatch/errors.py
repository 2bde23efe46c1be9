"""CloudWatch's errors, each naming its shape in botocore's CloudWatch model.

The wire code comes from the shape's metadata (``LimitExceededFault`` is sent as
``LimitExceeded``, ``InvalidParameterValueException`` as ``InvalidParameterValue``), the
same way ELBv2's codes do (``harness.ecs.api.errors.to_wire``).
"""

from __future__ import annotations

from harness.ecs.control_plane.errors import ControlPlaneError


class ResourceNotFound(ControlPlaneError):
    shape = "ResourceNotFound"
    http_status = 404


class LimitExceeded(ControlPlaneError):
    """The alarm quota is reached (PutMetricAlarm)."""

    shape = "LimitExceededFault"


class InvalidParameterValue(ControlPlaneError):
    shape = "InvalidParameterValueException"


class MissingParameter(ControlPlaneError):
    shape = "MissingRequiredParameterException"


class InvalidParameterCombination(ControlPlaneError):
    shape = "InvalidParameterCombinationException"


class InvalidNextToken(ControlPlaneError):
    shape = "InvalidNextToken"


class InvalidFormat(ControlPlaneError):
    """SetAlarmState's StateReasonData is not JSON."""

    shape = "InvalidFormatFault"
