"""The ECS emulator's API: ECS and ECR (JSON 1.1) and the ELBv2 query protocol on one endpoint.

Protocol only: every decision is the control plane's (``harness.ecs.control_plane``).
Start with :func:`make_wsgi_app` or :class:`ApiServer`.
"""

from harness.ecs.api.app import HEALTH_PATH, make_wsgi_app
from harness.ecs.api.server import ApiServer, serve_forever

__all__ = ["HEALTH_PATH", "ApiServer", "make_wsgi_app", "serve_forever"]
