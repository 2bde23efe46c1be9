"""Input validation against the operation's input shape, as AWS's front end does it.

botocore's own ParamValidator checks required members, types, unknown members and
min/max ranges; it does not check enums, so :func:`enum_errors` adds that. boto3
validates before sending, but curl, other SDKs and ``parameter_validation=False``
do not, and a clear server-side message naming the bad member is the point.
"""

from __future__ import annotations

from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.validate import ParamValidator


def validation_errors(params: dict[str, Any], shape: Shape | None) -> list[str]:
    """Human-readable problems with ``params``; empty when valid."""
    if shape is None:
        return [f"Unexpected parameter: {k}" for k in params]
    report = ParamValidator().validate(params, shape)
    problems = report.generate_report().splitlines() if report.has_errors() else []
    problems = [p.strip() for p in problems if p.strip()]
    return problems + enum_errors(params, shape, "input")


def enum_errors(value: Any, shape: Shape, path: str) -> list[str]:
    """Values outside a string shape's enum, with the path to them and the allowed values."""
    errors: list[str] = []
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for key, member in shape.members.items():
            if key in value:
                errors += enum_errors(value[key], member, f"{path}.{key}")
    elif isinstance(shape, ListShape) and isinstance(value, list):
        for i, item in enumerate(value):
            errors += enum_errors(item, shape.member, f"{path}[{i}]")
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        for key, item in value.items():
            errors += enum_errors(item, shape.value, f"{path}.{key}")
    elif shape.type_name == "string" and isinstance(value, str):
        allowed = shape.enum
        if allowed and value not in allowed:
            errors.append(
                f"Invalid value for parameter {path}, value: {value}, valid values: "
                f"{', '.join(allowed)}"
            )
    return errors
