"""The model pipeline: train, package with a manifest, publish to S3, move ``latest``."""

from __future__ import annotations

from dataclasses import dataclass

from harness.model.artifact import package, with_version
from harness.model.store import ModelStore
from harness.model.training import train
from serving.manifest import ModelFormat, ModelManifest

PROVISIONAL_VERSION = "0"


@dataclass(frozen=True)
class ModelRelease:
    manifest: ModelManifest
    uri: str
    reused: bool  # True when ``latest`` already held these exact model bytes


def next_version(existing: list[str]) -> str:
    numbers = [int(version) for version in existing if version.isdigit()]
    return str(max(numbers, default=0) + 1)


def release_model(
    store: ModelStore,
    name: str,
    *,
    dataset: str = "iris",
    version: str | None = None,
    model_format: ModelFormat = "pickle",
    seed: int = 0,
    regularization: float = 1.0,
) -> ModelRelease:
    """Publish a newly trained model.

    With an explicit ``version`` that already exists, publishing is refused
    (``ModelVersionExistsError``). Without one, the version is the next number,
    unless ``latest`` already holds byte-identical model bytes signed with the
    store's key: then nothing is published and the release is reported as reused,
    which keeps the demo idempotent without ever overwriting a version.
    """
    store.check_bucket()
    artifact = package(
        train(dataset, seed=seed, regularization=regularization),
        name,
        version or PROVISIONAL_VERSION,
        model_format,
    )
    if version is None:
        latest = store.latest_version(name)
        current = store.manifest(name, latest) if latest else None
        if (
            current is not None
            and current.sha256 == artifact.manifest.sha256
            and store.signed_by_us(name, current.version)
        ):
            return ModelRelease(current, store.uri(name, current.version), reused=True)
        artifact = with_version(artifact, next_version(store.versions(name)))
    uri = store.publish(artifact)
    return ModelRelease(artifact.manifest, uri, reused=False)


def newest_or_first_release(store: ModelStore, name: str) -> ModelRelease:
    """What the demo serves: the newest published version, as it is; a first version only
    when nothing of ``name`` is published yet (or nothing the tasks would trust).

    The demo never trains over a user's work: if someone published v2 with another
    regularisation, v2 is served and nothing is published. "Newest" is the ``latest``
    pointer every publish moves. A newest version not signed with the pipeline's key
    (published before signing, or with a retired key) would be refused by every task, so
    then the demo publishes its default model as the next version instead (never over
    an existing one).
    """
    store.check_bucket()
    newest = store.latest_version(name)
    manifest = store.manifest(name, newest) if newest is not None else None
    if manifest is not None and store.signed_by_us(name, manifest.version):
        return ModelRelease(manifest, store.uri(name, manifest.version), reused=True)
    return release_model(store, name)
