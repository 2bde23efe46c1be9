"""Errors the control plane raises, each naming the AWS error shape it stands for.

The control plane decides *what* went wrong; the protocol layer (``harness.ecs.api``)
decides how that looks on the wire. Each class carries the name of the exception
shape in botocore's service model (``ClusterNotFoundException``,
``TargetGroupNotFoundException`` ...), so the wire code (``TargetGroupNotFound`` for
ELBv2) and HTTP status come from the same model boto3 uses to parse them, not from
a table we would have to keep in step by hand.
"""

from __future__ import annotations


class ControlPlaneError(Exception):
    """Base of every error a client can cause. ``shape`` names the botocore error shape."""

    shape: str = "ClientException"
    #: HTTP status when the model does not say (ECS's JSON error shapes carry none).
    http_status: int = 400
    sender_fault: bool = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- ECS ----------------------------------------------------------------------------


class ClientException(ControlPlaneError):
    """ECS's catch-all for a request that names something unusable."""

    shape = "ClientException"


class InvalidParameterException(ControlPlaneError):
    shape = "InvalidParameterException"


class ClusterNotFoundException(ControlPlaneError):
    shape = "ClusterNotFoundException"


class ClusterContainsServicesException(ControlPlaneError):
    shape = "ClusterContainsServicesException"


class ServiceNotFoundException(ControlPlaneError):
    shape = "ServiceNotFoundException"


class ServiceNotActiveException(ControlPlaneError):
    shape = "ServiceNotActiveException"


class ServiceDeploymentNotFoundException(ControlPlaneError):
    shape = "ServiceDeploymentNotFoundException"


class ConflictException(ControlPlaneError):
    """A service deployment in a state the request cannot change (finished, superseded)."""

    shape = "ConflictException"


class InvalidDeploymentConfiguration(InvalidParameterException):
    """A deployment configuration AWS would refuse (e.g. minimumHealthyPercent > maximumPercent)."""


# --- ELBv2 --------------------------------------------------------------------------


class ValidationError(ControlPlaneError):
    """ELBv2's input validation error (query protocol code ``ValidationError``)."""

    shape = "ValidationError"


class TargetGroupNotFound(ControlPlaneError):
    shape = "TargetGroupNotFoundException"


class DuplicateTargetGroupName(ControlPlaneError):
    shape = "DuplicateTargetGroupNameException"


class LoadBalancerNotFound(ControlPlaneError):
    shape = "LoadBalancerNotFoundException"


class DuplicateLoadBalancerName(ControlPlaneError):
    shape = "DuplicateLoadBalancerNameException"


class ListenerNotFound(ControlPlaneError):
    shape = "ListenerNotFoundException"


class DuplicateListener(ControlPlaneError):
    shape = "DuplicateListenerException"


class InvalidTarget(ControlPlaneError):
    shape = "InvalidTargetException"


class InvalidConfigurationRequest(ControlPlaneError):
    shape = "InvalidConfigurationRequestException"


class ResourceInUse(ControlPlaneError):
    shape = "ResourceInUseException"


class PriorityInUse(ControlPlaneError):
    shape = "PriorityInUseException"


class RuleNotFound(ControlPlaneError):
    shape = "RuleNotFoundException"


class OperationNotPermitted(ControlPlaneError):
    shape = "OperationNotPermittedException"


# --- service quotas (see ``quotas``) -------------------------------------------------


class LimitExceededException(ControlPlaneError):
    """ECS: "The limit for the resource was exceeded." (a service quota)."""

    shape = "LimitExceededException"


class TooManyLoadBalancers(ControlPlaneError):
    shape = "TooManyLoadBalancersException"


class TooManyTargetGroups(ControlPlaneError):
    shape = "TooManyTargetGroupsException"


class TooManyTargets(ControlPlaneError):
    shape = "TooManyTargetsException"


class TooManyListeners(ControlPlaneError):
    shape = "TooManyListenersException"


class TooManyTags(ControlPlaneError):
    shape = "TooManyTagsException"


class TooManyRules(ControlPlaneError):
    shape = "TooManyRulesException"
