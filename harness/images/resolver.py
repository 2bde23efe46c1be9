"""Decide, per image, upstream or stand-in, and make sure the chosen one exists.

Order: an upstream image already on the machine; a stand-in already built for
this exact content; a pull of the upstream image; and only then a stand-in
build. A warm run therefore touches no network and builds nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import docker
from docker.errors import APIError, DockerException

from harness.images.base_image import base_image_ref, build_base_image
from harness.images.builder import Progress, build_image, image_exists
from harness.images.catalog import (
    PYTHON_BASE,
    DebootstrapStandIn,
    DockerfileStandIn,
    ImageSpec,
)
from harness.images.content_tag import content_tag
from harness.images.wheelhouse import ensure_wheelhouse, wheelhouse_key
from harness.settings import DrydockSettings

Source = Literal["upstream", "stand-in"]
How = Literal["present", "pulled", "built"]


@dataclass(frozen=True)
class ResolvedImage:
    role: str
    ref: str
    source: Source
    how: How
    seconds: float
    notes: str = ""

    @property
    def description(self) -> str:
        return f"{self.source} ({self.how})" + (f": {self.notes}" if self.notes else "")


class ImageResolver:
    """Resolves images once per run; the Python base is shared by every stand-in."""

    def __init__(self, client: docker.DockerClient, settings: DrydockSettings) -> None:
        self._client = client
        self._settings = settings
        self._resolved: dict[str, ResolvedImage] = {}

    def resolve(self, spec: ImageSpec, on_progress: Progress | None = None) -> ResolvedImage:
        if spec.role in self._resolved:
            return self._resolved[spec.role]
        started = time.monotonic()

        def done(ref: str, source: Source, how: How) -> ResolvedImage:
            notes = spec.notes if source == "stand-in" else ""
            resolved = ResolvedImage(spec.role, ref, source, how, time.monotonic() - started, notes)
            self._resolved[spec.role] = resolved
            return resolved

        if spec.upstream and image_exists(self._client, spec.upstream):
            return done(spec.upstream, "upstream", "present")
        # Only now: a stand-in's tag names its base, which may itself need a build.
        standin_ref = self.standin_ref(spec)
        if image_exists(self._client, standin_ref):
            return done(standin_ref, "stand-in", "present")
        if spec.upstream and self._pull(spec.upstream, on_progress):
            return done(spec.upstream, "upstream", "pulled")
        self._build_standin(spec, standin_ref, on_progress)
        return done(standin_ref, "stand-in", "built")

    def standin_ref(self, spec: ImageSpec) -> str:
        standin = spec.standin
        if isinstance(standin, DebootstrapStandIn):
            return base_image_ref(self._settings.debian_mirror)
        extra = {"BASE_IMAGE": self.base_ref()}
        if standin.requirements is not None:
            extra["wheelhouse"] = wheelhouse_key(standin.requirements, standin.constraints)
        roots = [standin.context, *(path for _, path in standin.extra_context)]
        return f"{standin.repository}:{content_tag(roots, extra)}"

    def resolve_base(self, on_progress: Progress | None = None) -> ResolvedImage:
        """The Python base every stand-in and the serving image build on."""
        return self.resolve(PYTHON_BASE, on_progress)

    def base_ref(self) -> str:
        return self.resolve_base().ref

    def _pull(self, ref: str, on_progress: Progress | None) -> bool:
        if on_progress:
            on_progress(f"pulling {ref}")
        repository, _, tag = ref.rpartition(":")
        try:
            self._client.images.pull(repository, tag=tag)
        except (APIError, DockerException):
            return False
        return True

    def _build_standin(self, spec: ImageSpec, ref: str, on_progress: Progress | None) -> None:
        standin = spec.standin
        state = self._settings.state_dir
        if isinstance(standin, DebootstrapStandIn):
            if on_progress:
                on_progress(f"{spec.upstream} cannot be pulled: debootstrapping {ref}")
            build_base_image(ref, self._settings.debian_mirror, state / "build")
            return
        assert isinstance(standin, DockerfileStandIn)
        wheelhouse = None
        if standin.requirements is not None:
            if on_progress:
                on_progress(f"downloading wheels for {spec.role}")
            wheelhouse = ensure_wheelhouse(
                standin.requirements, state / "wheelhouses", standin.constraints
            )
        if on_progress:
            why = f"{spec.upstream} cannot be pulled" if spec.upstream else "Drydock's own image"
            on_progress(f"{why}: building {ref}")
        build_image(
            self._client,
            source=standin.context,
            ref=ref,
            buildargs={"BASE_IMAGE": self.base_ref()},
            wheelhouse=wheelhouse,
            scratch_root=state / "build",
            on_progress=on_progress,
            extra_context=dict(standin.extra_context),
        )
