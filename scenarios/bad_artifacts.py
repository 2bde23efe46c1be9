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

import tempfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import docker
import sklearn

from harness.images.registry import PushedImage
from harness.model.artifact import ModelArtifact, manifest_bytes, package
from harness.model.signing import ModelSigner
from harness.model.store import ModelStore, version_prefix
from harness.model.training import train
from harness.pipeline.model_pipeline import next_version
from harness.settings import DrydockSettings
from harness.testing import derived_image
from harness.testing.foreign_sklearn import fit_foreign_model, pinned_version
from serving.manifest import MANIFEST_FILENAME, ModelManifest, sha256_of

#: The scikit-learn a "foreign" model claims to come from (the server runs another).
FOREIGN_SKLEARN = "1.5.2"
#: The scikit-learn that really wrote the foreign pickle (its pinned environment's).
FOREIGN_PICKLE_SKLEARN = pinned_version()


class BadModel(Enum):
    """What is wrong with a published model, named as a release engineer would say it."""

    CORRUPT = "corrupt-pickle"  # not a pickle at all; the manifest vouches for these bytes
    TAMPERED = "tampered-pickle"  # bytes replaced after the manifest was written and signed
    FOREIGN_SKLEARN = "foreign-sklearn"  # the manifest says: trained with another scikit-learn
    # The file says so, the manifest claims ours (right sha256, signed by the pipeline): a
    # pickle really written by scikit-learn 1.8.0 in a second, pinned environment.
    FOREIGN_PICKLE = "foreign-pickle"
    UNSIGNED = "unsigned"  # a bucket writer without the key publishes a well-formed model
    OTHER_KEY = "signed-with-another-key"  # ... signs it with a key of its own
    NOT_COVERED = "signature-over-other-bytes"  # ... swaps model + checksum under a signature
    MANIFEST_EDITED = "manifest-edited-after-signing"  # ... edits a signed manifest

    @property
    def refusal(self) -> str:
        """The part of the server's one-line exit message that names this problem."""
        return {
            BadModel.CORRUPT: "cannot unpickle model.pkl",
            BadModel.TAMPERED: "signature does not cover these bytes (changed since signing: "
            "model.pkl)",
            BadModel.FOREIGN_SKLEARN: f"trained with scikit-learn {FOREIGN_SKLEARN}",
            BadModel.FOREIGN_PICKLE: "model.pkl was fitted with scikit-learn "
            f"{FOREIGN_PICKLE_SKLEARN} (LogisticRegression, Pipeline, StandardScaler), its "
            f"manifest says scikit-learn {sklearn.__version__}",
            BadModel.UNSIGNED: "model is unsigned: no model.sig",
            BadModel.OTHER_KEY: "model is signed with another key",
            BadModel.NOT_COVERED: "signature does not cover these bytes (changed since "
            "signing: manifest.json, model.pkl)",
            BadModel.MANIFEST_EDITED: "manifest.json was changed after signing",
        }[self]


#: Each its own service (scenarios/test_bad_releases.py, parametrized).
BROKEN = (BadModel.CORRUPT, BadModel.TAMPERED, BadModel.FOREIGN_SKLEARN)
#: What the model file or its signature gives away; released one after another to one
#: service, which keeps the scenario's time modest.
UNTRUSTED = (
    BadModel.FOREIGN_PICKLE,
    BadModel.UNSIGNED,
    BadModel.OTHER_KEY,
    BadModel.NOT_COVERED,
    BadModel.MANIFEST_EDITED,
)


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

    ``store`` is the pipeline's (it signs what it publishes) and writes the files and
    moves ``latest`` as the pipeline does. A bucket writer without the signing key is
    played by an unsigned store, a store signing with a key of its own, or objects
    overwritten in place after publishing (the bucket keeps the originals as older S3
    versions), which is what the signature is for.
    """
    version = next_version(store.versions(name))
    good = package(train("iris", regularization=0.5), name, version)
    prefix = version_prefix(name, version)
    artifact, publisher = good, store
    if kind is BadModel.CORRUPT:
        junk = b"this is not a pickle, whatever the manifest says\n" * 16
        artifact = _with_model(good, junk)
    elif kind is BadModel.FOREIGN_SKLEARN:
        artifact = ModelArtifact(
            _remanifest(good.manifest, sklearn_version=FOREIGN_SKLEARN), good.model_bytes
        )
    elif kind is BadModel.FOREIGN_PICKLE:
        foreign = fit_foreign_model(DrydockSettings().state_dir, "pickle")
        artifact = _with_model(good, foreign.model_bytes, estimator=foreign.estimator)
    elif kind is BadModel.UNSIGNED:
        publisher = ModelStore(s3, store.bucket)
    elif kind is BadModel.OTHER_KEY:
        with tempfile.TemporaryDirectory() as keys:
            signed = ModelSigner(Path(keys) / "intruder.pem").sign(good)
        artifact = signed
    uri = publisher.publish(artifact)

    def overwrite(file_name: str, body: bytes) -> None:
        s3.put_object(Bucket=store.bucket, Key=f"{prefix}/{file_name}", Body=body)

    if kind is BadModel.TAMPERED:
        # Same length, one byte flipped: past the size check, caught by the signature.
        data = bytearray(good.model_bytes)
        data[len(data) // 2] ^= 0xFF
        overwrite("model.pkl", bytes(data))
    elif kind is BadModel.NOT_COVERED:
        # Another model, with a manifest whose sha256 and size match it: consistent, unsigned.
        other = _with_model(
            good, package(train("iris", regularization=0.02), name, version).model_bytes
        )
        overwrite("model.pkl", other.model_bytes)
        overwrite(MANIFEST_FILENAME, manifest_bytes(other.manifest))
    elif kind is BadModel.MANIFEST_EDITED:
        edited = _remanifest(good.manifest, metrics={**good.manifest.metrics, "accuracy": 1.0})
        overwrite(MANIFEST_FILENAME, manifest_bytes(edited))
    return BadRelease(kind, version, uri)


def _with_model(good: ModelArtifact, data: bytes, **changes: Any) -> ModelArtifact:
    """Other model bytes under ``good``'s manifest, its sha256 and size made to match."""
    manifest = _remanifest(good.manifest, sha256=sha256_of(data), size_bytes=len(data), **changes)
    return ModelArtifact(manifest, data)


#: Serving's image, but the stdlib file server on the serving port: a live process that
#: answers HTTP and 404s the ready path, so its target never becomes healthy. (An image
#: that crashes at start is scenarios/test_emulator_circuit_breaker.py's.)
NEVER_READY = 'ENTRYPOINT ["python3", "-m", "http.server", "8080"]'
#: A container that exits at once: a crash loop, which trips the circuit breaker.
CRASH = 'ENTRYPOINT ["/opt/venv/bin/python", "-c", "raise SystemExit(1)"]'


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


def push_crash_looping_image(
    client: docker.DockerClient, serving: PushedImage, registry: str
) -> PushedImage:
    """The crash-looping variant of ``serving``, built and pushed by the kit's helper."""
    return derived_image(
        client,
        serving,
        [CRASH],
        registry,
        "drydock/scenario-variants",
        f"crash-{serving.digest.removeprefix('sha256:')[:12]}",
    )
