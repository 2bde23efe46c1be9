"""A Debian base image made with debootstrap, for machines that cannot pull images.

``python:3.11-slim-bookworm`` is the upstream base; where no registry answers,
this gives the same Debian release with its Python 3.11 and ``python3-venv``,
built from the Debian mirror alone (about 40 s once, then cached by tag).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.errors import ImageBuildError
from harness.images.content_tag import content_tag

BASE_REPOSITORY = "drydock/debian-base"
SUITE = "bookworm"
PACKAGES = ("python3", "python3-venv", "ca-certificates")


def base_image_ref(mirror: str) -> str:
    tag = content_tag([], {"suite": SUITE, "packages": ",".join(PACKAGES), "mirror": mirror})
    return f"{BASE_REPOSITORY}:{SUITE}-{tag}"


def build_base_image(ref: str, mirror: str, workdir: Path) -> None:
    """debootstrap a minimal root filesystem and import it as ``ref``."""
    if shutil.which("debootstrap") is None:
        raise ImageBuildError(
            "cannot build the Debian base image: `debootstrap` is not installed "
            "(apt-get install debootstrap), and no upstream base image could be pulled"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workdir, prefix="rootfs-") as rootfs:
        bootstrap = subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(PACKAGES)}",
                SUITE,
                rootfs,
                mirror,
            ],
            capture_output=True,
            text=True,
        )
        if bootstrap.returncode != 0:
            raise ImageBuildError(
                f"debootstrap {SUITE} from {mirror} failed: {bootstrap.stderr.strip()[-400:]}"
            )
        # Trim what an image never needs: apt lists and docs, a third of the size.
        for leftover in ("var/lib/apt/lists", "usr/share/doc", "usr/share/man", "var/cache/apt"):
            shutil.rmtree(Path(rootfs, leftover), ignore_errors=True)
        Path(rootfs, "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
        tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            ["docker", "import", "-c", "ENV LANG=C.UTF-8", "-", ref],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
        )
        tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise ImageBuildError(f"docker import of {ref} failed: {imported.stderr.strip()}")
