"""Output shapes -> AWS query-protocol XML, the format botocore's QueryParser reads.

``<OpResponse xmlns=...><OpResult>...</OpResult><ResponseMetadata><RequestId>``; lists
as ``<member>`` elements, maps as ``<entry><key/><value/></entry>``, booleans
``true``/``false``, timestamps ISO 8601 in UTC with milliseconds.
"""

from __future__ import annotations

import base64
from typing import Any
from xml.etree import ElementTree as ET

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from harness.ecs.api.shape_walk import as_datetime, check_members


def response_xml(
    operation: OperationModel, output: dict[str, Any], request_id: str, namespace: str
) -> bytes:
    root = ET.Element(f"{operation.name}Response", xmlns=namespace)
    shape = operation.output_shape
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{operation.name}Result")
        result = ET.SubElement(root, wrapper)
        _structure(result, output, shape, operation.name)
    metadata = ET.SubElement(root, "ResponseMetadata")
    ET.SubElement(metadata, "RequestId").text = request_id
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def error_xml(
    code: str, message: str, sender_fault: bool, request_id: str, namespace: str
) -> bytes:
    root = ET.Element("ErrorResponse", xmlns=namespace)
    error = ET.SubElement(root, "Error")
    ET.SubElement(error, "Type").text = "Sender" if sender_fault else "Receiver"
    ET.SubElement(error, "Code").text = code
    ET.SubElement(error, "Message").text = message
    ET.SubElement(root, "RequestId").text = request_id
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _structure(parent: ET.Element, value: dict[str, Any], shape: StructureShape, path: str) -> None:
    check_members(value, shape, path)
    for key, member in shape.members.items():  # model order, as AWS emits
        if value.get(key) is None:
            continue
        name = member.serialization.get("name", key)
        if isinstance(member, ListShape) and member.serialization.get("flattened"):
            for item in value[key]:
                _value(ET.SubElement(parent, name), item, member.member, f"{path}.{key}")
            continue
        _value(ET.SubElement(parent, name), value[key], member, f"{path}.{key}")


def _value(element: ET.Element, value: Any, shape: Shape, path: str) -> None:
    if isinstance(shape, StructureShape):
        _structure(element, value, shape, path)
    elif isinstance(shape, ListShape):
        item_name = shape.member.serialization.get("name", "member")
        for item in value:
            _value(ET.SubElement(element, item_name), item, shape.member, f"{path}[]")
    elif isinstance(shape, MapShape):
        for key, item in value.items():
            entry = ET.SubElement(element, "entry")
            ET.SubElement(entry, shape.key.serialization.get("name", "key")).text = str(key)
            _value(
                ET.SubElement(entry, shape.value.serialization.get("name", "value")),
                item,
                shape.value,
                f"{path}.{key}",
            )
    elif shape.type_name == "boolean":
        element.text = "true" if value else "false"
    elif shape.type_name == "timestamp":
        text = as_datetime(value).isoformat(timespec="milliseconds")
        element.text = text.replace("+00:00", "Z")
    elif shape.type_name == "blob":
        raw = value if isinstance(value, bytes) else str(value).encode()
        element.text = base64.b64encode(raw).decode()
    else:
        element.text = str(value)
