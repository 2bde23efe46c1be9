"""``drydock release`` against the emulator's API (services converge at once) and moto S3."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from harness.errors import DrydockError
from harness.model.keys import create_signing_key, public_pem
from harness.model.published import ModelNotPublishedError, ModelNotTrustedError
from harness.model.signing import ModelSigner
from harness.model.store import ModelStore
from harness.pipeline.model_pipeline import release_model
from harness.pipeline.release import (
    ReleaseRequest,
    ReleaseRolledBackError,
    release,
)
from harness.pipeline.service_pipeline import serving_environment
from harness.settings import DrydockSettings

BUCKET = "models-test"
IMAGE = "127.0.0.1:5050/drydock/serving@sha256:" + "1" * 64


@pytest.fixture
def key(tmp_path: Path) -> Path:
    return create_signing_key(tmp_path / "keys" / "signing.pem")


@pytest.fixture
def store(s3: Any, key: Path) -> ModelStore:
    signed = ModelStore(s3, BUCKET, signer=ModelSigner(key))
    signed.create_bucket()
    release_model(signed, "iris", regularization=1.0)
    release_model(signed, "iris", regularization=0.05)
    return signed


@pytest.fixture
def ecs(ecs_api: Any, store: ModelStore, key: Path, tmp_path: Path) -> Any:
    settings = DrydockSettings(model_signing_key=key, state_dir=tmp_path / "state")
    environment = serving_environment(settings, store.uri("iris", "1"))
    _service(
        ecs_api,
        {
            "name": "model-server",
            "image": IMAGE,
            "memory": 512,
            "environment": [{"name": k, "value": v} for k, v in environment.items()],
        },
    )
    return ecs_api


def _service(ecs: Any, container: dict[str, Any]) -> None:
    ecs.register_task_definition(family="web", containerDefinitions=[container])
    ecs.create_service(cluster="c", serviceName="web", taskDefinition="web", desiredCount=1)


def _no_fallback() -> str:
    raise AssertionError("the task definition's own keys should have been used")


def _release(ecs: Any, s3: Any, **request: Any) -> Any:
    lines: list[str] = []
    outcome = release(
        ecs,
        s3,
        ReleaseRequest("c", "web", **request),
        fallback_trusted_keys=_no_fallback,
        on_event=lines.append,
        poll_s=0.01,
    )
    return outcome, lines


def _environment(ecs: Any, revision: str) -> dict[str, str]:
    definition = ecs.describe_task_definition(taskDefinition=revision)["taskDefinition"]
    return {e["name"]: e["value"] for e in definition["containerDefinitions"][0]["environment"]}


def _revisions(ecs: Any) -> list[str]:
    return ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"]


def test_a_model_only_release_pins_the_version_and_changes_nothing_else(ecs: Any, s3: Any) -> None:
    outcome, lines = _release(ecs, s3, model_version="2")
    assert outcome.outcome == "COMPLETED"
    assert outcome.task_definition_arn.endswith("web:2")
    assert (outcome.model_version, outcome.image) == ("2", IMAGE)
    before, after = _environment(ecs, "web:1"), _environment(ecs, "web:2")
    assert after["DRYDOCK_MODEL_URI"] == f"s3://{BUCKET}/models/iris/2"
    assert {k: v for k, v in after.items() if k != "DRYDOCK_MODEL_URI"} == {
        k: v for k, v in before.items() if k != "DRYDOCK_MODEL_URI"
    }
    revision = ecs.describe_task_definition(taskDefinition="web:2")["taskDefinition"]
    assert revision["containerDefinitions"][0]["image"] == IMAGE
    service = ecs.describe_services(cluster="c", services=["web"])["services"][0]
    assert service["taskDefinition"] == outcome.task_definition_arn
    assert service["deployments"][0]["id"] == outcome.deployment_id
    assert any("v2 is published and signed" in line for line in lines)
    assert json.loads(json.dumps(outcome.as_json()))["modelVersion"] == "2"


def test_an_image_only_release_keeps_the_model_pin(ecs: Any, s3: Any) -> None:
    outcome, _ = _release(ecs, s3, image="127.0.0.1:5050/drydock/serving:v2")
    assert (outcome.model_version, outcome.image) == ("1", "127.0.0.1:5050/drydock/serving:v2")
    assert _environment(ecs, "web:2") == _environment(ecs, "web:1")


def test_model_and_image_together(ecs: Any, s3: Any) -> None:
    outcome, _ = _release(ecs, s3, model_version="2", image="repo/x:3")
    revision = ecs.describe_task_definition(taskDefinition=outcome.task_definition_arn)
    assert revision["taskDefinition"]["containerDefinitions"][0]["image"] == "repo/x:3"
    assert _environment(ecs, "web:2")["DRYDOCK_MODEL_URI"].endswith("/iris/2")


def test_an_unpublished_version_is_refused_naming_it_and_the_key_nothing_registered(
    ecs: Any, s3: Any
) -> None:
    with pytest.raises(ModelNotPublishedError) as refused:
        _release(ecs, s3, model_version="9")
    message = str(refused.value)
    assert "model version 9 is not published" in message
    assert f"s3://{BUCKET}/models/iris/9/manifest.json" in message
    assert _revisions(ecs) == [_revisions(ecs)[0]]
    service = ecs.describe_services(cluster="c", services=["web"])["services"][0]
    assert service["taskDefinition"].endswith("web:1")


def test_an_unsigned_version_is_refused_before_anything_is_registered(
    ecs: Any, s3: Any, store: ModelStore
) -> None:
    release_model(ModelStore(s3, BUCKET), "iris", version="3", regularization=0.5)
    with pytest.raises(ModelNotTrustedError, match=r"version 3 .* model is unsigned"):
        _release(ecs, s3, model_version="3")
    assert len(_revisions(ecs)) == 1


def test_a_version_signed_with_a_key_the_tasks_do_not_trust_is_refused(
    ecs: Any, s3: Any, tmp_path: Path
) -> None:
    other = ModelSigner(create_signing_key(tmp_path / "other.pem"))
    release_model(ModelStore(s3, BUCKET, signer=other), "iris", version="4", regularization=0.3)
    with pytest.raises(ModelNotTrustedError, match="signed with another key"):
        _release(ecs, s3, model_version="4")
    assert len(_revisions(ecs)) == 1


def test_a_definition_without_keys_is_checked_with_the_pipelines_keys(
    ecs_api: Any, s3: Any, store: ModelStore, key: Path
) -> None:
    uri = {"name": "DRYDOCK_MODEL_URI", "value": store.uri("iris", "1")}
    _service(ecs_api, {"name": "a", "image": "x:1", "environment": [uri]})
    asked: list[bool] = []

    def pipeline_keys() -> str:
        asked.append(True)
        return public_pem(key)

    outcome = release(
        ecs_api,
        s3,
        ReleaseRequest("c", "web", model_version="2"),
        fallback_trusted_keys=pipeline_keys,
        on_event=lambda _: None,
        poll_s=0.01,
    )
    assert asked and outcome.model_version == "2"


def test_nothing_to_release_is_refused() -> None:
    with pytest.raises(DrydockError, match="give --model-version, --image or both"):
        ReleaseRequest("c", "web")


def test_a_container_without_a_model_pin_is_named(ecs_api: Any, s3: Any) -> None:
    _service(ecs_api, {"name": "a", "image": "x:1"})
    with pytest.raises(DrydockError, match="container 'a' has no DRYDOCK_MODEL_URI"):
        _release(ecs_api, s3, model_version="2")


class RollingBackEcs:
    """An ECS whose new deployment the circuit breaker rolls back: what DescribeServices
    shows on AWS (and the emulator) after the breaker trips with rollback on."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.meta = real.meta
        self.rolled_back = False

    def describe_task_definition(self, **kwargs: Any) -> Any:
        return self.real.describe_task_definition(**kwargs)

    def register_task_definition(self, **kwargs: Any) -> Any:
        return self.real.register_task_definition(**kwargs)

    def update_service(self, **kwargs: Any) -> Any:
        self.old = self.real.describe_services(cluster="c", services=["web"])["services"][0]
        answer = self.real.update_service(**kwargs)
        self.new = answer["service"]["deployments"][0]
        return answer

    def describe_services(self, **kwargs: Any) -> Any:
        if not hasattr(self, "new"):
            return self.real.describe_services(**kwargs)
        old = copy.deepcopy(self.old)
        primary = old["deployments"][0]
        failed = {
            **self.new,
            "status": "ACTIVE",
            "rolloutState": "FAILED",
            "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start.",
        }
        old["deployments"] = [primary] if self.rolled_back else [primary, failed]
        old["events"] = [
            {
                "id": "e-failed",
                "createdAt": 0,
                "message": f"(service web) (deployment {self.new['id']}) deployment failed: "
                "tasks failed to start.",
            },
            *old.get("events", []),
        ]
        self.rolled_back = True  # the second look finds the rollback finished
        return {"services": [old], "failures": []}


