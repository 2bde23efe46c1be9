"""The WSGI app: one endpoint for ECS and ECR (JSON 1.1), CloudWatch (JSON 1.0) and ELBv2
(query), as clients call them.

Routing is by request shape, the way a single local endpoint must tell them apart:
an ``X-Amz-Target`` header names a JSON service by its target prefix, a form body
means the query protocol.
``GET /_drydock/health`` answers for compose health checks and test fixtures;
``PUT /v2/<name>/manifests/<tag>`` is a ``docker push`` the registry gate sends here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from harness.ecs.api import elbv2_query, json_protocol, registry_gate
from harness.ecs.api.body_limits import DEFAULT_MAX_REQUEST_BYTES, read_within
from harness.ecs.control_plane import ControlPlane

HEALTH_PATH = "/_drydock/health"


def make_wsgi_app(
    control_plane: ControlPlane, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
) -> Any:
    """A WSGI callable serving ``control_plane``'s ECS, ECR and ELBv2 APIs; bodies over
    ``max_request_bytes`` get 413 before anything parses them."""

    @Request.application  # type: ignore[arg-type]
    def app(request: Request) -> Response:
        if request.method == "GET" and request.path == HEALTH_PATH:
            return _json({"status": "ok", "services": ["ecs", "ecr", "elbv2", "cloudwatch"]}, 200)
        if registry_gate.is_manifest_push(request):  # docker push, routed by the registry gate
            return registry_gate.handle(request, control_plane)
        json_service = json_protocol.json_service(request)
        if json_service is not None:
            too_large = read_within(request, max_request_bytes, form=False)
            if too_large is not None:
                return json_protocol.error_response(json_service, too_large, str(uuid.uuid4()))
            return json_protocol.handle(request, json_service, control_plane)
        if elbv2_query.is_query_request(request):
            too_large = read_within(request, max_request_bytes, form=True)
            if too_large is not None:
                return elbv2_query.error_response(too_large, str(uuid.uuid4()))
            return elbv2_query.handle(request, control_plane)
        return _json(
            {
                "__type": "UnknownOperationException",
                "message": "Not an ECS or ECR (X-Amz-Target) or ELBv2 (Action=...) request: "
                f"{request.method} {request.path}",
            },
            404,
        )

    return app


def _json(payload: dict[str, Any] | Iterable[Any], status: int) -> Response:
    return Response(json.dumps(payload), status=status, content_type="application/json")
