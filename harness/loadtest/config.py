"""What the locustfile reads from its environment, read once and validated.

The runner passes these to locust as ``DRYDOCK_LOAD_*`` variables because they
reach every process: ``--processes`` forks its workers from the master, and a
user running ``locust -f loadtests/locustfile.py`` by hand sets them the same way.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "DRYDOCK_LOAD_"


class LoadSettings(BaseSettings):
    """The traffic mix, the per-user rate and where the recorder writes."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    user_rate: float = Field(
        1.0, gt=0, description="Requests per second per user (locust constant_throughput)."
    )
    predict_weight: int = Field(6, ge=0, description="Share of POST /predict with one row.")
    batch_weight: int = Field(2, ge=0, description="Share of POST /predict with a small batch.")
    infer_weight: int = Field(2, ge=0, description="Share of OIP POST /v2/models/<name>/infer.")
    batch_rows: int = Field(5, ge=2, le=100, description="Rows in a batch request.")
    model_name: str = Field("iris", min_length=1, description="Model name in the OIP path.")
    timeout_s: float = Field(10.0, gt=0, description="Client timeout for one request.")
    records_path: Path = Field(
        Path("drydock-requests.csv"), description="CSV the recorder appends every request to."
    )
    started_path: Path | None = Field(
        None, description="File the recorder writes the load's start time to (for the runner)."
    )

    @model_validator(mode="after")
    def _some_traffic(self) -> LoadSettings:
        if self.predict_weight + self.batch_weight + self.infer_weight == 0:
            raise ValueError("the traffic mix is empty: every DRYDOCK_LOAD_*_WEIGHT is 0")
        return self

    def to_env(self) -> dict[str, str]:
        """The variables that recreate these settings in another process."""
        env = {
            ENV_PREFIX + name.upper(): str(value)
            for name, value in self.model_dump().items()
            if value is not None
        }
        return env
