"""The application factory: a validated settings object and a model in, a Flask app out.

``create_app(settings, model=served_model)`` is all a test needs; without a
model the factory loads the one ``settings.model_uri`` names (through every
check in ``model_loading``) and raises ``ModelLoadError`` if it cannot. The app
is ready only when it returns: model loaded and one warm-up prediction done.
"""

from __future__ import annotations

import json
import logging
from time import perf_counter
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from serving.body_drain import finish_refused_body
from serving.errors import ApiError, ModelLoadError
from serving.faults import SERVER_ERROR_SHARE_VARIABLE, InjectedServerError
from serving.inference import oip_datatype
from serving.lifecycle import Lifecycle, warm_up
from serving.metrics import ServingMetrics
from serving.model_loading import ServedModel, load_model
from serving.model_source import open_source
from serving.oip_errors import error_for
from serving.openapi import build_openapi
from serving.routes import ops_blueprint, predict_blueprint, v2_blueprint
from serving.settings import ServingSettings
from serving.signature import verifier_for
from serving.state import EXTENSION_KEY, ServingState
from serving.version import __version__

log = logging.getLogger("drydock.serving")

_START = "drydock.start"
#: Requests the balancer and monitoring make, not clients: they do not keep a
#: draining worker lingering (the balancer probes readiness until the end).
PROBE_ENDPOINTS = frozenset({"v2.live", "v2.ready", "v2.model_ready", "ops.metrics"})


def create_app(
    settings: ServingSettings,
    model: ServedModel | None = None,
    *,
    s3_client: Any = None,
) -> Flask:
    """Build the app around ``model``, or around the model ``settings.model_uri`` names."""
    lifecycle = Lifecycle()
    if model is None:
        verifier = verifier_for(settings.verify_signatures, settings.public_keys)
        source = open_source(settings.model_uri, s3_client=s3_client)
        model = load_model(
            source, extra_trusted=frozenset(settings.skops_trusted_types), verifier=verifier
        )
    lifecycle.loaded = True
    try:
        labels = warm_up(model.estimator, model.n_features, model.has_proba)
    except Exception as exc:
        raise ModelLoadError(f"warm-up prediction failed: {type(exc).__name__}: {exc}") from None
    lifecycle.warmed_up = True

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    state = ServingState(
        settings=settings,
        model=model,
        lifecycle=lifecycle,
        metrics=ServingMetrics(model, settings.task_id),
        label_datatype=oip_datatype(labels),
        openapi_json=json.dumps(build_openapi(model, __version__)).encode(),
    )
    app.extensions[EXTENSION_KEY] = state
    app.register_blueprint(v2_blueprint(state))
    app.register_blueprint(predict_blueprint(state))
    app.register_blueprint(ops_blueprint(state))
    _install_hooks(app, state)
    _install_error_handlers(app)
    if settings.fault_server_error_share > 0:
        log.warning(
            "injecting a fault: %s=%g of inputs are answered 500",
            SERVER_ERROR_SHARE_VARIABLE,
            settings.fault_server_error_share,
        )
    log.info(
        "serving model %s version %s (%d features) from %s",
        model.name,
        model.version,
        model.n_features,
        model.source_uri or "memory",
    )
    return app


def _install_hooks(app: Flask, state: ServingState) -> None:
    """Identity headers on every response (errors included) and request metrics."""
    version, task_id, metrics = state.model.version, state.settings.task_id, state.metrics
    lifecycle = state.lifecycle

    @app.before_request
    def start_clock() -> None:
        request.environ[_START] = perf_counter()
        if request.endpoint not in PROBE_ENDPOINTS:
            lifecycle.note_traffic()

    @app.after_request
    def identify_and_count(response: Response) -> Response:
        headers = response.headers
        headers["X-Model-Version"] = version
        headers["X-Task-Id"] = task_id
        environ = request.environ
        started = environ.get(_START)
        if started is not None:
            rule = request.url_rule
            metrics.observe(
                rule.rule if rule is not None else "unmatched",
                request.method,
                response.status_code,
                perf_counter() - started,
            )
        return response


def _install_error_handlers(app: Flask) -> None:
    """Every error is a JSON body; only a real server fault is a 5xx."""

    drain_limit = app.extensions[EXTENSION_KEY].settings.drain_body_max_bytes

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> Response:
        response = error_for(request.path, exc.status, exc.code, exc.message)
        if exc.status == 413:
            return finish_refused_body(response, request.environ, drain_limit)
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name or "error"
        if status == 413:
            code = "payload_too_large"
            message = f"body is larger than the {app.config['MAX_CONTENT_LENGTH']}-byte limit"
        response = error_for(request.path, status, code, message)
        for key, value in exc.get_headers():
            if key.lower() == "allow":  # a 405 must say which methods exist
                response.headers[key] = value
        if status == 413:
            return finish_refused_body(response, request.environ, drain_limit)
        return response

    @app.errorhandler(InjectedServerError)
    def injected_fault(exc: InjectedServerError) -> Response:
        return error_for(request.path, exc.status, exc.code, exc.message)

    @app.errorhandler(Exception)
    def server_fault(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_for(request.path, 500, "internal_error", f"{type(exc).__name__} in the server")
