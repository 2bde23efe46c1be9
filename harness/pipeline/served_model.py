"""Which model an ECS service serves now: its current task definition's model pin.

The quality gate compares a candidate with this model, so "served" means what the
service's task definition pins (the revision its PRIMARY deployment runs), read through
the public ECS API like everything else in the pipeline, and its score is the one its
published manifest records.
"""

from __future__ import annotations

from typing import Any

from harness.model.store import ModelStore
from harness.pipeline.deploy import container_named, find_service
from harness.pipeline.model_pin import ModelPin, model_pin
from serving.manifest import ModelManifest


def served_pin(
    ecs: Any, cluster: str, service: str, container: str | None = None
) -> ModelPin | None:
    """The model the service's current revision pins; None when there is no such service
    (nothing is served yet, as before a first deployment)."""
    found = find_service(ecs, cluster, service)
    if found is None:
        return None
    definition = ecs.describe_task_definition(taskDefinition=found["taskDefinition"])
    return model_pin(container_named(definition["taskDefinition"], container))


def served_manifest(s3: Any, pin: ModelPin) -> ModelManifest | None:
    """The manifest of the version ``pin`` names (``latest`` followed to its version)."""
    store = ModelStore(s3, pin.bucket)
    version = store.latest_version(pin.name) if pin.floating else pin.version
    return None if version is None else store.manifest(pin.name, version)
