"""The registry requires ECR's credentials, and IMMUTABLE repositories keep their tags.

On the compose stack, with the docker CLI as a user or a CI job runs it (a config folder
of its own, so no login leaks in or out): an anonymous push or pull is refused, the
harness's own push says how to log in, ``aws ecr get-login-password | docker login``
lets pushes through; an IMMUTABLE repository refuses to move a tag to another image
(docker prints ECR's sentence, naming tag and repository) but takes the same image
again; a MUTABLE one moves it; PutImageTagMutability changes the rule for the next push.
A task whose image the engine does not have pulls it with ECR's credentials, as ECS does
with the task execution role.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from docker.errors import ImageNotFound

from harness.aws import aws_client
from harness.docker_engine import new_docker_client
from harness.docker_engine.containers import pull_image
from harness.ecs.emulator.emulator import Emulator
from harness.errors import RegistryError
from harness.images.ecr_login import ecr_login
from harness.images.registry import PushedImage, push_image
from harness.testing import Isolation, LocalCloud, derived_image
from harness.testing.serving import serving_service

from .ecr_cli import build_tiny_image, cli_env, ecr_repository, login_command, run_cli

__all__ = ["cli_env"]  # a fixture the scenarios here use

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

LOGIN_HINT = "aws ecr get-login-password | docker login --username AWS --password-stdin"


@pytest.fixture
def images(
    drydock_cloud: LocalCloud, drydock_isolation: Isolation, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """Two different one-file images (their ids), removed after."""
    suffix = drydock_isolation.suffix
    made = tuple(
        build_tiny_image(
            drydock_cloud,
            tmp_path / name,
            f"{suffix}-{name}",
            f"drydock-scenarios/auth-{name}:{suffix}",
        )
        for name in ("a", "b")
    )
    try:
        yield made  # type: ignore[misc]
    finally:
        for image in made:
            drydock_cloud.client.images.remove(image, force=True)


def docker_push(env: dict[str, str], image: str, reference: str, *, ok: bool = True) -> Any:
    run_cli(["docker", "tag", image, reference], env)
    return run_cli(["docker", "push", reference], env, ok=ok)


def pushed_digest(done: Any) -> str:
    found = re.search(r"digest: (sha256:[0-9a-f]{64})", done.stdout)
    assert found, done.stdout
    return found.group(1)


def tag_digest(cloud: LocalCloud, repository: str, tag: str) -> str:
    ecr = aws_client("ecr", cloud.settings)
    [detail] = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])[
        "imageDetails"
    ]
    return str(detail["imageDigest"])


def refusal(tag: str, repository: str) -> str:
    return (
        f"tag invalid: The image tag '{tag}' already exists in the '{repository}' repository "
        "and cannot be overwritten because the repository is immutable."
    )


def test_a_push_without_login_is_refused_and_a_login_lets_it_through(
    drydock_cloud: LocalCloud,
    drydock_isolation: Isolation,
    images: tuple[str, str],
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, (first, _) = drydock_cloud.settings, images
    name = f"drydock-scenarios/auth-{drydock_isolation.suffix}"
    with ecr_repository(drydock_cloud, name) as repository:
        uri = repository["repositoryUri"]

        anonymous = docker_push(cli_env, first, f"{uri}:v1", ok=False)
        assert "no basic auth credentials" in anonymous.stderr, anonymous.stderr
        assert aws_client("ecr", settings).list_images(repositoryName=name)["imageIds"] == []

        # the harness's push without a login says what is wrong and how to log in
        monkeypatch.setenv("DOCKER_CONFIG", cli_env["DOCKER_CONFIG"])  # no stored logins
        with pytest.raises(RegistryError) as refused:
            push_image(
                new_docker_client(), first, settings.registry_address, name, "v1", login=None
            )
        assert f"registry {settings.registry_address} refused no credentials" in str(refused.value)
        assert LOGIN_HINT in str(refused.value)

        registry = settings.registry_address
        wrong = run_cli(
            f"echo wrong | docker login --username AWS --password-stdin {registry}",
            cli_env,
            shell=True,
            ok=False,
        )
        assert "401" in wrong.stderr or "unauthorized" in wrong.stderr.lower(), wrong.stderr

        # credentials the registry does not accept (a stale login): the refusal says how
        stale_env = {**cli_env, "DOCKER_CONFIG": str(Path(cli_env["HOME"]) / "stale")}
        Path(stale_env["DOCKER_CONFIG"]).mkdir()
        stale = base64.b64encode(b"AWS:expired-password").decode()
        (Path(stale_env["DOCKER_CONFIG"]) / "config.json").write_text(
            json.dumps({"auths": {registry: {"auth": stale}}})
        )
        refused_push = docker_push(stale_env, first, f"{uri}:v1", ok=False)
        assert "unauthorized: authentication required" in refused_push.stderr, refused_push.stderr
        assert LOGIN_HINT in refused_push.stderr, refused_push.stderr

        login = run_cli(login_command(drydock_cloud), cli_env, shell=True)
        assert "Login Succeeded" in login.stdout
        digest = pushed_digest(docker_push(cli_env, first, f"{uri}:v1"))
        assert tag_digest(drydock_cloud, name, "v1") == digest

        # pulls too: refused without credentials, served with ECR's (as tasks pull)
        (Path(cli_env["HOME"]) / "anonymous").mkdir()
        anonymous_env = {**cli_env, "DOCKER_CONFIG": str(Path(cli_env["HOME"]) / "anonymous")}
        pull = run_cli(["docker", "pull", f"{uri}@{digest}"], anonymous_env, ok=False)
        assert "no basic auth credentials" in pull.stderr or "unauthorized" in pull.stderr, (
            pull.stderr
        )
        pull_image(drydock_cloud.client, f"{uri}@{digest}", ecr_login(settings).auth_config())


def test_an_immutable_repository_refuses_a_re_pushed_tag_and_takes_the_same_image_again(
    drydock_cloud: LocalCloud,
    drydock_isolation: Isolation,
    images: tuple[str, str],
    cli_env: dict[str, str],
) -> None:
    settings, (first, second) = drydock_cloud.settings, images
    name = f"drydock-scenarios/immutable-{drydock_isolation.suffix}"
    run_cli(login_command(drydock_cloud), cli_env, shell=True)
    with ecr_repository(drydock_cloud, name, imageTagMutability="IMMUTABLE") as repository:
        uri = repository["repositoryUri"]
        digest = pushed_digest(docker_push(cli_env, first, f"{uri}:v1"))

        moved = docker_push(cli_env, second, f"{uri}:v1", ok=False)
        assert refusal("v1", name) in moved.stderr, moved.stderr
        assert tag_digest(drydock_cloud, name, "v1") == digest

        # the harness's push gets the same sentence
        with pytest.raises(RegistryError) as refused:
            push_image(
                drydock_cloud.client,
                second,
                settings.registry_address,
                name,
                "v1",
                login=ecr_login(settings),
            )
        assert refusal("v1", name) in str(refused.value)

        # the same image under the same tag again is no overwrite; a new tag is fine
        assert pushed_digest(docker_push(cli_env, first, f"{uri}:v1")) == digest
        other = pushed_digest(docker_push(cli_env, second, f"{uri}:v2"))
        assert tag_digest(drydock_cloud, name, "v1") == digest
        assert tag_digest(drydock_cloud, name, "v2") == other != digest


def test_a_mutable_repository_moves_the_tag_and_put_image_tag_mutability_switches_live(
    drydock_cloud: LocalCloud,
    drydock_isolation: Isolation,
    images: tuple[str, str],
    cli_env: dict[str, str],
) -> None:
    first, second = images
    ecr = aws_client("ecr", drydock_cloud.settings)
    name = f"drydock-scenarios/mutable-{drydock_isolation.suffix}"
    run_cli(login_command(drydock_cloud), cli_env, shell=True)
    with ecr_repository(drydock_cloud, name) as repository:
        assert repository["imageTagMutability"] == "MUTABLE"
        uri = repository["repositoryUri"]
        one = pushed_digest(docker_push(cli_env, first, f"{uri}:v1"))
        two = pushed_digest(docker_push(cli_env, second, f"{uri}:v1"))
        assert tag_digest(drydock_cloud, name, "v1") == two != one

        ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability="IMMUTABLE")
        refused = docker_push(cli_env, first, f"{uri}:v1", ok=False)
        assert refusal("v1", name) in refused.stderr, refused.stderr
        assert tag_digest(drydock_cloud, name, "v1") == two

        ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability="MUTABLE")
        assert pushed_digest(docker_push(cli_env, first, f"{uri}:v1")) == one
        assert tag_digest(drydock_cloud, name, "v1") == one


def test_a_task_pulls_an_image_missing_from_the_engine_with_ecrs_credentials(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
) -> None:
    """As ECS pulls with the task execution role: the emulator's runtime logs in itself."""
    client, settings = drydock_cloud.client, drydock_cloud.settings
    image = derived_image(
        client,
        drydock_serving_image,
        [f"LABEL drydock.pulled-by-task={drydock_isolation.suffix}"],
        settings.registry_address,
        "drydock/scenario-variants",
        f"pull-{drydock_isolation.suffix}",
    )
    client.images.remove(client.images.get(image.by_digest).id, force=True)
    with pytest.raises(ImageNotFound):
        client.images.get(image.by_digest)  # the task cannot start without pulling it

    service, release = serving_service(
        drydock_emulator, drydock_isolation, drydock_cloud, image.by_digest
    )
    with service.with_desired_count(1):
        service.wait_stable()
        service.wait_rollout_state("COMPLETED", timeout_s=120)
        [task] = service.task_ids()
        container = service.task_containers()[task]
        assert container.attrs["Config"]["Image"] == image.by_digest
        assert (
            client.images.get(image.by_digest).labels["drydock.pulled-by-task"]
            == drydock_isolation.suffix
        )
        answer = requests.post(
            service.lb_url + "/predict", json={"instances": [[5.1, 3.5, 1.4, 0.2]]}, timeout=10
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["X-Model-Version"] == release.manifest.version
    client.images.remove(image.by_digest, force=True)
