"""Drydock's docker toolkit: one way to reach the engine, and the container helpers
(start, wait, label, remove) that the emulator's runtime, the pipeline, the stack, the
benchmark and the scenario kit share."""

from harness.docker_engine.client import docker_client, new_docker_client

__all__ = ["docker_client", "new_docker_client"]
