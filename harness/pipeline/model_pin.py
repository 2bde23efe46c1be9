"""How a task definition pins its model: ``DRYDOCK_MODEL_URI`` in the container's environment.

The rollout stage writes ``s3://<bucket>/models/<name>/<version>`` there (see
``service_pipeline.serving_environment``) and the server loads exactly that folder, so a
revision names the model it serves and a rollback returns to it. Releasing another model
version is changing that one variable's last path segment in a copy of the revision;
nothing else in the definition (image, keys, ports) changes. Pure: no AWS call here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlparse

from harness.errors import DrydockError
from serving.manifest import MANIFEST_FILENAME
from serving.model_source import LATEST

MODEL_URI_VARIABLE = "DRYDOCK_MODEL_URI"
TRUSTED_KEYS_VARIABLE = "DRYDOCK_TRUSTED_PUBLIC_KEYS"


@dataclass(frozen=True)
class ModelPin:
    """The model folder a task definition names: bucket, key prefix, model name, version."""

    bucket: str
    prefix: str  # the keys above the model's name, "models" in Drydock's layout
    name: str
    version: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}/{self.name}/{self.version}"

    @property
    def manifest_key(self) -> str:
        return f"{self.prefix}/{self.name}/{self.version}/{MANIFEST_FILENAME}"

    @property
    def floating(self) -> bool:
        """``latest``: the version is whatever the pointer says when a task starts."""
        return self.version == LATEST

    def at(self, version: str) -> ModelPin:
        return replace(self, version=version)


def parse_model_uri(uri: str) -> ModelPin:
    """``s3://bucket/<prefix>/<name>/<version>``; anything else is named and refused."""
    parsed = urlparse(uri)
    parts = [p for p in parsed.path.split("/") if p]
    if parsed.scheme != "s3" or not parsed.netloc or len(parts) < 3:
        raise DrydockError(
            f"{MODEL_URI_VARIABLE}={uri!r} is not s3://<bucket>/models/<name>/<version>"
        )
    *prefix, name, version = parts
    return ModelPin(parsed.netloc, "/".join(prefix), name, version)


def environment_of(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("environment") or []}


def model_pin(container: dict[str, Any]) -> ModelPin:
    """The model a container definition serves; a clear error when it names none."""
    uri = environment_of(container).get(MODEL_URI_VARIABLE)
    if not uri:
        raise DrydockError(
            f"container {container.get('name')!r} has no {MODEL_URI_VARIABLE} in its "
            "environment: it does not say which model it serves"
        )
    return parse_model_uri(uri)


def pin_model(container: dict[str, Any], pin: ModelPin) -> None:
    """Point ``container`` (a definition being registered) at ``pin``, in place; every
    other environment variable, and their order, stays."""
    for variable in container.get("environment") or []:
        if variable["name"] == MODEL_URI_VARIABLE:
            variable["value"] = pin.uri
            return
    raise DrydockError(f"container {container.get('name')!r} has no {MODEL_URI_VARIABLE}")


def trusted_keys(container: dict[str, Any]) -> str | None:
    """The public keys the container's tasks verify models with (PEM blocks), if it says."""
    return environment_of(container).get(TRUSTED_KEYS_VARIABLE) or None
