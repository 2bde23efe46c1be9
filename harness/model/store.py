"""The model registry in S3: versioned keys, a ``latest`` pointer, no overwrites.

Layout (the server reads the same one, see ``serving.model_source``)::

    s3://<bucket>/models/<name>/<version>/manifest.json
    s3://<bucket>/models/<name>/<version>/model.pkl | model.skops
    s3://<bucket>/models/<name>/latest.json        {"name": ..., "version": ...}

The bucket has S3 versioning on, so even the pointer's history is kept.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from harness.errors import BucketMissingError, DrydockError, ModelVersionExistsError
from harness.model.artifact import ModelArtifact, manifest_bytes
from harness.model.signing import ModelSigner, signer_for
from harness.settings import DrydockSettings
from serving.manifest import MANIFEST_FILENAME, ModelManifest
from serving.model_source import LATEST_POINTER
from serving.signature import SIGNATURE_FILENAME

MODELS_PREFIX = "models"

P = ParamSpec("P")
R = TypeVar("R")


def version_prefix(name: str, version: str) -> str:
    return f"{MODELS_PREFIX}/{name}/{version}"


def latest_key(name: str) -> str:
    return f"{MODELS_PREFIX}/{name}/{LATEST_POINTER}"


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _clear_when_unreachable(method: Callable[P, R]) -> Callable[P, R]:
    """S3 going away mid-operation is a user-facing failure, not a botocore traceback."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except BotoCoreError as exc:
            store = args[0]
            assert isinstance(store, ModelStore)
            raise DrydockError(f"S3 is not reachable for bucket {store.bucket}: {exc}") from exc

    return guarded


