"""ARNs and identifiers in AWS's formats, for the one fake account and region Drydock uses.

Code that later runs against real AWS parses ARNs (``split('/')[-1]`` for a task id,
``:rev`` for a revision); emitting the real formats keeps such code honest.
"""

from __future__ import annotations

import hashlib
import secrets

REGION = "us-east-1"
ACCOUNT_ID = "000000000000"

_ECS = f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}"
_ELB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT_ID}"


def cluster_arn(name: str) -> str:
    return f"{_ECS}:cluster/{name}"


def task_definition_arn(family: str, revision: int) -> str:
    return f"{_ECS}:task-definition/{family}:{revision}"


def service_arn(cluster: str, name: str) -> str:
    return f"{_ECS}:service/{cluster}/{name}"


def task_arn(cluster: str, task_id: str) -> str:
    return f"{_ECS}:task/{cluster}/{task_id}"


def service_deployment_arn(cluster: str, service: str, deployment_id: str) -> str:
    return f"{_ECS}:service-deployment/{cluster}/{service}/{deployment_id}"


def service_revision_arn(cluster: str, service: str, revision_id: str) -> str:
    return f"{_ECS}:service-revision/{cluster}/{service}/{revision_id}"


def new_task_id() -> str:
    """ECS task ids are 32 lowercase hex characters."""
    return secrets.token_hex(16)


def _suffix(*parts: object) -> str:
    """AWS's 16-hex suffix, derived from what names the resource: a replayed journal
    (an emulator restart) recreates the same ARNs, so references in services hold."""
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:16]


def target_group_arn(name: str) -> str:
    return f"{_ELB}:targetgroup/{name}/{_suffix('targetgroup', name)}"


def load_balancer_arn(kind: str, name: str) -> str:
    """``kind`` is ``app`` or ``net``, as in real ALB/NLB ARNs."""
    return f"{_ELB}:loadbalancer/{kind}/{name}/{_suffix('loadbalancer', kind, name)}"


def listener_arn(load_balancer: str, port: int) -> str:
    suffix = load_balancer.split(":loadbalancer/", 1)[1]
    return f"{_ELB}:listener/{suffix}/{_suffix('listener', load_balancer, port)}"


def listener_rule_arn(listener: str, rule: object) -> str:
    """A rule of ``listener``; ``rule`` is ``default`` or the listener's rule sequence number."""
    suffix = listener.split(":listener/", 1)[1]
    return f"{_ELB}:listener-rule/{suffix}/{_suffix('listener-rule', listener, rule)}"


def name_from_arn_or_name(value: str) -> str:
    """ECS accepts a short name or a full ARN almost everywhere; reduce both to the name."""
    if value.startswith("arn:"):
        return value.rsplit("/", 1)[-1]
    return value
