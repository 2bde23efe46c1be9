"""The ``drydock`` command's one-line errors for expected failures."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from harness.cli import main


def test_cli_prints_one_line_for_a_bad_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRYDOCK_REGISTRY_PORT", "not-a-port")
    result = CliRunner().invoke(main, ["model", "publish"])
    assert result.exit_code == 1
    assert "invalid setting DRYDOCK_REGISTRY_PORT" in result.output
    assert "Traceback" not in result.output


def test_cli_names_an_unreachable_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.docker_engine import docker_client

    docker_client.cache_clear()
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    try:
        result = CliRunner().invoke(main, ["stack", "up"])
    finally:
        docker_client.cache_clear()
    assert result.exit_code == 1
    assert "Docker Engine is not reachable" in result.output
