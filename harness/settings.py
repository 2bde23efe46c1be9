"""All of Drydock's settings in one typed object, read once from the environment.

Every value has a default that works on a fresh machine; each can be overridden
with a ``DRYDOCK_``-prefixed variable (``DRYDOCK_REGISTRY_PORT=5051``), so a
user with a port clash or their own image changes configuration, not code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class DrydockSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DRYDOCK_", frozen=True)

    project: str = Field("drydock", description="Compose project name; also labels containers.")
    state_dir: Path = Field(REPO_ROOT / ".drydock", description="Caches: rootfs, wheelhouses.")
    host: str = Field("127.0.0.1", description="Where published ports listen. Loopback only.")
    localstack_port: int = Field(4566, ge=1, le=65535)
    registry_port: int = Field(5050, ge=1, le=65535)
    aws_target: Literal["local", "aws"] = Field(
        "local", description="`aws` points the pipeline at real AWS with boto3's defaults."
    )
    lb_port: int = Field(8000, ge=1, le=65535, description="The balancer's listener 80.")
    ecs_port: int = Field(4570, ge=1, le=65535, description="The ECS/ELBv2 emulator API.")
    region: str = "us-east-1"
    model_bucket: str = "drydock-models"
    model_name: str = "iris"
    serving_repository: str = "drydock/serving"
    serving_port: int = Field(8080, description="Port the serving container listens on.")
    stack_timeout_s: float = Field(120.0, gt=0, description="How long `up` waits for health.")
    serving_ready_timeout_s: float = Field(60.0, gt=0)
    debian_mirror: str = "http://deb.debian.org/debian"
    time_scale: float = Field(1.0, gt=0, le=1.0, description="Multiplies every AWS duration.")
    model_signing_key: Path | None = Field(
        None,
        description="The pipeline's EC private key (PEM); <state_dir>/keys/model-signing.pem, "
        "created on first use, when unset. Never leaves the pipeline's machine.",
    )
    model_also_trusted_keys: list[Path] = Field(
        default_factory=list,
        description="Public key files tasks trust besides the signing key's own (a rotation; "
        "JSON list).",
    )
    verify_signatures: bool = Field(True, description="Tasks refuse a model no trusted key signed.")

    @property
    def signing_key_path(self) -> Path:
        return self.model_signing_key or self.state_dir / "keys" / "model-signing.pem"

    @property
    def localstack_url(self) -> str:
        return f"http://{self.host}:{self.localstack_port}"

    @property
    def registry_address(self) -> str:
        return f"{self.host}:{self.registry_port}"

    @property
    def ecs_url(self) -> str:
        return f"http://{self.host}:{self.ecs_port}"

    @property
    def lb_url(self) -> str:
        return f"http://{self.host}:{self.lb_port}"

    @property
    def network(self) -> str:
        """The compose network that task containers join to reach LocalStack."""
        return f"{self.project}_cloud"

    @property
    def localstack_url_in_network(self) -> str:
        return "http://localstack:4566"
