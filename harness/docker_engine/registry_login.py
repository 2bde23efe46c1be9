"""Credentials for one registry, in the forms the Docker SDK and ``requests`` take.

What ``docker login`` would store, kept explicit instead: a push, a pull or a manifest
lookup is given the login it uses, so nothing depends on which client object logged
in earlier or on the user's ``~/.docker/config.json``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RegistryLogin:
    registry: str  # host:port, as in image references (127.0.0.1:5050)
    username: str
    password: str

    def auth_config(self) -> dict[str, str]:
        """The Docker SDK's ``auth_config`` for push and pull."""
        return {"username": self.username, "password": self.password}

    def basic_auth(self) -> tuple[str, str]:
        """``requests``' ``auth`` for the registry's HTTP API."""
        return (self.username, self.password)

    def covers(self, image: str) -> bool:
        """True when ``image`` (``host:port/name@sha256:...``) is in this registry."""
        return image.startswith(f"{self.registry}/")


def auth_config_for(login: RegistryLogin | None, image: str) -> dict[str, str] | None:
    """The credentials to pull ``image`` with: ``login``'s when it covers the image."""
    return login.auth_config() if login is not None and login.covers(image) else None