def test_a_rolled_back_release_fails_naming_the_revision_that_serves(ecs: Any, s3: Any) -> None:
    fake = RollingBackEcs(ecs)
    with pytest.raises(ReleaseRolledBackError) as failed:
        _release(fake, s3, model_version="2")
    message = str(failed.value)
    assert "rolled back by the deployment circuit breaker" in message
    assert "web:2" in message and "model v2" in message
    assert "FAILED (tasks failed to start.)" in message, "the reason, from ECS's event"
    assert "revision arn:aws:ecs:us-east-1:" in message and "web:1 (model v1) is serving" in message
    outcome = failed.value.outcome
    assert outcome.outcome == "ROLLED_BACK"
    assert outcome.serving_task_definition_arn.endswith("web:1")
    assert outcome.task_definition_arn.endswith("web:2")
    assert failed.value.exit_code != 0


def test_the_release_command_prints_only_json_on_stdout_with_json(ecs: Any) -> None:
    from click.testing import CliRunner

    from harness.cli import main

    result = CliRunner().invoke(
        main,
        [
            "release",
            "--endpoint-url",
            ecs.meta.endpoint_url,
            "--cluster",
            "c",
            "--service",
            "web",
            "--image",
            "registry.example/drydock/serving:v9",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["taskDefinitionArn"].endswith("web:2")
    assert answer["image"] == "registry.example/drydock/serving:v9"
    assert answer["modelVersion"] == "1" and answer["outcome"] == "COMPLETED"
    assert answer["deploymentId"].startswith("ecs-svc/")


def test_the_release_command_needs_something_to_release() -> None:
    from click.testing import CliRunner

    from harness.cli import main

    result = CliRunner().invoke(main, ["release", "--cluster", "c", "--service", "web"])
    assert result.exit_code == 1
    assert "give --model-version, --image or both" in result.output


def test_the_image_is_registered_as_pinned_and_a_refused_image_registers_nothing(
    ecs: Any, s3: Any
) -> None:
    def pinned(image: str) -> tuple[str, str | None]:
        if image.endswith(":missing"):
            raise DrydockError(f"image {image} is not in ECR")
        return image.replace(":v2", "@sha256:" + "2" * 64), "pinned"

    def run(image: str) -> Any:
        return release(
            ecs,
            s3,
            ReleaseRequest("c", "web", image=image),
            fallback_trusted_keys=_no_fallback,
            pin_image=pinned,
            on_event=lambda _: None,
            poll_s=0.01,
        )

    with pytest.raises(DrydockError, match="is not in ECR"):
        run("127.0.0.1:5050/drydock/serving:missing")
    assert len(_revisions(ecs)) == 1
    outcome = run("127.0.0.1:5050/drydock/serving:v2")
    assert outcome.image == "127.0.0.1:5050/drydock/serving@sha256:" + "2" * 64
