"""The first end-to-end story: a model reaches a task pulled from the registry."""

from __future__ import annotations

import time

import numpy as np
import pytest
import requests
from sklearn import datasets
from testcontainers.core.container import DockerContainer

from harness.errors import ModelVersionExistsError
from harness.images.ecr_login import ecr_login
from harness.images.registry import PushedImage, registry_digest
from harness.model.training import train
from harness.pipeline.model_pipeline import release_model
from harness.pipeline.service_pipeline import run_single_task, serving_environment

from .conftest import Isolation, LocalCloud

pytestmark = pytest.mark.docker


def test_published_model_is_served_by_a_task_from_the_registry_image(
    local_cloud: LocalCloud, serving_image: PushedImage, isolation: Isolation
) -> None:
    settings = local_cloud.settings
    release = release_model(local_cloud.store, isolation.model_name, regularization=0.3)
    assert (
        registry_digest(
            settings.registry_address,
            settings.serving_repository,
            serving_image.tag,
            ecr_login(settings),
        )
        == serving_image.digest
    )

    task = run_single_task(
        local_cloud.client,
        settings,
        serving_image,
        local_cloud.store.uri(isolation.model_name, "latest"),
        release.manifest.version,
        isolation.container_name("task"),
    )

    container = local_cloud.client.containers.get(task.container.id)
    assert container.attrs["Config"]["Image"] == serving_image.by_digest
    iris = datasets.load_iris()
    rows = iris.data[::10]
    response = requests.post(
        task.container.url + "/predict", json={"instances": rows.tolist()}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Model-Version"] == release.manifest.version
    assert response.headers["X-Task-Id"] == task.container.name
    expected = train("iris", regularization=0.3).estimator.predict(rows)
    assert np.array_equal(np.asarray(response.json()["predictions"]), expected)


def test_a_new_version_is_picked_up_by_a_new_task(
    local_cloud: LocalCloud, serving_image: PushedImage, isolation: Isolation
) -> None:
    first = release_model(local_cloud.store, isolation.model_name)
    second = release_model(local_cloud.store, isolation.model_name, regularization=0.02)
    assert int(second.manifest.version) == int(first.manifest.version) + 1

    task = run_single_task(
        local_cloud.client,
        local_cloud.settings,
        serving_image,
        local_cloud.store.uri(isolation.model_name, "latest"),
        second.manifest.version,
        isolation.container_name("task"),
    )
    response = requests.post(
        task.container.url + "/predict", json={"instances": [[5.9, 3.0, 5.1, 1.8]]}, timeout=10
    )
    assert response.headers["X-Model-Version"] == second.manifest.version

    with pytest.raises(ModelVersionExistsError):
        release_model(local_cloud.store, isolation.model_name, version=first.manifest.version)


def test_a_task_with_a_missing_model_exits_nonzero_naming_the_uri(
    local_cloud: LocalCloud, serving_image: PushedImage, isolation: Isolation
) -> None:
    settings = local_cloud.settings
    missing = local_cloud.store.uri(f"{isolation.model_name}-absent", "latest")
    task = (
        DockerContainer(serving_image.by_digest)
        .with_name(isolation.container_name("bad-uri"))
        .with_envs(**serving_environment(settings, missing, "bad-uri"))
        .with_kwargs(network=settings.network)
    )
    with task:  # testcontainers removes it however the test ends
        container = task.get_wrapped_container()
        deadline = time.monotonic() + 30
        while container.status != "exited" and time.monotonic() < deadline:
            time.sleep(0.2)
            container.reload()

        assert container.status == "exited"
        assert container.attrs["State"]["ExitCode"] != 0
        last_line = container.logs().decode().strip().splitlines()[-1]
        assert missing in last_line
        assert "Traceback" not in container.logs().decode()
