from __future__ import annotations

import socket
from unittest import mock

import pytest

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
