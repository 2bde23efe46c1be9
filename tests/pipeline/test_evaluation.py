"""The ``evaluate`` stage: the served model found through ECS, scored from its manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.errors import DrydockError
from harness.model.artifact import package, write_artifact
from harness.model.store import ModelStore
from harness.model.training import train
from harness.pipeline.evaluation import candidate_manifest, evaluate
from harness.pipeline.model_pipeline import PROVISIONAL_VERSION, release_model

BUCKET = "models-test"


@pytest.fixture
def store(s3: Any) -> ModelStore:
    models = ModelStore(s3, BUCKET)
    models.create_bucket()
    release_model(models, "iris", regularization=1.0)  # v1, accuracy 0.9737
    release_model(models, "iris", regularization=0.05)  # v2, accuracy 0.8158
    return models


@pytest.fixture
def ecs(ecs_api: Any) -> Any:
    return ecs_api


def _serve(ecs: Any, uri: str) -> None:
    ecs.register_task_definition(
        family="web",
        containerDefinitions=[
            {
                "name": "a",
                "image": "x:1",
                "environment": [{"name": "DRYDOCK_MODEL_URI", "value": uri}],
            }
        ],
    )
    ecs.create_service(cluster="c", serviceName="web", taskDefinition="web", desiredCount=1)


def _candidate(tmp_path: Path, regularization: float) -> Path:
    artifact = package(train(regularization=regularization), "iris", PROVISIONAL_VERSION)
    return write_artifact(artifact, tmp_path / f"candidate-{regularization}")


def _evaluate(candidate: Any, ecs: Any, s3: Any, threshold: float = 0.5) -> Any:
    return evaluate(
        candidate,
        metric="accuracy",
        threshold=threshold,
        ecs=ecs,
        s3=s3,
        cluster="c",
        service="web",
    )


def test_a_candidate_worse_than_the_served_version_is_refused(
    ecs: Any, s3: Any, store: ModelStore, tmp_path: Path
) -> None:
    _serve(ecs, store.uri("iris", "1"))
    worse = candidate_manifest(
        from_dir=_candidate(tmp_path, 0.02), store=store, name="iris", version=None
    )
    verdict = _evaluate(worse, ecs, s3)
    assert not verdict.passed
    assert "accuracy 0.7895" in verdict.message
    assert "below the served model v1's 0.9737" in verdict.message


def test_the_served_version_is_the_pinned_one_not_the_newest(
    ecs: Any, s3: Any, store: ModelStore, tmp_path: Path
) -> None:
    _serve(ecs, store.uri("iris", "2"))  # v2 (0.8158) serves although v2 is also latest
    candidate = candidate_manifest(
        from_dir=_candidate(tmp_path, 0.003), store=store, name="iris", version=None
    )
    verdict = _evaluate(candidate, ecs, s3)
    assert verdict.passed, verdict.message
    assert verdict.served is not None and verdict.served.version == "2"


def test_latest_is_followed_to_its_version(ecs: Any, s3: Any, store: ModelStore) -> None:
    _serve(ecs, store.uri("iris", "latest"))
    published = candidate_manifest(from_dir=None, store=store, name="iris", version="1")
    verdict = _evaluate(published, ecs, s3)
    assert verdict.passed and verdict.served is not None and verdict.served.version == "2"


def test_no_service_means_only_the_threshold(
    s3: Any, store: ModelStore, ecs: Any, tmp_path: Path
) -> None:
    candidate = candidate_manifest(
        from_dir=_candidate(tmp_path, 0.02), store=store, name="iris", version=None
    )
    assert _evaluate(candidate, ecs, s3, threshold=0.7).passed
    refused = _evaluate(candidate, ecs, s3, threshold=0.8)
    assert not refused.passed and "below the threshold 0.8000" in refused.message
    assert "no model is served yet" in refused.message


def test_a_served_version_without_a_manifest_is_named(ecs: Any, s3: Any, store: ModelStore) -> None:
    _serve(ecs, f"s3://{BUCKET}/models/iris/8")
    candidate = candidate_manifest(from_dir=None, store=store, name="iris", version="1")
    with pytest.raises(
        DrydockError, match=r"serves s3://models-test/models/iris/8, which has no published"
    ):
        _evaluate(candidate, ecs, s3)


def test_an_unpublished_candidate_version_is_named(store: ModelStore) -> None:
    with pytest.raises(
        DrydockError,
        match=r"version 5 is not published \(no s3://models-test/models/iris/5/manifest.json\)",
    ):
        candidate_manifest(from_dir=None, store=store, name="iris", version="5")


def test_train_then_evaluate_from_the_command_line(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from harness.cli import main

    runner = CliRunner()
    out = tmp_path / "candidate"
    trained = runner.invoke(main, ["model", "train", "--out", str(out), "--regularization", "0.05"])
    assert trained.exit_code == 0, trained.output
    assert (out / "manifest.json").exists() and (out / "model.pkl").exists()
    refused = runner.invoke(
        main, ["model", "evaluate", "--from-dir", str(out), "--threshold", "0.9"]
    )
    assert refused.exit_code == 3
    assert "accuracy 0.8158 (candidate v0) is below the threshold 0.9000" in refused.output
    passed = runner.invoke(
        main, ["model", "evaluate", "--from-dir", str(out), "--threshold", "0.8", "--json"]
    )
    assert passed.exit_code == 0, passed.output
    verdict = json.loads(passed.stdout)
    assert verdict["passed"] is True and verdict["candidate"] == pytest.approx(0.815789)
