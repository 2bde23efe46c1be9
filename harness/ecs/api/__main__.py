"""``python -m harness.ecs.api --host 127.0.0.1 --port 8005``: the ECS/ECR/ELBv2 API alone.

Runs the control plane with the instant scheduler (services converge at once), which
is what scripts and the AWS CLI need to try the API; the full emulator wires the real
scheduler and runtime around the same :func:`make_wsgi_app`. ECR's images are read from
the registry the settings name (``DRYDOCK_REGISTRY_PORT``, ``DRYDOCK_EMULATOR_REGISTRY_URL``).
"""

from __future__ import annotations

import argparse
import logging

from harness.ecs.api.server import LOCALHOST, serve_forever
from harness.ecs.control_plane import ControlPlane
from harness.ecs.emulator.ecr_registry import ecr_state
from harness.settings import DrydockSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m harness.ecs.api", description=__doc__)
    parser.add_argument("--host", default=LOCALHOST, help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8005, help="port (default 8005)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger(__name__).info("ECS/ECR/ELBv2 API on http://%s:%d", args.host, args.port)
    serve_forever(ControlPlane(ecr=ecr_state(DrydockSettings())), args.host, args.port)


if __name__ == "__main__":
    main()
