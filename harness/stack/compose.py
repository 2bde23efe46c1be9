"""Drive ``docker compose`` for the local cloud, with errors that name the sick service."""

from __future__ import annotations

import json
import os
import subprocess

from harness.errors import DockerUnavailableError, StackUnhealthyError
from harness.settings import REPO_ROOT, DrydockSettings

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"


class ComposeProject:
    """The compose project with the image and port choices passed as environment."""

    def __init__(self, settings: DrydockSettings, images: dict[str, str]) -> None:
        self._settings = settings
        self._images = images  # compose variable -> image ref

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self._images)
        settings = self._settings
        env["DRYDOCK_PROJECT"] = settings.project
        env["DRYDOCK_LOCALSTACK_PORT"] = str(settings.localstack_port)
        env["DRYDOCK_REGISTRY_PORT"] = str(settings.registry_port)
        env["DRYDOCK_LB_PORT"] = str(settings.lb_port)
        env["DRYDOCK_LB_TEST_PORT"] = str(settings.lb_test_port)
        env["DRYDOCK_ECS_PORT"] = str(settings.ecs_port)
        env["DRYDOCK_TIME_SCALE"] = str(settings.time_scale)
        env["DRYDOCK_GIT_PORT"] = str(settings.git_port)
        env["DRYDOCK_CI_DIR"] = str(settings.ci_root)
        return env

    def _run(self, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
        command = [
            "docker",
            "compose",
            "-f",
            str(COMPOSE_FILE),
            "-p",
            self._settings.project,
            *args,
        ]
        try:
            return subprocess.run(
                command, env=self.environment(), capture_output=True, text=True, timeout=timeout
            )
        except FileNotFoundError as exc:
            raise DockerUnavailableError(
                "the `docker` command is missing; run scripts/ensure-docker.sh"
            ) from exc

    def up(self) -> None:
        """Start (or keep) every service and wait until each reports healthy."""
        timeout = self._settings.stack_timeout_s
        try:
            result = self._run("up", "--detach", "--wait", "--remove-orphans", timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise StackUnhealthyError(
                f"the local cloud was not healthy within {timeout:.0f}s: {self._health_summary()}"
            ) from exc
        if result.returncode != 0:
            if "docker compose" in result.stderr and "is not a docker command" in result.stderr:
                raise DockerUnavailableError(
                    "Compose v2 is missing (`docker compose`); run scripts/ensure-docker.sh"
                )
            lines = result.stderr.strip().splitlines()
            errors = [line for line in lines if "error" in line.lower()] or lines[-3:]
            raise StackUnhealthyError(
                f"docker compose up failed: {' | '.join(errors)[-600:]}; "
                f"services: {self._health_summary()}"
            )

    def down(self, volumes: bool = False) -> None:
        args = ["down", "--remove-orphans"] + (["--volumes"] if volumes else [])
        self._run(*args, timeout=120)

    def services(self) -> list[dict[str, str]]:
        result = self._run("ps", "--all", "--format", "json", timeout=30)
        if result.returncode != 0 or not result.stdout.strip():
            return []
        text = result.stdout.strip()
        # compose 2.22 prints one JSON object per line; older ones a JSON array.
        if text.startswith("["):
            return list(json.loads(text))
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def _health_summary(self) -> str:
        parts = []
        for service in self.services():
            state = service.get("Health") or service.get("State", "?")
            parts.append(f"{service.get('Service')}={state}")
            if state not in ("healthy", "running"):
                logs = self._run("logs", "--tail", "5", service.get("Service", ""), timeout=30)
                parts.append(f"(last log lines: {' | '.join(logs.stdout.splitlines()[-5:])})")
        return ", ".join(parts) or "no service is running"
