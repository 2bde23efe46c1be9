"""Crafting the bad releases a deployment must survive: broken models and broken images.

Each bad model is written to S3 in the model pipeline's own layout (version folder with
``manifest.json`` and ``model.pkl``, then the ``latest`` pointer), so the server meets
it exactly as it would meet a real botched release; only the bytes are wrong. Each
knows the words the server prints when it refuses it, so a scenario can check that a
stopped task says *why* it stopped, not merely that it did.

A bad image (one that never becomes ready) is the serving image with one changed line,
built and pushed with the kit's ``derived_image`` so tasks run it by digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import docker

from harness.images.registry import PushedImage
from harness.model.artifact import ModelArtifact, package
from harness.model.store import ModelStore, version_prefix
from harness.model.training import train
from harness.pipeline.model_pipeline import next_version
from harness.testing import derived_image
from serving.manifest import ModelManifest, sha256_of

#: The scikit-learn a "foreign" model claims to come from (the server runs another).
FOREIGN_SKLEARN = "1.5.2"


class BadModel(Enum):
    """What is wrong with a published model, named as a release engineer would say it."""

    CORRUPT = "corrupt-pickle"  # not a pickle at all; the manifest vouches for these bytes
    TAMPERED = "tampered-pickle"  # bytes replaced after the manifest was written
    FOREIGN_SKLEARN = "foreign-sklearn"  # trained with another scikit-learn

    @property
    def refusal(self) -> str:
        """The part of the server's one-line exit message that names this problem."""
        return {
            BadModel.CORRUPT: "cannot unpickle model.pkl",
            BadModel.TAMPERED: "sha256 mismatch for model.pkl",
            BadModel.FOREIGN_SKLEARN: f"trained with scikit-learn {FOREIGN_SKLEARN}",
        }[self]


@dataclass(frozen=True)
class BadRelease:
    kind: BadModel
    version: str
    uri: str


def _remanifest(manifest: ModelManifest, **changes: Any) -> ModelManifest:
    """A validated copy of ``manifest`` with ``changes`` (the model is frozen)."""
    return ModelManifest.model_validate({**manifest.model_dump(), **changes})


def publish_bad_model(store: ModelStore, s3: Any, name: str, kind: BadModel) -> BadRelease:
    """Publish a bad next version of ``name`` and point ``latest`` at it.

    ``store.publish`` writes the files and moves ``latest`` as the pipeline does; the
    tampered case then overwrites the model object in place (the bucket keeps the
    original as an older S3 version), which is what a manifest's checksum is for.
    """
    version = next_version(store.versions(name))
    good = package(train("iris", regularization=0.5), name, version)
    artifact = good
    if kind is BadModel.CORRUPT:
        junk = b"this is not a pickle, whatever the manifest says\n" * 16
        artifact = ModelArtifact(
            _remanifest(good.manifest, sha256=sha256_of(junk), size_bytes=len(junk)), junk
        )
    elif kind is BadModel.FOREIGN_SKLEARN:
        artifact = ModelArtifact(
            _remanifest(good.manifest, sklearn_version=FOREIGN_SKLEARN), good.model_bytes
        )
    uri = store.publish(artifact)
    if kind is BadModel.TAMPERED:
        # Same length, one byte flipped: past the size check, caught by the sha256.
        data = bytearray(good.model_bytes)
        data[len(data) // 2] ^= 0xFF
        s3.put_object(
            Bucket=store.bucket, Key=f"{version_prefix(name, version)}/model.pkl", Body=bytes(data)
        )
    return BadRelease(kind, version, uri)


#: Serving's image, but the stdlib file server on the serving port: a live process that
#: answers HTTP and 404s the ready path, so its target never becomes healthy. (An image
#: that crashes at start is scenarios/test_emulator_circuit_breaker.py's.)
NEVER_READY = 'ENTRYPOINT ["python3", "-m", "http.server", "8080"]'


def push_never_ready_image(
    client: docker.DockerClient, serving: PushedImage, registry: str
) -> PushedImage:
    """The never-ready variant of ``serving``, built and pushed by the kit's helper."""
    return derived_image(
        client,
        serving,
        [NEVER_READY],
        registry,
        "drydock/scenario-variants",
        f"never-ready-{serving.digest.removeprefix('sha256:')[:12]}",
    )
