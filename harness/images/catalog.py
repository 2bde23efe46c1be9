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
    #: More folders copied into the build context, by the name they get there.
    extra_context: tuple[tuple[str, Path], ...] = ()


@dataclass(frozen=True)
class DebootstrapStandIn:
    """The base image itself: a Debian root filesystem from the mirror."""


@dataclass(frozen=True)
class ImageSpec:
    role: str
    #: The image to use as is where it can be pulled; None: always Drydock's own build.
    upstream: str | None
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


# The balancer needs Drydock's entry script and bootstrap config, so upstream
# haproxy:2.6 could only ever be a base, never a drop-in: it is always built.
HAPROXY = ImageSpec(
    role="balancer",
    upstream=None,
    standin=DockerfileStandIn(context=DOCKER_DIR / "haproxy", repository="drydock/haproxy"),
    compose_variable="DRYDOCK_BALANCER_IMAGE",
    notes="HAProxy 2.6 from Debian, driven by the emulator (the ALB stand-in)",
)

EMULATOR = ImageSpec(
    role="ecs-emulator",
    upstream=None,
    standin=DockerfileStandIn(
        context=DOCKER_DIR / "emulator",
        repository="drydock/ecs-emulator",
        requirements=DOCKER_DIR / "emulator" / "requirements.txt",
        constraints=REPO_ROOT / "constraints.txt",
        extra_context=(("harness", REPO_ROOT / "harness"),),
    ),
    compose_variable="DRYDOCK_EMULATOR_IMAGE",
    notes="Drydock's ECS/ELBv2 emulator (harness.ecs) on the Python base",
)

GIT_REMOTE = ImageSpec(
    role="git",
    upstream=None,
    standin=DockerfileStandIn(context=DOCKER_DIR / "git", repository="drydock/git"),
    compose_variable="DRYDOCK_GIT_IMAGE",
    notes="git daemon with receive-pack (the GitLab stand-in) on the Debian base",
)

CLOUD_IMAGES: tuple[ImageSpec, ...] = (LOCALSTACK, REGISTRY, HAPROXY, EMULATOR, GIT_REMOTE)