class ModelStore:
    """The bucket, and (with a ``signer``) the pipeline's signing of what it publishes."""

    def __init__(self, s3: Any, bucket: str, signer: ModelSigner | None = None) -> None:
        self._s3 = s3
        self.bucket = bucket
        self.signer = signer

    def uri(self, name: str, version: str = "latest") -> str:
        return f"s3://{self.bucket}/{MODELS_PREFIX}/{name}/{version}"

    @_clear_when_unreachable
    def create_bucket(self) -> bool:
        """Create the bucket with versioning on; return False when it already existed."""
        created = False
        try:
            self.check_bucket()
        except BucketMissingError:
            created = True
        try:
            if created:
                self._s3.create_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _error_code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise DrydockError(f"cannot create bucket {self.bucket}: {exc}") from exc
        self._s3.put_bucket_versioning(
            Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"}
        )
        return created

    @_clear_when_unreachable
    def check_bucket(self) -> None:
        try:
            self._s3.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _error_code(exc) in ("404", "NoSuchBucket", "NotFound"):
                raise BucketMissingError(
                    f"S3 bucket {self.bucket} does not exist; create it with "
                    "`drydock stack up` (or set DRYDOCK_MODEL_BUCKET to an existing bucket)"
                ) from exc
            raise DrydockError(f"cannot access S3 bucket {self.bucket}: {exc}") from exc

    def _read_if_present(self, key: str) -> bytes | None:
        try:
            return self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if _error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise

    @_clear_when_unreachable
    def manifest(self, name: str, version: str) -> ModelManifest | None:
        body = self._read_if_present(f"{version_prefix(name, version)}/{MANIFEST_FILENAME}")
        return None if body is None else ModelManifest.from_json(body)

    @_clear_when_unreachable
    def signed_by_us(self, name: str, version: str) -> bool:
        """Whether the version's files carry a valid signature by this store's signer (True
        for an unsigned store): a version published before signing, or signed with a
        retired key, must not be reused as if the pipeline vouched for it."""
        if self.signer is None:
            return True
        prefix = version_prefix(name, version)
        manifest_raw = self._read_if_present(f"{prefix}/{MANIFEST_FILENAME}")
        signature = self._read_if_present(f"{prefix}/{SIGNATURE_FILENAME}")
        if manifest_raw is None or signature is None:
            return False
        artifact = ModelManifest.from_json(manifest_raw).artifact
        model = self._read_if_present(f"{prefix}/{artifact}")
        if model is None:
            return False
        return self.signer.verifies({MANIFEST_FILENAME: manifest_raw, artifact: model}, signature)

    @_clear_when_unreachable
    def versions(self, name: str) -> list[str]:
        """Published versions of ``name`` (those with a manifest), oldest first by number."""
        paginator = self._s3.get_paginator("list_objects_v2")
        prefix = f"{MODELS_PREFIX}/{name}/"
        found = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"][len(prefix) :]
                if key.endswith(f"/{MANIFEST_FILENAME}") and key.count("/") == 1:
                    found.append(key.split("/")[0])
        return sorted(found, key=lambda v: (not v.isdigit(), int(v) if v.isdigit() else 0, v))

    @_clear_when_unreachable
    def latest_version(self, name: str) -> str | None:
        body = self._read_if_present(latest_key(name))
        return None if body is None else str(json.loads(body)["version"])

    @_clear_when_unreachable
    def publish(self, artifact: ModelArtifact, make_latest: bool = True) -> str:
        """Sign (with a signer), upload model, signature, then manifest, then move ``latest``;
        refuse an existing version.

        The manifest is written with ``If-None-Match: *`` so two publishers racing
        for one version cannot both win; it goes last among the version's files,
        so a reader that finds a manifest finds its model file and signature too.
        """
        if self.signer is not None and artifact.signature is None:
            artifact = self.signer.sign(artifact)
        manifest = artifact.manifest
        self.check_bucket()
        if self.manifest(manifest.name, manifest.version) is not None:
            raise ModelVersionExistsError(
                f"model {manifest.name} version {manifest.version} is already published in "
                f"s3://{self.bucket}; versions are never overwritten, publish a new version"
            )
        prefix = version_prefix(manifest.name, manifest.version)
        self._s3.put_object(
            Bucket=self.bucket,
            Key=f"{prefix}/{manifest.artifact}",
            Body=artifact.model_bytes,
            ContentType="application/octet-stream",
            Metadata={"sha256": manifest.sha256},
        )
        if artifact.signature is not None:
            self._s3.put_object(
                Bucket=self.bucket,
                Key=f"{prefix}/{SIGNATURE_FILENAME}",
                Body=artifact.signature,
                ContentType="application/json",
            )
        try:
            self._s3.put_object(
                Bucket=self.bucket,
                Key=f"{prefix}/{MANIFEST_FILENAME}",
                Body=manifest_bytes(manifest),
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if _error_code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                raise ModelVersionExistsError(
                    f"model {manifest.name} version {manifest.version} was published by "
                    "someone else meanwhile; publish a new version"
                ) from exc
            raise
        if make_latest:
            self.point_latest(manifest.name, manifest.version)
        return self.uri(manifest.name, manifest.version)

    @_clear_when_unreachable
    def point_latest(self, name: str, version: str) -> None:
        if self.manifest(name, version) is None:
            raise ModelVersionExistsError(f"model {name} has no version {version} to point to")
        self._s3.put_object(
            Bucket=self.bucket,
            Key=latest_key(name),
            Body=json.dumps({"name": name, "version": version}).encode(),
            ContentType="application/json",
        )

    @_clear_when_unreachable
    def purge(self, name: str) -> int:
        """Delete every version of every object of model ``name``; returns how many.

        Never called by the pipelines (a registry keeps history): it is how a test
        scope leaves the shared bucket as it found it. Object versions and delete
        markers both go, or the versioned bucket would keep the bytes.
        """
        paginator = self._s3.get_paginator("list_object_versions")
        removed = 0
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{MODELS_PREFIX}/{name}/"):
            doomed = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if doomed:
                self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": doomed})
                removed += len(doomed)
        return removed


def pipeline_store(settings: DrydockSettings) -> ModelStore:
    """The bucket as the model pipeline uses it: everything it publishes is signed."""
    from harness.aws import s3_client

    return ModelStore(s3_client(settings), settings.model_bucket, signer=signer_for(settings))
