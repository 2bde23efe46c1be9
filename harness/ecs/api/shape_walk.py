"""Shape-driven conversion of output values, shared by the JSON and XML serializers.

Walking the output shape (rather than ``json.dumps`` on whatever the control plane
returned) means a member the model does not define is caught as a bug here, not by a
confused client, and timestamps get each protocol's format.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.model import Shape, StructureShape


class OutputShapeError(Exception):
    """The control plane returned something the output shape does not allow (a bug)."""


def as_datetime(value: datetime | float | int) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), tz=UTC)


def check_members(value: dict[str, Any], shape: StructureShape, path: str) -> None:
    unknown = sorted(set(value) - set(shape.members))
    if unknown:
        raise OutputShapeError(f"{path} ({shape.name}) has no member(s) {unknown}")


def member_shape(shape: Shape, key: str) -> Shape:
    assert isinstance(shape, StructureShape)
    return shape.members[key]
