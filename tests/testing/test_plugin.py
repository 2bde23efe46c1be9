"""The scenario kit's pytest plugin works in a project that configured nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

USER_TEST = """
import pytest

@pytest.mark.docker
def test_needs_docker():
    pass

def test_plain():
    pass
"""


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A fresh pytest in a folder with an empty config, as a user's project would be."""
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "test_user.py").write_text(USER_TEST)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--strict-markers", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_docker_marker_needs_no_configuration(tmp_path: Path) -> None:
    result = run_pytest(tmp_path, "-m", "not docker", "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 deselected" in result.stdout
    markers = run_pytest(tmp_path, "--markers")
    assert "@pytest.mark.docker: needs a Docker engine" in markers.stdout


def test_without_the_plugin_the_marker_is_unknown(tmp_path: Path) -> None:
    # The check above proves something only if the plugin is what registers the marker.
    result = run_pytest(tmp_path, "-p", "no:drydock", "-q")
    assert result.returncode != 0
    assert "'docker' not found in `markers` configuration option" in result.stdout
