"""Where the driver writes haproxy.cfg and the saved server states before a reload.

HAProxy reads its configuration from its own filesystem, so a reload needs the files put
there first: through the Docker API into the running container (the emulator already
drives Docker), or into a directory shared with the container as a volume.
"""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from harness.ecs.haproxy.config import STATE_DIR
from harness.ecs.haproxy.errors import HaproxyError


class ConfigSink(Protocol):
    def write(self, files: dict[str, str]) -> None:
        """Write each file name (no directories) with its text into HAProxy's state dir."""


class DockerConfigSink:
    """Copies the files into the HAProxy container with ``put_archive``."""

    def __init__(self, container: Any, directory: str = STATE_DIR) -> None:
        self.container = container
        self.directory = directory

    def write(self, files: dict[str, str]) -> None:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for name, text in files.items():
                data = text.encode()
                info = tarfile.TarInfo(PurePosixPath(name).name)
                info.size = len(data)
                info.mtime = int(time.time())
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
        if not self.container.put_archive(self.directory, buffer.getvalue()):
            raise HaproxyError(f"could not write {sorted(files)} into {self.container.name}")


class DirectoryConfigSink:
    """Writes into a host directory mounted at the container's state dir."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def write(self, files: dict[str, str]) -> None:
        for name, text in files.items():
            target = self.directory / PurePosixPath(name).name
            tmp = target.with_suffix(target.suffix + ".tmp")
            tmp.write_text(text)
            tmp.replace(target)
