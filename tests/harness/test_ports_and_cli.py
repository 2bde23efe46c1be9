from __future__ import annotations

import socket
from unittest import mock

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.errors import PortInUseError
from harness.stack.ports import ensure_ports_free, port_is_free


def test_a_taken_port_is_named_with_the_variable_that_moves_it() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
        client = mock.Mock()
        client.containers.list.return_value = []
        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1 .* DRYDOCK_X_PORT"):
            ensure_ports_free(client, "drydock", "127.0.0.1", {"DRYDOCK_X_PORT": port})


def test_a_port_held_by_our_own_stack_is_accepted() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        ours = mock.Mock(ports={"4566/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]})
        client = mock.Mock()
        client.containers.list.return_value = [ours]
        ensure_ports_free(client, "drydock", "127.0.0.1", {"DRYDOCK_X_PORT": port})


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
