"""Where a model's bytes come from: an S3 prefix (the deployment path) or a directory (tests).

This module only fetches bytes and resolves the ``latest`` pointer; it never
interprets a model file. Judging the bytes (manifest, checksum, versions,
deserialisation) is ``model_loading``'s job, so a new storage backend cannot
weaken those checks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

from serving.errors import ModelLoadError

LATEST = "latest"
LATEST_POINTER = "latest.json"
_PLAIN_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class ModelSource(Protocol):
    """A folder holding one model version: ``manifest.json`` plus the model file."""

    uri: str
    #: What the URI promises, checked against the manifest (None: no promise).
    expected_name: str | None
    expected_version: str | None

    def read(self, file_name: str) -> bytes:
        """The whole file; raises ModelLoadError naming what is missing."""
        ...


class MissingModelFile(ModelLoadError):
    """The file does not exist (as opposed to a storage failure): an optional file
    such as the signature may be absent, and its absence means something."""


def check_file_name(file_name: str) -> str:
    """Refuse names that could leave the model's folder (``../``, ``/``): a manifest is input."""
    if not _PLAIN_FILE_NAME.match(file_name) or ".." in file_name:
        raise ModelLoadError(f"artifact name {file_name!r} is not a plain file name")
    return file_name


@dataclass
class DirectorySource:
    """A local directory, for tests and for rehearsing a model before publishing it."""

    uri: str
    directory: Path
    expected_name: str | None = None
    expected_version: str | None = None

    def read(self, file_name: str) -> bytes:
        path = self.directory / check_file_name(file_name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise MissingModelFile(f"no such file {path}") from None
        except OSError as exc:
            raise ModelLoadError(f"cannot read {path}: {exc.strerror}") from None


class S3Source:
    """``s3://bucket/<prefix>/<name>/<version>`` in the model pipeline's versioned bucket.

    The client honours ``AWS_ENDPOINT_URL`` (LocalStack, moto) and takes its
    credentials from the environment at run time; path-style addressing because
    local S3 endpoints have no per-bucket DNS names.
    """

    def __init__(self, uri: str, client: Any = None) -> None:
        self.uri = uri
        parsed = urlparse(uri)
        parts = [unquote(p) for p in parsed.path.split("/") if p]
        if not parsed.netloc or len(parts) < 2:
            raise ModelLoadError("expected s3://<bucket>/models/<name>/<version or latest>")
        self.bucket = parsed.netloc
        self._client = client if client is not None else _s3_client()
        *prefix, self.expected_name, version = parts
        self._model_prefix = "/".join([*prefix, self.expected_name])
        if version == LATEST:
            version = self._resolve_latest()
        self.expected_version: str | None = version
        self.prefix = f"{self._model_prefix}/{version}"

    def _resolve_latest(self) -> str:
        """Follow ``latest.json``; it must name this model and a version, nothing more clever."""
        raw = self._get(f"{self._model_prefix}/{LATEST_POINTER}")
        try:
            pointer = json.loads(raw)
            name, version = pointer["name"], pointer["version"]
        except (ValueError, KeyError, TypeError):
            raise ModelLoadError(
                f"s3://{self.bucket}/{self._model_prefix}/{LATEST_POINTER} is not "
                '{"name": ..., "version": ...}'
            ) from None
        if name != self.expected_name or not isinstance(version, str) or not version:
            raise ModelLoadError(
                f"latest pointer names {name!r} version {version!r}, expected model "
                f"{self.expected_name!r} and a version string"
            )
        return check_file_name(version)

    def read(self, file_name: str) -> bytes:
        return self._get(f"{self.prefix}/{check_file_name(file_name)}")

    def _get(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        where = f"s3://{self.bucket}/{key}"
        try:
            return self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                raise MissingModelFile(f"no such key {where}") from None
            if code == "NoSuchBucket":
                raise ModelLoadError(f"no such bucket {self.bucket}") from None
            raise ModelLoadError(f"S3 refused {where}: {code or exc}") from None
        except NoCredentialsError:
            raise ModelLoadError("no AWS credentials in the environment") from None
        except BotoCoreError as exc:
            raise ModelLoadError(f"cannot fetch {where}: {exc}") from None


def _s3_client() -> Any:
    """An S3 client configured for the local cloud and real AWS alike."""
    import boto3
    from botocore.config import Config

    config = Config(
        s3={"addressing_style": "path"},
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=3,
        read_timeout=20,
    )
    return boto3.session.Session().client("s3", config=config)


def open_source(uri: str | None, *, s3_client: Any = None) -> ModelSource:
    """The source a ``DRYDOCK_MODEL_URI`` names; resolves ``latest`` now, once."""
    if not uri:
        raise ModelLoadError("DRYDOCK_MODEL_URI is not set")
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        return S3Source(uri, client=s3_client)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ModelLoadError("file:// URIs must be absolute paths (file:///dir)")
        directory = Path(unquote(parsed.path))
        if not directory.is_dir():
            raise ModelLoadError(f"no such directory {directory}")
        return DirectorySource(uri=uri, directory=directory)
    raise ModelLoadError(f"unsupported scheme {parsed.scheme!r}; use s3:// or file://")
