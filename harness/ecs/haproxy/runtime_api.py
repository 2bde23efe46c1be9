"""A small client for HAProxy's Runtime API, reached through the master CLI over TCP.

The master CLI (``-S ipv4@0.0.0.0:9999`` in the image's entrypoint) is the one address
that survives reloads: ``reload`` goes to the master itself and every other command is
forwarded to the current worker with the ``@1`` prefix. One TCP connection per command,
closed for writing after the command, is HAProxy's non-interactive mode.

Address it as ``127.0.0.1:<published port>`` when the emulator runs on the host, and as
``<haproxy container name>:9999`` when it runs in a container on the same network.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from harness.ecs.haproxy.errors import RuntimeApiError

_SILENT_OK = ""


@dataclass(frozen=True)
class RuntimeApiAddress:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class RuntimeApiClient:
    """Send Runtime API commands; raise :class:`RuntimeApiError` on refusal or no answer."""

    def __init__(self, address: RuntimeApiAddress, timeout_s: float = 5.0) -> None:
        self.address = address
        self.timeout_s = timeout_s

    def master(self, command: str) -> str:
        """A master-process command (``reload``, ``show proc``)."""
        return self._send(command)

    def worker(self, command: str) -> str:
        """A command for the current worker (``show stat``, ``add server``...)."""
        return self._send(f"@1 {command}")

    def show(self, command: str, attempts: int = 3) -> str:
        """A worker ``show ...`` command, which always has an answer.

        A rare empty answer was seen through the master CLI (once in a few hundred calls
        from a container); asking again is harmless for a read-only command.
        """
        answer = ""
        for _ in range(attempts):
            answer = self.worker(command)
            if answer.strip():
                return answer
        raise RuntimeApiError(f"HAProxy gave no answer to {command!r} ({attempts} tries)")

    def expect(self, command: str, ok: str = _SILENT_OK) -> None:
        """Run a worker command whose success answer is known (usually nothing at all)."""
        answer = self.worker(command).strip()
        if answer != ok:
            raise RuntimeApiError(f"HAProxy refused {command!r}: {answer or 'no answer'}")

    def _send(self, command: str) -> str:
        if "\n" in command or ";" in command:
            raise RuntimeApiError(f"one Runtime API command at a time, got {command!r}")
        try:
            with socket.create_connection(
                (self.address.host, self.address.port), timeout=self.timeout_s
            ) as sock:
                sock.sendall(command.encode() + b"\n")
                sock.shutdown(socket.SHUT_WR)
                chunks: list[bytes] = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
        except OSError as exc:
            raise RuntimeApiError(
                f"HAProxy Runtime API at {self.address} did not answer {command!r}: {exc}"
            ) from exc
        return b"".join(chunks).decode(errors="replace")
