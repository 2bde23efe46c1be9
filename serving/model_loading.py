"""Turning a model source into a servable model, refusing anything not proven safe.

Order matters and is the point of this module: the manifest is read and
validated first (JSON into a strict model: data, never code); with signature
verification on, the manifest and model file must then be exactly what a
trusted key signed (``signature``); the scikit-learn version must be the one
the model was trained with (a pickle from another version may load and still
predict wrongly); the model file's size and sha256 are checked against the
manifest. All of this happens *before* any deserialisation (unpickling runs
code, so bytes that are not the published ones must never reach ``pickle``).
skops files are loaded with an explicit allowlist of types, so a file carrying
an unknown type is refused rather than trusted. After loading, what the file
itself records must agree with the manifest (``artifact_claims``).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sklearn
from pydantic import ValidationError

from serving.artifact_claims import check_claims, without_version_warnings
from serving.errors import ModelLoadError
from serving.manifest import MANIFEST_FILENAME, ModelManifest, sha256_of
from serving.model_source import MissingModelFile, ModelSource
from serving.signature import SIGNATURE_FILENAME, SignatureVerifier

#: Types skops does not trust by default but Drydock has vetted: plain data
#: holders of scikit-learn's own estimators (a fitted tree's node arrays).
VETTED_SKOPS_TYPES: frozenset[str] = frozenset({"sklearn.tree._tree.Tree"})


@dataclass(frozen=True)
class ServedModel:
    """A fitted estimator with what the endpoints need to know about it, computed once."""

    name: str
    version: str
    estimator: Any
    n_features: int
    feature_names: tuple[str, ...]
    sklearn_version: str = sklearn.__version__
    #: Class labels when the estimator has predict_proba, in its column order.
    classes: tuple[Any, ...] | None = None
    source_uri: str = ""
    manifest: ModelManifest | None = field(default=None, compare=False)

    @property
    def has_proba(self) -> bool:
        return self.classes is not None

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        *,
        name: str = "model",
        version: str = "1",
        feature_names: list[str] | None = None,
        source_uri: str = "",
        manifest: ModelManifest | None = None,
    ) -> ServedModel:
        """Describe a fitted estimator; tests use this to serve a model in one line."""
        if not callable(getattr(estimator, "predict", None)):
            raise ModelLoadError(f"{type(estimator).__name__} has no predict method")
        n_features = getattr(estimator, "n_features_in_", None)
        if feature_names is not None:
            if n_features is not None and n_features != len(feature_names):
                raise ModelLoadError(
                    f"manifest lists {len(feature_names)} features, the estimator "
                    f"was fitted on {n_features}"
                )
            n_features = len(feature_names)
        if n_features is None:
            raise ModelLoadError("cannot tell the number of features (no n_features_in_)")
        names = tuple(feature_names or (f"x{i}" for i in range(n_features)))
        classes = None
        if callable(getattr(estimator, "predict_proba", None)) and hasattr(estimator, "classes_"):
            classes = tuple(np.asarray(estimator.classes_).tolist())
        return cls(
            name=name,
            version=version,
            estimator=estimator,
            n_features=int(n_features),
            feature_names=names,
            classes=classes,
            source_uri=source_uri,
            manifest=manifest,
        )


def read_manifest(source: ModelSource) -> ModelManifest:
    """The manifest, validated, and consistent with what the URI promised."""
    return parse_manifest(source, source.read(MANIFEST_FILENAME))


def parse_manifest(source: ModelSource, raw: bytes) -> ModelManifest:
    """Validate manifest bytes (JSON into a strict pydantic model: data, never code)."""
    try:
        manifest = ModelManifest.from_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise ModelLoadError(
            f"invalid {MANIFEST_FILENAME} ({exc.error_count()} problem(s)); "
            f"first: {where}: {first['msg']}"
        ) from None
    if source.expected_name is not None and manifest.name != source.expected_name:
        raise ModelLoadError(
            f"manifest names model {manifest.name!r}, the URI names {source.expected_name!r}"
        )
    if source.expected_version is not None and manifest.version != source.expected_version:
        raise ModelLoadError(
            f"manifest names version {manifest.version!r}, "
            f"the URI resolves to {source.expected_version!r}"
        )
    return manifest


def check_runtime(manifest: ModelManifest) -> None:
    """Refuse a model trained with another scikit-learn: both versions go in the message."""
    if manifest.sklearn_version != sklearn.__version__:
        raise ModelLoadError(
            f"model was trained with scikit-learn {manifest.sklearn_version}, this server "
            f"runs scikit-learn {sklearn.__version__}; retrain or rebuild the image"
        )


def verify_bytes(manifest: ModelManifest, data: bytes) -> None:
    """Size and sha256 must match the manifest before anything deserialises the bytes."""
    if len(data) != manifest.size_bytes:
        raise ModelLoadError(
            f"{manifest.artifact} is {len(data)} bytes, the manifest says {manifest.size_bytes}"
        )
    actual = sha256_of(data)
    if actual != manifest.sha256:
        raise ModelLoadError(
            f"sha256 mismatch for {manifest.artifact}: manifest {manifest.sha256}, file {actual}"
        )


def deserialize(manifest: ModelManifest, data: bytes, extra_trusted: frozenset[str]) -> Any:
    """Bytes to estimator, in the format the manifest declares (already checksummed);
    an estimator fitted with another scikit-learn is refused, whatever the manifest says."""
    return without_version_warnings(lambda: _deserialize(manifest, data, extra_trusted), manifest)


def _deserialize(manifest: ModelManifest, data: bytes, extra_trusted: frozenset[str]) -> Any:
    if manifest.format == "skops":
        return _load_skops(data, VETTED_SKOPS_TYPES | extra_trusted)
    try:
        # Safe only because verify_bytes() matched the published sha256 first (and,
        # with verification on, the signature proved the pipeline published them).
        return pickle.loads(data)
    except Exception as exc:
        raise ModelLoadError(
            f"cannot unpickle {manifest.artifact}: {type(exc).__name__}: {exc}"
        ) from None


def _load_skops(data: bytes, allowed: frozenset[str]) -> Any:
    """Load a skops file trusting only types skops or we vetted; refuse the rest by name.

    ``get_untrusted_types`` lists what skops itself would not load. Passing that
    whole list back as ``trusted`` would defeat skops; we pass only the part of
    it that is on our allowlist, and refuse the file if anything is left over.
    """
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:
        raise ModelLoadError(f"not a valid skops file: {type(exc).__name__}: {exc}") from None
    refused = sorted(set(untrusted) - allowed)
    if refused:
        raise ModelLoadError(
            f"skops file contains types not on the trusted list: {', '.join(refused)} "
            "(vet them, then add to DRYDOCK_SKOPS_TRUSTED_TYPES)"
        )
    try:
        return sio.loads(data, trusted=sorted(untrusted))
    except Exception as exc:
        raise ModelLoadError(f"cannot load skops file: {type(exc).__name__}: {exc}") from None


def read_signature(source: ModelSource) -> bytes | None:
    """The signature next to the manifest; None when there is none (an unsigned model)."""
    try:
        return source.read(SIGNATURE_FILENAME)
    except MissingModelFile:
        return None


def read_vouched_for(
    source: ModelSource, verifier: SignatureVerifier | None
) -> tuple[ModelManifest, bytes]:
    """The manifest and model bytes, the signature checked first (with a verifier): what a
    task does before anything else, and what a release checks before it rolls a version."""
    raw_manifest = source.read(MANIFEST_FILENAME)
    manifest = parse_manifest(source, raw_manifest)
    data = source.read(manifest.artifact)
    if verifier is not None:
        # First: every later message is about content a trusted key vouched for.
        verifier.verify(
            {MANIFEST_FILENAME: raw_manifest, manifest.artifact: data}, read_signature(source)
        )
    return manifest, data


def load_model(
    source: ModelSource,
    *,
    extra_trusted: frozenset[str] = frozenset(),
    verifier: SignatureVerifier | None = None,
) -> ServedModel:
    """Manifest, signature, runtime check, checksum, deserialisation, then the file's own
    word against the manifest: the only way a model gets in."""
    manifest, data = read_vouched_for(source, verifier)
    check_runtime(manifest)
    verify_bytes(manifest, data)
    estimator = deserialize(manifest, data, extra_trusted)
    check_claims(manifest, estimator)
    return ServedModel.from_estimator(
        estimator,
        name=manifest.name,
        version=manifest.version,
        feature_names=manifest.feature_names,
        source_uri=source.uri,
        manifest=manifest,
    )
