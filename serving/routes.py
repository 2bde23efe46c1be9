"""The endpoints, as blueprints: Open Inference Protocol v2, ``/predict``, and operations.

Handlers close over the app's ``ServingState`` instead of looking it up per
request. They parse, call ``inference``, and shape the answer; they decide
nothing about validity themselves.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from serving.errors import InvalidInput, ModelNotFound
from serving.faults import ServerErrorFault
from serving.http import json_response, read_json_body
from serving.inference import (
    Prediction,
    oip_datatype,
    predict,
    rows_from_instances,
    rows_from_tensor,
)
from serving.state import ServingState
from serving.version import __version__

SERVER_NAME = "drydock-serving"
INPUT_NAME = "input-0"
PREDICT_OUTPUT = "predict"
PROBA_OUTPUT = "predict_proba"


def _check_model(state: ServingState, name: str, version: str | None = None) -> None:
    model = state.model
    if name != model.name:
        raise ModelNotFound(f"model {name!r} is not served here; this task serves {model.name!r}")
    if version is not None and version != model.version:
        raise ModelNotFound(
            f"model {name!r} version {version!r} is not served here; "
            f"this task serves version {model.version!r}"
        )


def v2_blueprint(state: ServingState) -> Blueprint:
    """Open Inference Protocol v2 (KServe, Triton, Seldon speak it)."""
    bp = Blueprint("v2", __name__, url_prefix="/v2")
    model, lifecycle = state.model, state.lifecycle
    fault = ServerErrorFault(state.settings.fault_server_error_share)

    @bp.get("")
    def server_metadata() -> Response:
        return json_response({"name": SERVER_NAME, "version": __version__, "extensions": []})

    @bp.get("/health/live")
    def live() -> Response:
        return json_response({"live": True})

    @bp.get("/health/ready")
    def ready() -> Response:
        if lifecycle.ready:
            return json_response({"ready": True})
        return json_response({"ready": False, "error": lifecycle.not_ready_reason()}, 503)

    def metadata(name: str, version: str | None = None) -> Response:
        _check_model(state, name, version)
        outputs = [{"name": PREDICT_OUTPUT, "datatype": state.label_datatype, "shape": [-1]}]
        if model.classes is not None:
            outputs.append(
                {"name": PROBA_OUTPUT, "datatype": "FP64", "shape": [-1, len(model.classes)]}
            )
        return json_response(
            {
                "name": model.name,
                "versions": [model.version],
                "platform": f"sklearn/{model.sklearn_version}",
                "inputs": [
                    {"name": INPUT_NAME, "datatype": "FP64", "shape": [-1, model.n_features]}
                ],
                "outputs": outputs,
            }
        )

    def model_ready(name: str, version: str | None = None) -> Response:
        _check_model(state, name, version)
        if lifecycle.ready:
            return json_response({"name": model.name, "ready": True})
        answer = {"name": model.name, "ready": False, "error": lifecycle.not_ready_reason()}
        return json_response(answer, 503)

    def infer(name: str, version: str | None = None) -> Response:
        _check_model(state, name, version)
        body = read_json_body(request)
        matrix, _ = rows_from_tensor(body, model.n_features, state.settings.max_batch_rows)
        wanted = _requested_outputs(body, model.classes is not None)
        request_id = body.get("id")
        if request_id is not None and type(request_id) is not str:
            raise InvalidInput("'id' must be a string")
        fault.check(matrix)
        prediction = predict(model, matrix)
        answer: dict[str, Any] = {
            "model_name": model.name,
            "model_version": model.version,
            "outputs": _oip_outputs(prediction, wanted),
        }
        if request_id is not None:
            answer["id"] = request_id
        return json_response(answer)

    bp.add_url_rule("/models/<name>", view_func=metadata, methods=["GET"])
    bp.add_url_rule("/models/<name>/versions/<version>", view_func=metadata, methods=["GET"])
    bp.add_url_rule("/models/<name>/ready", view_func=model_ready, methods=["GET"])
    bp.add_url_rule(
        "/models/<name>/versions/<version>/ready", view_func=model_ready, methods=["GET"]
    )
    bp.add_url_rule("/models/<name>/infer", view_func=infer, methods=["POST"])
    bp.add_url_rule("/models/<name>/versions/<version>/infer", view_func=infer, methods=["POST"])
    return bp


def _requested_outputs(body: dict[str, Any], has_proba: bool) -> tuple[str, ...]:
    """Which outputs the client asked for (all by default); unknown names are refused."""
    available = (PREDICT_OUTPUT, PROBA_OUTPUT) if has_proba else (PREDICT_OUTPUT,)
    requested = body.get("outputs")
    if requested is None:
        return available
    if type(requested) is not list or not all(
        type(o) is dict and type(o.get("name")) is str for o in requested
    ):
        raise InvalidInput("'outputs' must be an array of objects with a 'name' string")
    names = tuple(o["name"] for o in requested)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise InvalidInput(
            f"unknown output(s) {', '.join(map(repr, unknown))}; available: {', '.join(available)}"
        )
    return names or available


def _oip_outputs(prediction: Prediction, wanted: tuple[str, ...]) -> list[dict[str, Any]]:
    outputs = []
    for name in wanted:
        array = prediction.labels if name == PREDICT_OUTPUT else prediction.probabilities
        assert array is not None  # _requested_outputs offers predict_proba only when it exists
        outputs.append(
            {
                "name": name,
                "shape": list(array.shape),
                "datatype": oip_datatype(array),
                "data": array.ravel().tolist(),
            }
        )
    return outputs


def predict_blueprint(state: ServingState) -> Blueprint:
    """``POST /predict`` with ``{"instances": [[...], ...]}``: the simple, familiar form."""
    bp = Blueprint("predict", __name__)
    model = state.model
    max_rows = state.settings.max_batch_rows
    fault = ServerErrorFault(state.settings.fault_server_error_share)

    @bp.post("/predict")
    def predict_instances() -> Response:
        matrix = rows_from_instances(read_json_body(request), model.n_features, max_rows)
        fault.check(matrix)
        prediction = predict(model, matrix)
        answer: dict[str, Any] = {
            "model": model.name,
            "model_version": model.version,
            "predictions": prediction.labels.tolist(),
        }
        if prediction.probabilities is not None:
            answer["probabilities"] = prediction.probabilities.tolist()
        return json_response(answer)

    return bp


def ops_blueprint(state: ServingState) -> Blueprint:
    """What operators and tools read: metrics and the API description."""
    bp = Blueprint("ops", __name__)

    @bp.get("/metrics")
    def metrics() -> Response:
        body, content_type = state.metrics.exposition()
        return Response(body, content_type=content_type)

    @bp.get("/openapi.json")
    def openapi() -> Response:
        return Response(state.openapi_json, mimetype="application/json")

    return bp
