"""A container health check with no curl in the image: ``python -m serving.healthcheck``.

For an ECS task definition's ``healthCheck`` (``["CMD", "/opt/venv/bin/python", "-m",
"serving.healthcheck"]``): exits 0 only when the server answers ready. It asks
the readiness endpoint, so a draining task reports unhealthy, like the balancer sees it.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

PATH = "/v2/health/ready"


def main() -> int:
    bind = os.environ.get("DRYDOCK_BIND", "0.0.0.0:8080")
    port = bind.rsplit(":", 1)[-1]
    url = f"http://127.0.0.1:{port}{PATH}"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"drydock-serving: not ready: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
