"""What the endpoints share: one object per app, built once by the factory."""

from __future__ import annotations

from dataclasses import dataclass

from serving.lifecycle import Lifecycle
from serving.metrics import ServingMetrics
from serving.model_loading import ServedModel
from serving.settings import ServingSettings

#: Key of the state in ``app.extensions``; gunicorn hooks find the lifecycle through it.
EXTENSION_KEY = "drydock"


@dataclass
class ServingState:
    settings: ServingSettings
    model: ServedModel
    lifecycle: Lifecycle
    metrics: ServingMetrics
    #: OIP datatype of the ``predict`` output, learnt from the warm-up prediction.
    label_datatype: str
    openapi_json: bytes
