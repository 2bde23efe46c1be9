"""A PNG of the report page, taken by headless Chromium (Debian's ``chromium``).

A picture is what a person checks first, and what a CI run can attach. The
flags keep Chromium off the network (no background fetches, no component
updates), which this project's machines require; root needs ``--no-sandbox``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.errors import DrydockError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


class ScreenshotError(DrydockError):
    """No browser, or the browser wrote no picture."""


def find_chromium() -> str:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise ScreenshotError(
        "no Chromium found (looked for " + ", ".join(CANDIDATES) + "); "
        "on Debian/Ubuntu: apt-get install -y chromium"
    )


def screenshot(
    html_path: Path, png_path: Path, width: int = 1100, height: int = 1800, timeout_s: float = 60
) -> Path:
    """Render ``html_path`` (a local file) to ``png_path``; returns the PNG's path."""
    browser = find_chromium()
    png_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="drydock-chromium-") as profile:
        command = [
            browser,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--screenshot={png_path.resolve()}",
            html_path.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise ScreenshotError(f"{browser} took more than {timeout_s:.0f}s") from exc
    if not png_path.is_file() or png_path.stat().st_size == 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise ScreenshotError(f"{browser} wrote no screenshot (exit {done.returncode}): {tail}")
    return png_path
