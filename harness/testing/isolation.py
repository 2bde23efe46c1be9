"""Names unique to one scenario, so scenarios running side by side never collide."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass
class Isolation:
    """Names unique to one scenario, and the containers to remove after it."""

    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    containers: list[str] = field(default_factory=list)

    @property
    def model_name(self) -> str:
        return f"scn-{self.suffix}"

    @property
    def cluster_name(self) -> str:
        return f"cluster-{self.suffix}"

    @property
    def service_name(self) -> str:
        return f"svc-{self.suffix}"

    @property
    def family(self) -> str:
        return f"serving-{self.suffix}"

    @property
    def target_group_name(self) -> str:
        return f"tg-{self.suffix}"

    @property
    def load_balancer_name(self) -> str:
        return f"alb-{self.suffix}"

    def container_name(self, role: str) -> str:
        name = f"drydock-scn-{self.suffix}-{role}"
        self.containers.append(name)
        return name
