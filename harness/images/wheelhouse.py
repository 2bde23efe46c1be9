"""Wheelhouses prepared on the host for ``pip install --no-index`` inside images.

Containers here cannot verify PyPI's TLS certificate, so every Python
dependency an image needs is downloaded on the host, for Linux x86_64 CPython
3.11 whatever the host is, and copied into the build context.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from harness.errors import ImageBuildError

PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
PYTHON_VERSION = "3.11"


def wheelhouse_key(requirements: Path, constraints: Path | None) -> str:
    digest = hashlib.sha256(requirements.read_bytes())
    if constraints is not None:
        digest.update(constraints.read_bytes())
    return digest.hexdigest()[:16]


def ensure_wheelhouse(requirements: Path, cache_dir: Path, constraints: Path | None = None) -> Path:
    """Return a folder of wheels for a requirements file, downloading them only once."""
    target = cache_dir / wheelhouse_key(requirements, constraints)
    if (target / ".complete").exists():
        return target
    partial = target.with_suffix(".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--dest",
        str(partial),
    ]
    for platform in PLATFORMS:
        command += ["--platform", platform]
    if constraints is not None:
        command += ["--constraint", str(constraints)]
    command += ["--requirement", str(requirements)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if "is ignored" not in line]
        raise ImageBuildError(
            f"pip download of {requirements} failed (is PyPI reachable?): "
            + " ".join(errors)[-600:]
        )
    (partial / ".complete").write_bytes(requirements.read_bytes())
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target
