"""The published OpenAPI 3 description of this task's API, specific to the loaded model.

Built from the model (feature count, class count) so that a contract-testing
tool reading ``/openapi.json`` generates requests of the right shape, and so a
client can see the exact input a model takes without reading the manifest.
"""

from __future__ import annotations

from typing import Any

from serving.inference import DATATYPES
from serving.model_loading import ServedModel

OPENAPI_VERSION = "3.0.3"

_ERROR = {"$ref": "#/components/schemas/Error"}
#: The Open Inference Protocol's error object, on every /v2 path (serving/oip_errors.py).
_OIP_ERROR = {"$ref": "#/components/schemas/OipError"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_REASONS = {
    400: "Body is not valid JSON.",
    404: "No such model or version on this task.",
    413: "Body or batch larger than the configured limit.",
    415: "Content-Type is not application/json.",
    422: "Valid JSON that is not a batch this model takes (shape, types, NaN/inf).",
}
#: On OIP paths bad input is 400 too, in the spec's error shape.
_OIP_REASONS = {
    **_REASONS,
    400: "Body is not valid JSON, or not a tensor this model takes (shape, types, NaN/inf).",
}


def _errors(*statuses: int, oip: bool = False) -> dict[str, Any]:
    schema, reasons = (_OIP_ERROR, _OIP_REASONS) if oip else (_ERROR, _REASONS)
    return {str(s): _json(schema, reasons[s]) for s in statuses}


def build_openapi(model: ServedModel, server_version: str) -> dict[str, Any]:
    """The whole document; computed once per app."""
    n = model.n_features
    number = {"type": "number"}
    row = {"type": "array", "items": number, "minItems": n, "maxItems": n}
    name_param = {
        "name": "name",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": f"Model name; this task serves {model.name!r}.",
    }
    version_param = {
        "name": "version",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": f"Model version; this task serves {model.version!r}.",
    }
    infer_op = {
        "summary": "Open Inference Protocol v2 inference",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/InferRequest"}}
            },
        },
        "responses": {
            "200": _json({"$ref": "#/components/schemas/InferResponse"}, "Predictions."),
            **_errors(400, 404, 413, 415, oip=True),
        },
    }
    ready_op = {
        "summary": "Whether this model is ready for inference",
        "responses": {
            "200": _json({"type": "object"}, "Ready."),
            "503": _json(_OIP_ERROR, "Not ready (warming up or draining): why."),
            **_errors(404, oip=True),
        },
    }
    metadata_op = {
        "summary": "Model metadata",
        "responses": {
            "200": _json({"$ref": "#/components/schemas/ModelMetadata"}, "Metadata."),
            **_errors(404, oip=True),
        },
    }
    paths: dict[str, Any] = {
        "/predict": {
            "post": {
                "summary": "Predict a batch of rows in one vectorised call",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/PredictRequest"}
                        }
                    },
                },
                "responses": {
                    "200": _json({"$ref": "#/components/schemas/PredictResponse"}, "Predictions."),
                    **_errors(400, 413, 415, 422),
                },
            }
        },
        "/v2": {
            "get": {
                "summary": "Server metadata",
                "responses": {"200": _json({"type": "object"}, "Server metadata.")},
            }
        },
        "/v2/health/live": {
            "get": {"summary": "Liveness", "responses": {"200": _json({"type": "object"}, "Live.")}}
        },
        "/v2/health/ready": {
            "get": {
                "summary": "Readiness: model loaded, warmed up, not draining",
                "responses": {
                    "200": _json({"type": "object"}, "Ready."),
                    "503": _json(_OIP_ERROR, "Not ready (warming up or draining): why."),
                },
            }
        },
        "/v2/models/{name}": {"parameters": [name_param], "get": metadata_op},
        "/v2/models/{name}/ready": {"parameters": [name_param], "get": ready_op},
        "/v2/models/{name}/infer": {"parameters": [name_param], "post": infer_op},
        "/v2/models/{name}/versions/{version}": {
            "parameters": [name_param, version_param],
            "get": metadata_op,
        },
        "/v2/models/{name}/versions/{version}/ready": {
            "parameters": [name_param, version_param],
            "get": ready_op,
        },
        "/v2/models/{name}/versions/{version}/infer": {
            "parameters": [name_param, version_param],
            "post": infer_op,
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "responses": {
                    "200": {
                        "description": "Prometheus text format.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.")},
            }
        },
    }
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                }
            },
        },
        "OipError": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string"}},
        },
        "PredictRequest": {
            "type": "object",
            "required": ["instances"],
            "properties": {"instances": {"type": "array", "minItems": 1, "items": row}},
        },
        "PredictResponse": {
            "type": "object",
            "required": ["model", "model_version", "predictions"],
            "properties": {
                "model": {"type": "string"},
                "model_version": {"type": "string"},
                "predictions": {"type": "array", "items": {}},
                "probabilities": {"type": "array", "items": {"type": "array", "items": number}},
            },
        },
        "Tensor": {
            "type": "object",
            "required": ["name", "shape", "datatype", "data"],
            "properties": {
                "name": {"type": "string"},
                "shape": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0},
                    "minItems": 1,
                    "maxItems": 2,
                    "description": f"[rows, {n}] or [{n}]",
                },
                "datatype": {"type": "string", "enum": list(DATATYPES)},
                "data": {"type": "array", "items": {}, "description": "Flat or nested, row-major."},
            },
        },
        "InferRequest": {
            "type": "object",
            "required": ["inputs"],
            "properties": {
                "id": {"type": "string"},
                "inputs": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Tensor"},
                    "minItems": 1,
                    "maxItems": 1,
                },
                "outputs": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                },
            },
        },
        "InferResponse": {
            "type": "object",
            "required": ["model_name", "outputs"],
            "properties": {
                "model_name": {"type": "string"},
                "model_version": {"type": "string"},
                "id": {"type": "string"},
                "outputs": {"type": "array", "items": {"$ref": "#/components/schemas/Tensor"}},
            },
        },
        "ModelMetadata": {
            "type": "object",
            "required": ["name", "platform", "inputs", "outputs"],
            "properties": {
                "name": {"type": "string"},
                "versions": {"type": "array", "items": {"type": "string"}},
                "platform": {"type": "string"},
                "inputs": {"type": "array", "items": {"type": "object"}},
                "outputs": {"type": "array", "items": {"type": "object"}},
            },
        },
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"Drydock model server: {model.name}",
            "version": server_version,
            "description": (
                f"Serves model {model.name!r} version {model.version!r} "
                f"({n} features: {', '.join(model.feature_names)}). Every response carries "
                "X-Model-Version and X-Task-Id headers."
            ),
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }
