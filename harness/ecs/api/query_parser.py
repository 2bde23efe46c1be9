"""Form-encoded query-protocol input (``TargetGroupArns.member.1=...``) -> nested params.

The inverse of botocore's ``QuerySerializer``, driven by the same input shape: member
names (or their ``locationName``), lists as ``.member.N`` (or flattened ``.N``), maps as
``.entry.N.key``/``.value``, scalars converted to the shape's type so the result can be
checked by botocore's ParamValidator like any boto3 call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from harness.ecs.control_plane.errors import ValidationError

_MISSING: Any = object()


def parse_query(form: Mapping[str, str], shape: Shape | None) -> dict[str, Any]:
    """Params for ``shape`` from the form (without Action/Version)."""
    if shape is None:
        return {}
    unknown = _unknown_keys(form, shape)
    if unknown:
        raise ValidationError(f"Unknown parameter(s): {', '.join(sorted(unknown))}")
    value = _parse(_IndexedForm(form), shape, "")
    return {} if value is _MISSING else value


class _IndexedForm(dict[str, str]):
    """The form with, for each list prefix, the item numbers its keys use: worked out
    in one pass, so a hostile form of many list items costs linear time, not a scan of
    every key per item (quadratic: 5,000 parts took 5 s)."""

    def __init__(self, form: Mapping[str, str]) -> None:
        super().__init__(form)
        self.indexes: dict[str, set[int]] = {}
        for key in form:
            parts = key.split(".")
            for position in range(1, len(parts)):
                if parts[position].isdigit():
                    prefix = ".".join(parts[:position])
                    self.indexes.setdefault(prefix, set()).add(int(parts[position]))


def _parse(form: Mapping[str, str], shape: Shape, prefix: str) -> Any:
    if isinstance(shape, StructureShape):
        out = {}
        for key, member in shape.members.items():
            name = member.serialization.get("name", key)
            value = _parse(form, member, f"{prefix}.{name}" if prefix else name)
            if value is not _MISSING:
                out[key] = value
        return out if out or not prefix else _MISSING
    if isinstance(shape, ListShape):
        if form.get(prefix) == "":
            return []  # the query protocol's spelling of an empty list
        if shape.serialization.get("flattened"):
            item_prefix = prefix
        else:
            item_prefix = f"{prefix}.{shape.member.serialization.get('name', 'member')}"
        items = []
        for index in _indexes(form, item_prefix):
            value = _parse(form, shape.member, f"{item_prefix}.{index}")
            if value is not _MISSING:
                items.append(value)
        return items if items else _MISSING
    if isinstance(shape, MapShape):
        entry = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        out = {}
        for index in _indexes(form, entry):
            key = form.get(f"{entry}.{index}.{key_name}")
            if key is not None:
                out[key] = _parse(form, shape.value, f"{entry}.{index}.{value_name}")
        return out if out else _MISSING
    if prefix not in form:
        return _MISSING
    return _scalar(form[prefix], shape, prefix)


def _indexes(form: Mapping[str, str], prefix: str) -> list[int]:
    """The N in ``prefix.N`` / ``prefix.N.rest`` keys, sorted (clients number from 1)."""
    if isinstance(form, _IndexedForm):
        return sorted(form.indexes.get(prefix, ()))
    found = set()
    start = prefix + "."
    for key in form:
        if key.startswith(start):
            head = key[len(start) :].split(".", 1)[0]
            if head.isdigit():
                found.add(int(head))
    return sorted(found)


def _scalar(raw: str, shape: Shape, where: str) -> Any:
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(raw)
        if kind in ("float", "double"):
            return float(raw)
    except ValueError as exc:
        raise ValidationError(f"Value '{raw}' at '{where}' is not a valid {kind}") from exc
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise ValidationError(f"Value '{raw}' at '{where}' is not a valid boolean")
        return raw.lower() == "true"
    return raw


def _unknown_keys(form: Mapping[str, str], shape: Shape) -> list[str]:
    """Top-level form keys that name no input member (typos a user should hear about)."""
    assert isinstance(shape, StructureShape)
    names = {m.serialization.get("name", k) for k, m in shape.members.items()}
    return [k for k in form if k.split(".", 1)[0] not in names]
