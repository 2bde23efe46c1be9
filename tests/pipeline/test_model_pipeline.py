"""What the demo serves: the newest published model, never a new one over it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.model.keys import create_signing_key
from harness.model.signing import ModelSigner
from harness.model.store import ModelStore
from harness.pipeline.model_pipeline import newest_or_first_release, release_model


@pytest.fixture
def store(s3: Any, tmp_path: Path) -> ModelStore:
    signed = ModelStore(
        s3, "models-test", signer=ModelSigner(create_signing_key(tmp_path / "k.pem"))
    )
    signed.create_bucket()
    return signed


def test_an_empty_bucket_gets_the_default_model_once(store: ModelStore) -> None:
    first = newest_or_first_release(store, "iris")
    assert (first.manifest.version, first.reused) == ("1", False)
    again = newest_or_first_release(store, "iris")
    assert (again.manifest.version, again.reused) == ("1", True)
    assert store.versions("iris") == ["1"]


def test_a_users_newer_model_is_served_and_nothing_is_published(store: ModelStore) -> None:
    newest_or_first_release(store, "iris")
    users = release_model(store, "iris", regularization=0.05)
    assert users.manifest.version == "2"
    served = newest_or_first_release(store, "iris")
    assert (served.manifest.version, served.reused) == ("2", True)
    assert served.manifest.sha256 == users.manifest.sha256
    assert served.uri.endswith("/iris/2")
    assert store.versions("iris") == ["1", "2"]
    assert newest_or_first_release(store, "iris").manifest.version == "2"
    assert store.versions("iris") == ["1", "2"]


def test_a_newest_version_the_tasks_would_refuse_gets_a_next_version_not_an_overwrite(
    store: ModelStore, s3: Any
) -> None:
    newest_or_first_release(store, "iris")
    unsigned = release_model(
        ModelStore(s3, "models-test"), "iris", version="2", regularization=0.05
    )
    served = newest_or_first_release(store, "iris")
    assert (served.manifest.version, served.reused) == ("3", False)
    assert store.manifest("iris", "2") == unsigned.manifest, "v2 untouched"


def test_train_then_publish_from_the_folder_gets_the_next_version(
    store: ModelStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipeline's train and publish jobs: the packaged candidate (version 0) is
    published as the next number, signed, and the answer is JSON a job can read."""
    import json

    from click.testing import CliRunner

    from harness.cli import main
    from harness.model import store as store_module
    from harness.settings import DrydockSettings

    monkeypatch.setattr(store_module, "pipeline_store", lambda _: store)
    monkeypatch.setenv("DRYDOCK_MODEL_NAME", "iris")
    assert DrydockSettings().model_name == "iris"
    newest_or_first_release(store, "iris")
    runner = CliRunner()
    out = tmp_path / "candidate"
    assert runner.invoke(main, ["model", "train", "--out", str(out)]).exit_code == 0
    published = runner.invoke(main, ["model", "publish", "--from-dir", str(out), "--json"])
    assert published.exit_code == 0, published.output
    answer = json.loads(published.stdout)
    assert answer == {
        "name": "iris",
        "version": "2",
        "uri": store.uri("iris", "2"),
        "reused": False,
    }
    assert store.signed_by_us("iris", "2")
    again = runner.invoke(main, ["model", "publish", "--from-dir", str(out), "--version", "2"])
    assert again.exit_code == 1 and "already published" in again.output
