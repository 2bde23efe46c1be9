"""boto3 clients for the emulator: the same calls a user's code makes against AWS."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.aws import aws_client as build_client
from harness.ecs.emulator.emulator import Emulator


def aws_client(kind: str, emulator: Emulator, region: str | None = None) -> Any:
    """An ``ecs`` or ``elbv2`` client for ``emulator`` (Drydock's one client factory,
    pointed at this emulator whatever the environment says)."""
    return build_client(
        kind, emulator.settings, endpoint_url=emulator.endpoint_url, region_name=region
    )


def aws_cli(
    emulator: Emulator, home: Path, *args: str, timeout_s: float = 120
) -> tuple[int, Any, str]:
    """Run the pinned AWS CLI (the venv's ``aws``) against ``emulator``: exit code, the
    JSON answer (None when empty) and stderr. ``home`` keeps it from any real profile."""
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": emulator.settings.region,
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
    }
    command = [str(Path(sys.executable).with_name("aws")), "--endpoint-url",
               emulator.endpoint_url, "--output", "json", *args]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout_s)
    answer = json.loads(done.stdout) if done.stdout.strip() else None
    return done.returncode, answer, done.stderr
