"""Is a model version published, and would a task trust it? Asked before anything rolls.

A release that points tasks at a version nobody published, or at bytes no trusted key
signed, would only fail later, one crashed task at a time, until the circuit breaker
rolls it back. Asked first, the same question gets one clear answer and nothing is
registered. The checks are the server's own (``serving.model_loading.read_vouched_for``:
manifest, signature over exactly these bytes, then size and sha256), run on the same S3
folder the tasks will read; nothing is deserialised here.
"""

from __future__ import annotations

from typing import Any

from harness.errors import DrydockError
from serving.errors import ModelLoadError
from serving.manifest import ModelManifest
from serving.model_loading import read_vouched_for, verify_bytes
from serving.model_source import MissingModelFile, S3Source
from serving.signature import SignatureRefused, SignatureVerifier


class ModelNotPublishedError(DrydockError):
    """No manifest where the version should be: the version was never published."""


class ModelNotTrustedError(DrydockError):
    """The version is there, but a task would refuse it (signature, checksum, manifest)."""


def check_published(
    s3: Any, uri: str, version: str, verifier: SignatureVerifier | None
) -> ModelManifest:
    """The manifest of the model folder ``uri`` (version ``version``) once it passes the
    checks a task makes before deserialising; raises naming the version and the S3 key."""
    try:
        source = S3Source(uri, client=s3)
        manifest, data = read_vouched_for(source, verifier)
        verify_bytes(manifest, data)
    except MissingModelFile as exc:
        raise ModelNotPublishedError(
            f"model version {version} is not published: {exc} ({uri})"
        ) from exc
    except SignatureRefused as exc:
        raise ModelNotTrustedError(
            f"model version {version} at {uri} would be refused by the tasks: {exc}"
        ) from exc
    except ModelLoadError as exc:
        raise ModelNotTrustedError(f"model version {version} at {uri}: {exc}") from exc
    return manifest
