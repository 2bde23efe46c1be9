"""The quality gate's verdicts and the release's task definition change, pure."""

from __future__ import annotations

from harness.ci.interim_release import pinned_definition
from harness.model.quality_gate import judge


def test_a_model_below_the_floor_is_refused_with_both_figures() -> None:
    verdict = judge({"accuracy": 0.42}, 0.9)
    assert not verdict.passed
    assert "0.4200" in verdict.reason and "0.9000" in verdict.reason


def test_a_model_below_the_current_one_is_refused_naming_its_version() -> None:
    verdict = judge({"accuracy": 0.93}, 0.9, {"accuracy": 0.97}, "4")
    assert not verdict.passed
    assert (
        "0.9300" in verdict.reason and "0.9700" in verdict.reason and "version 4" in verdict.reason
    )


def test_a_model_at_least_as_good_passes() -> None:
    assert judge({"accuracy": 0.97}, 0.9, {"accuracy": 0.97}, "4").passed
    assert judge({"accuracy": 0.91}, 0.9).passed


def test_a_manifest_without_accuracy_is_refused() -> None:
    assert not judge({"f1_macro": 1.0}, 0.5).passed


DEFINITION = {
    "family": "drydock-model-server",
    "taskDefinitionArn": "arn:aws:ecs:us-east-1:0:task-definition/x:1",
    "revision": 1,
    "containerDefinitions": [
        {
            "name": "server",
            "image": "127.0.0.1:5050/drydock/serving@sha256:old",
            "environment": [
                {"name": "DRYDOCK_MODEL_URI", "value": "s3://b/models/iris/1"},
                {"name": "OTHER", "value": "kept"},
            ],
        }
    ],
}


def test_release_pins_model_and_image_and_keeps_the_rest() -> None:
    request = pinned_definition(DEFINITION, "img@sha256:new", "s3://b/models/iris/2")
    container = request["containerDefinitions"][0]
    assert container["image"] == "img@sha256:new"
    assert {"name": "DRYDOCK_MODEL_URI", "value": "s3://b/models/iris/2"} in container[
        "environment"
    ]
    assert {"name": "OTHER", "value": "kept"} in container["environment"]
    assert len(container["environment"]) == 2
    assert "revision" not in request and "taskDefinitionArn" not in request
    assert DEFINITION["containerDefinitions"][0]["image"].endswith("old")  # input untouched


def test_release_of_the_model_alone_keeps_the_image() -> None:
    request = pinned_definition(DEFINITION, None, "s3://b/models/iris/3")
    assert request["containerDefinitions"][0]["image"].endswith("sha256:old")
