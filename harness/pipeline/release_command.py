"""The ``drydock release`` command's I/O: clients, progress on stderr with ``--json``, output.

With ``--json`` stdout carries one JSON object and nothing else (a CI job parses it), so
the rollout's progress goes to stderr; without it everything goes to the console.
"""

from __future__ import annotations

import json
import sys

from botocore.exceptions import BotoCoreError, ClientError

from harness.aws import aws_client, s3_client
from harness.command_line import console, errors, load_settings
from harness.errors import DrydockError
from harness.pipeline.image_pin import pin_image
from harness.pipeline.pinned_model import pipeline_keys
from harness.pipeline.release import ReleaseOutcome, ReleaseRequest, ReleaseRolledBackError, release


def run_release(
    request: ReleaseRequest, endpoint_url: str | None, *, timeout_s: float, as_json: bool
) -> ReleaseOutcome:
    settings = load_settings()
    ecs = aws_client("ecs", settings, endpoint_url=endpoint_url)
    progress = errors if as_json else console
    try:
        outcome = release(
            ecs,
            s3_client(settings),
            request,
            fallback_trusted_keys=pipeline_keys(settings),
            pin_image=lambda image: pin_image(
                aws_client("ecr", settings, endpoint_url=endpoint_url),
                image,
                settings.registry_address,
            ),
            on_event=lambda line: progress.print(line, highlight=False, soft_wrap=True),
            timeout_s=timeout_s,
        )
    except ReleaseRolledBackError as exc:
        if as_json:
            print(json.dumps(exc.outcome.as_json()), flush=True)
        raise
    except (BotoCoreError, ClientError) as exc:
        raise DrydockError(f"ECS API at {ecs.meta.endpoint_url}: {exc}") from exc
    if as_json:
        print(json.dumps(outcome.as_json()), flush=True)
        sys.stdout.flush()
    else:
        console.print(
            f"{outcome.task_definition_arn}: model v{outcome.model_version}, "
            f"{outcome.image}, deployment {outcome.deployment_id} {outcome.outcome} "
            f"in {outcome.seconds:.1f} s",
            highlight=False,
            soft_wrap=True,
        )
    return outcome
