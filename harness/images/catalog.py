"""Which images the local cloud needs, where each comes from upstream, and its stand-in.

A stand-in is what Drydock builds when the upstream image cannot be pulled: the
same software from Debian packages and PyPI wheels. The compose file selects
the image through an environment variable, never by being edited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.settings import REPO_ROOT

DOCKER_DIR = REPO_ROOT / "docker"


@dataclass(frozen=True)
class DockerfileStandIn:
    """A stand-in built from ``docker/<name>/Dockerfile`` on top of the Python base."""

    context: Path
    repository: str
    requirements: Path | None = None
    constraints: Path | None = None


@dataclass(frozen=True)
class DebootstrapStandIn:
    """The base image itself: a Debian root filesystem from the mirror."""


@dataclass(frozen=True)
class ImageSpec:
    role: str
    upstream: str
    standin: DockerfileStandIn | DebootstrapStandIn
    compose_variable: str | None = None
    notes: str = field(default="", compare=False)


PYTHON_BASE = ImageSpec(
    role="python-base",
    upstream="python:3.11-slim-bookworm",
    standin=DebootstrapStandIn(),
    notes="Debian bookworm minbase + python3 3.11 (debootstrap)",
)

LOCALSTACK = ImageSpec(
    role="localstack",
    upstream="localstack/localstack:4.14.0",
    standin=DockerfileStandIn(
        context=DOCKER_DIR / "localstack",
        repository="drydock/localstack-standin",
        requirements=DOCKER_DIR / "localstack" / "requirements.txt",
        constraints=DOCKER_DIR / "localstack" / "constraints.txt",
    ),
    compose_variable="DRYDOCK_LOCALSTACK_IMAGE",
    notes="localstack-core 4.13.1 from PyPI (S3 only) on the Debian base",
)

REGISTRY = ImageSpec(
    role="registry",
    upstream="registry:2",
    standin=DockerfileStandIn(
        context=DOCKER_DIR / "registry", repository="drydock/registry-standin"
    ),
    compose_variable="DRYDOCK_REGISTRY_IMAGE",
    notes="Debian's docker-registry (distribution 2.8) on the Debian base",
)

CLOUD_IMAGES: tuple[ImageSpec, ...] = (LOCALSTACK, REGISTRY)

HAPROXY = ImageSpec(
    role="haproxy",
    upstream="haproxy:2.6",
    standin=DockerfileStandIn(context=DOCKER_DIR / "haproxy", repository="drydock/haproxy-standin"),
    notes="HAProxy 2.6 from Debian on the Debian base (the ALB stand-in, run by the emulator)",
)
