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

from harness.time_scale import TimeScale

REPO_ROOT = Path(__file__).resolve().parent.parent


class DrydockSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DRYDOCK_", frozen=True)

    project: str = Field("drydock", description="Compose project name; also labels containers.")
    state_dir: Path = Field(REPO_ROOT / ".drydock", description="Caches: rootfs, wheelhouses.")
    host: str = Field("127.0.0.1", description="Where published ports listen. Loopback only.")
    localstack_port: int = Field(4566, ge=1, le=65535)
    registry_port: int = Field(5050, ge=1, le=65535)
    emulator_registry_url: str | None = Field(
        None,
        pattern=r"^https?://[^/\s]+/?$",
        description="Where the emulator's ECR API reaches the registry's HTTP API: "
        "http://registry:5000 in compose; default http://<host>:<registry_port>.",
    )
    aws_target: Literal["local", "aws"] = Field(
        "local", description="`aws` points the pipeline at real AWS with boto3's defaults."
    )
    lb_port: int = Field(8000, ge=1, le=65535, description="The balancer's listener 80.")
    lb_test_port: int = Field(
        8001,
        ge=1,
        le=65535,
        description="The balancer's listener 8081 (a blue/green test listener).",
    )
    ecs_port: int = Field(4570, ge=1, le=65535, description="The ECS/ELBv2 emulator API.")
    # --- the local git remote and its CI runner (harness/ci) ------------------------------
    git_port: int = Field(9418, ge=1, le=65535, description="The git remote (git daemon).")
    ci_dir: Path | None = Field(
        None, description="Git repositories, pipeline queue and records; <state_dir>/ci."
    )
    ecs_max_request_bytes: int = Field(
        1024 * 1024, ge=1024, description="Bodies over this get 413 from the emulator's API."
    )
    region: str = "us-east-1"
    model_bucket: str = "drydock-models"
    model_name: str = "iris"
    serving_repository: str = "drydock/serving"
    serving_port: int = Field(8080, description="Port the serving container listens on.")
    stack_timeout_s: float = Field(120.0, gt=0, description="How long `up` waits for health.")
    serving_ready_timeout_s: float = Field(60.0, gt=0)
    debian_mirror: str = "http://deb.debian.org/debian"
    time_scale: float = Field(1.0, gt=0, le=1.0, description="Multiplies every AWS duration.")
    # --- AWS service quotas the emulator enforces (AWS's default values) ------------------
    quota_clusters: int = Field(10_000, ge=1, description="ECS clusters per account.")
    quota_services_per_cluster: int = Field(5_000, ge=1, description="ECS services per cluster.")
    quota_tasks_per_service: int = Field(5_000, ge=1, description="ECS desiredCount ceiling.")
    quota_containers_per_task_definition: int = Field(10, ge=1)
    quota_task_definition_bytes: int = Field(65_536, ge=1, description="Task definition size.")
    quota_tags_per_resource: int = Field(50, ge=1, description="ECS and ELBv2 tags per resource.")
    quota_load_balancers: int = Field(50, ge=1, description="Application Load Balancers.")
    quota_target_groups: int = Field(3_000, ge=1, description="ELBv2 target groups.")
    quota_targets_per_target_group: int = Field(1_000, ge=1)
    quota_listeners_per_load_balancer: int = Field(50, ge=1)
    quota_rules_per_load_balancer: int = Field(
        100, ge=1, description="ELBv2 listener rules per load balancer (default rules apart)."
    )
    # --- the cluster's one container instance: this machine's Docker Engine -------------
    instance_memory_mib: int | None = Field(
        None, ge=0, description="Memory tasks may reserve; default docker info's less the margin."
    )
    instance_cpu_units: int | None = Field(
        None, ge=0, description="CPU units tasks may reserve; default 1024 per engine CPU."
    )
    instance_memory_margin_mib: int = Field(
        3072, ge=0, description="Kept back from the engine's memory for the local cloud itself."
    )
    # --- Lambda lifecycle hooks, run locally (harness/ecs/emulator/lambda_hooks.py) --------
    lambda_hooks: dict[str, str] = Field(
        default_factory=dict,
        description='Lambda function name -> "http(s)://url" (payload POSTed as JSON) or a '
        "command (payload on stdin, answer on stdout), as JSON.",
    )
    lambda_hook_timeout_s: float = Field(
        60.0, gt=0, description="Wall seconds a local Lambda hook may run before it FAILED."
    )

    @property
    def scale(self) -> TimeScale:
        """``time_scale`` as the object every component converts AWS durations with."""
        return TimeScale(self.time_scale)

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
    def ci_root(self) -> Path:
        """Shared by the git remote's container (bind mount) and the host-side runner."""
        return (self.ci_dir or self.state_dir / "ci").resolve()

    @property
    def localstack_url(self) -> str:
        return f"http://{self.host}:{self.localstack_port}"

    @property
    def registry_address(self) -> str:
        return f"{self.host}:{self.registry_port}"

    @property
    def registry_api_url(self) -> str:
        """The registry's HTTP API v2 as the emulator reaches it (see ``emulator_registry_url``)."""
        return self.emulator_registry_url or f"http://{self.registry_address}"

    @property
    def ecs_url(self) -> str:
        return f"http://{self.host}:{self.ecs_port}"

    @property
    def lb_url(self) -> str:
        return f"http://{self.host}:{self.lb_port}"

    @property
    def lb_test_url(self) -> str:
        """Where a listener on port 8081 answers (compose publishes it here)."""
        return f"http://{self.host}:{self.lb_test_port}"

    @property
    def network(self) -> str:
        """The compose network that task containers join to reach LocalStack."""
        return f"{self.project}_cloud"

    @property
    def localstack_url_in_network(self) -> str:
        return "http://localstack:4566"
