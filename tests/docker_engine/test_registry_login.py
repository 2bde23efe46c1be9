"""Which pulls carry a registry's credentials."""

from __future__ import annotations

from harness.docker_engine.registry_login import RegistryLogin, auth_config_for

LOGIN = RegistryLogin("127.0.0.1:5050", "AWS", "pw")


def test_images_of_the_registry_get_its_credentials_others_none() -> None:
    assert auth_config_for(LOGIN, "127.0.0.1:5050/team/app@sha256:abc") == {
        "username": "AWS",
        "password": "pw",
    }
    assert auth_config_for(LOGIN, "127.0.0.1:50500/team/app:v1") is None  # another port
    assert auth_config_for(LOGIN, "python:3.11-slim-bookworm") is None
    assert auth_config_for(None, "127.0.0.1:5050/team/app:v1") is None
    assert LOGIN.basic_auth() == ("AWS", "pw")
