"""ECR's credentials for docker, from GetAuthorizationToken through the one client factory."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.ecr import EcrState, RegistryCredentials
from harness.errors import RegistryError
from harness.images.ecr_login import decode_authorization, ecr_login
from harness.images.registry import push_refusal
from harness.settings import DrydockSettings


@pytest.fixture
def ecr_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    control_plane = ControlPlane(ecr=EcrState(credentials=RegistryCredentials("s3cret")))
    with ApiServer(control_plane) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", server.endpoint_url)
        yield server.endpoint_url


def test_the_login_is_the_tokens_user_and_password_for_the_registry_pushed_to(
    ecr_endpoint: str,
) -> None:
    login = ecr_login(DrydockSettings(registry_port=5999))
    assert (login.registry, login.username, login.password) == ("127.0.0.1:5999", "AWS", "s3cret")
    assert ecr_login(DrydockSettings(), "127.0.0.1:6000").registry == "127.0.0.1:6000"


def test_an_ecr_that_does_not_answer_is_named_with_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(RegistryError) as refused:
        ecr_login(DrydockSettings())
    message = str(refused.value)
    assert "cannot log in to the registry 127.0.0.1:5050" in message
    assert "GetAuthorizationToken at http://127.0.0.1:9" in message
    assert "AWS_ENDPOINT_URL_ECR" in message


@pytest.mark.parametrize("token", [b"no-colon", b":no-user", b"AWS:", b"\xff\xfe:x"], ids=repr)
def test_a_token_that_is_not_user_colon_password_is_refused(token: bytes) -> None:
    with pytest.raises(RegistryError, match="authorization token"):
        decode_authorization({"authorizationToken": base64.b64encode(token).decode()}, "r:1")
    with pytest.raises(RegistryError, match="unreadable"):
        decode_authorization({"authorizationToken": "%%%"}, "r:1")


def test_a_refused_push_says_how_to_log_in() -> None:
    anonymous = push_refusal("r:1/app", "v1", "r:1", "no basic auth credentials")
    assert anonymous.startswith("push of r:1/app:v1 refused: not logged in to the registry r:1")
    assert "aws ecr get-login-password | docker login --username AWS --password-stdin r:1" in (
        anonymous
    )
    wrong = push_refusal("r:1/app", "v1", "r:1", "unauthorized: authentication required")
    assert "did not accept the credentials" in wrong
    immutable = push_refusal("r:1/app", "v1", "r:1", "tag invalid: The image tag 'v1' ...")
    assert immutable == "push of r:1/app:v1 failed: tag invalid: The image tag 'v1' ..."
