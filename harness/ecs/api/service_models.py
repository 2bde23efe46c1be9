"""botocore's service models for ECS, ECR, ELBv2 and CloudWatch, loaded once.

The same JSON files boto3 uses to build requests and parse responses define what we
accept and what we return; reading them keeps client and emulator from drifting apart.
"""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.model import OperationModel, OperationNotFoundError, ServiceModel, Shape

ECS = "ecs"
ECR = "ecr"
ELBV2 = "elbv2"
CLOUDWATCH = "cloudwatch"


@cache
def service_model(name: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(name)


def operation_model(service: str, operation: str) -> OperationModel | None:
    """The operation's model, or None when the service has no such operation."""
    try:
        return service_model(service).operation_model(operation)
    except OperationNotFoundError:
        return None


def error_shape(service: str, shape_name: str) -> Shape | None:
    model = service_model(service)
    return model.shape_for(shape_name) if shape_name in model.shape_names else None
