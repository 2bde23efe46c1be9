"""Errors of the load balancer boundary, each carrying the ELBv2 error code it stands for.

The ELBv2 API layer turns these into AWS-shaped error responses; the CLI prints them as
one line (they are ``DrydockError``s).
"""

from __future__ import annotations

from harness.errors import DrydockError


class BalancerError(DrydockError):
    """Something the balancer could not do; ``code`` is ELBv2's error code."""

    code = "InternalFailure"
    http_status = 500


class TargetGroupNotFoundError(BalancerError):
    code = "TargetGroupNotFound"
    http_status = 400


class DuplicateTargetGroupNameError(BalancerError):
    code = "DuplicateTargetGroupName"
    http_status = 400


class InvalidTargetError(BalancerError):
    code = "InvalidTarget"
    http_status = 400


class InvalidConfigurationRequestError(BalancerError):
    """Bad settings (health check, listener port): AWS's ``ValidationError``-like cases."""

    code = "InvalidConfigurationRequest"
    http_status = 400


class RuntimeApiError(BalancerError):
    """HAProxy's Runtime API refused a command or could not be reached."""

    code = "InternalFailure"
    http_status = 500
