"""The server's configuration: read from the environment once, validated, passed down.

Everything the server and its gunicorn config need comes from ``DRYDOCK_*``
variables, because an ECS task definition configures a container through its
environment and nothing else. Reading them into one typed object at start means
a typo (``DRYDOCK_WORKERS=two``) stops the process before it binds a port,
instead of surfacing as a strange failure under load.
"""

from __future__ import annotations

import socket
from functools import lru_cache

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from serving.signature import split_public_keys

#: The application load balancer's default idle timeout (seconds). Kept here so
#: the keep-alive rule below is checked against a named number, not a guess.
ALB_IDLE_TIMEOUT_S = 60
#: The ECS container ``stopTimeout`` default (seconds): SIGKILL follows SIGTERM after it.
ECS_STOP_TIMEOUT_S = 30


class ServingSettings(BaseSettings):
    """What one serving task needs to know; nothing else is read from the environment."""

    model_config = SettingsConfigDict(env_prefix="DRYDOCK_", extra="ignore", frozen=True)

    model_uri: str | None = Field(
        default=None,
        description=(
            "s3://<bucket>/models/<name>/latest, s3://<bucket>/models/<name>/<version> "
            "or file:///abs/dir (a directory holding manifest.json and the model file)."
        ),
    )
    task_id: str = Field(
        default_factory=socket.gethostname,
        description="Reported in X-Task-Id; the container hostname is the task's id in Docker.",
    )
    max_body_bytes: int = Field(default=1 << 20, gt=0, description="Larger bodies get 413.")
    max_batch_rows: int = Field(default=10_000, gt=0, description="Larger batches get 413.")
    drain_body_max_bytes: int = Field(
        default=64 << 20,
        ge=0,
        description="A refused (413) body is read and dropped up to this many bytes so the "
        "client hears the 413 (see serving/body_drain.py); past it the connection is closed.",
    )
    skops_trusted_types: list[str] = Field(
        default_factory=list,
        description=(
            "Extra fully qualified type names a skops file may contain beyond skops' own "
            "defaults and Drydock's vetted list (JSON list in the environment)."
        ),
    )

    verify_signatures: bool = Field(
        default=True,
        description="Refuse a model unless a trusted key signed its manifest and model file.",
    )
    trusted_public_keys: str = Field(
        default="",
        description=(
            "PEM EC public key(s) whose signatures are trusted; two during a key rotation "
            "(concatenated). Public keys are not secret; the private key stays with the "
            "model pipeline."
        ),
    )

    fault_server_error_share: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Rehearsal: answer 500 for this share (0..1) of inputs on the prediction "
        "routes, the same inputs every time (see serving/faults.py); 0 injects nothing.",
    )

    # gunicorn: see serving/gunicorn_conf.py for why each default is what it is.
    bind: str = "0.0.0.0:8080"
    workers: int = Field(default=2, ge=1)
    threads: int = Field(default=4, ge=1)
    timeout: int = Field(default=30, ge=1, description="Seconds a worker may stay silent.")
    graceful_timeout: int = Field(default=20, ge=1)
    keepalive: int = Field(default=75, ge=0)
    drain_quiet_period: float = Field(
        default=1.0,
        ge=0,
        description="On SIGTERM keep accepting until no client request came for this long "
        "(seconds); 0 stops accepting at once.",
    )
    drain_max_wait: float = Field(
        default=10.0,
        ge=0,
        description="At most this long (seconds) of the graceful timeout is spent waiting "
        "for client traffic to stop.",
    )
    access_log: bool = Field(default=False, description="Access log to stdout (costs throughput).")
    log_level: str = "info"
    metrics_dir: str | None = Field(
        default=None,
        description="Directory for prometheus_client's multiprocess files; a fresh temp dir "
        "when unset.",
    )

    @field_validator("trusted_public_keys")
    @classmethod
    def _public_keys_parse(cls, value: str) -> str:
        split_public_keys(value)  # raises ValueError naming the bad key
        return value

    @property
    def public_keys(self) -> list[str]:
        return split_public_keys(self.trusted_public_keys)

    @model_validator(mode="after")
    def _timeouts_fit_the_platform(self) -> ServingSettings:
        """Refuse timeouts that would make a rolling replacement drop requests."""
        if self.graceful_timeout >= ECS_STOP_TIMEOUT_S:
            raise ValueError(
                f"graceful_timeout {self.graceful_timeout}s must be shorter than the ECS "
                f"stopTimeout ({ECS_STOP_TIMEOUT_S}s), or in-flight requests are SIGKILLed"
            )
        if self.drain_max_wait >= self.graceful_timeout:
            raise ValueError(
                f"drain_max_wait {self.drain_max_wait:g}s must be shorter than graceful_timeout "
                f"({self.graceful_timeout}s), or requests accepted last have no time to finish"
            )
        if 0 < self.keepalive <= ALB_IDLE_TIMEOUT_S:
            raise ValueError(
                f"keepalive {self.keepalive}s must be longer than the load balancer's idle "
                f"timeout ({ALB_IDLE_TIMEOUT_S}s), or the balancer reuses connections we closed"
            )
        return self


@lru_cache(maxsize=1)
def settings_from_env() -> ServingSettings:
    """The process's settings, read from the environment on first use only.

    Both gunicorn's config file and the WSGI module call this in the master, so
    the cache makes "read once" literally true there.
    """
    return ServingSettings()


def describe_invalid_settings(exc: ValidationError) -> str:
    """One line naming the offending variable, for a process that must exit cleanly."""
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    variable = f"DRYDOCK_{field.upper()}" if field else "the DRYDOCK_* settings"
    return f"invalid configuration: {variable}: {first['msg']}"
