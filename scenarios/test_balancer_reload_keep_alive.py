"""HAProxy reloads under keep-alive clients lose no request.

A change of listener rules that changes which target groups a forward names (here
ModifyRule adding a second target group, at weight 0, to the production rule's forward,
then taking it out again) rewrites HAProxy's config and reloads it. The clients keep
their connections alive between requests with short pauses, so at every reload some of
them sit idle on the old worker. Since HAProxy 2.4 an old worker closed such idle
connections at once, and a client sending on one just then got a reset; the rendered
config has ``option idle-close-on-response`` (the old worker answers the next request
and closes with ``Connection: close``) and ``hard-stop-after``. Asserted: every reload
happened, and not one request failed.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from harness.ecs.emulator.emulator import Emulator
from harness.ecs.haproxy.errors import RuntimeApiError
from harness.images.registry import PushedImage
from harness.testing import ClientLoad, Isolation, LocalCloud
from harness.testing.serving import serving_service

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

RELOADS = 20
CLIENTS = 8


def forward(groups: dict[str, int]) -> list[dict[str, Any]]:
    weighted = [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in groups.items()]
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": weighted}}]


def reload_count(emulator: Emulator) -> int:
    """The master's reload counter (``show proc``: ``<pid> master <reloads> ...``); asked
    again while the master re-executes itself for a reload (its CLI resets then)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            answer = emulator.haproxy.driver.api.master("show proc")  # type: ignore[union-attr]
        except RuntimeApiError:
            assert time.monotonic() < deadline, "the master CLI did not come back"
            time.sleep(0.05)
            continue
        for line in answer.splitlines():
            fields = line.split()
            if len(fields) > 2 and fields[1] == "master":
                return int(fields[2])
        raise AssertionError(f"no master line in show proc: {answer}")


def test_reloads_under_keep_alive_load_lose_no_request(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_isolation: Isolation,
    drydock_emulator: Emulator,
) -> None:
    service, _ = serving_service(
        drydock_emulator, drydock_isolation, drydock_cloud, drydock_serving_image.by_digest
    )
    with service.with_desired_count(2):
        service.wait_stable()
        service.wait_targets_healthy(2)
        elbv2 = service.elbv2
        blue = service.target_group_arn
        spare = elbv2.create_target_group(
            Name=f"{drydock_isolation.target_group_name}-spare",
            Protocol="HTTP",
            Port=drydock_cloud.settings.serving_port,
            TargetType="ip",
        )["TargetGroups"][0]["TargetGroupArn"]
        lb_arn = elbv2.describe_load_balancers(Names=[drydock_isolation.load_balancer_name])[
            "LoadBalancers"
        ][0]["LoadBalancerArn"]
        [listener] = [
            lst
            for lst in elbv2.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]
            if lst["Port"] == service.listener_port
        ]
        rule = elbv2.create_rule(
            ListenerArn=listener["ListenerArn"],
            Priority=10,
            Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/predict"]}}],
            Actions=forward({blue: 100}),
        )["Rules"][0]["RuleArn"]
        try:
            time.sleep(1.0)  # the new rule's own reload
            load = ClientLoad(
                service.lb_url, threads=CLIENTS, pause_s=0.05, max_requests=10**6, max_seconds=300
            )
            before = reload_count(drydock_emulator)
            with load:
                time.sleep(1.0)
                for n in range(RELOADS):
                    groups = {blue: 100, spare: 0} if n % 2 == 0 else {blue: 100}
                    elbv2.modify_rule(RuleArn=rule, Actions=forward(groups))
                    deadline = time.monotonic() + 20
                    while reload_count(drydock_emulator) < before + n + 1:
                        assert time.monotonic() < deadline, f"reload {n + 1} did not happen"
                        time.sleep(0.05)
                    time.sleep(0.4)  # clients go on over their kept-alive connections
                time.sleep(1.0)
            reloads = reload_count(drydock_emulator) - before
            print(
                f"\n{reloads} reloads under {CLIENTS} keep-alive clients: "
                f"{len(load.responses)} requests, {len(load.failures)} failed: "
                f"{[(f.error[:80], f.status) for f in load.failures[:5]]}"
            )
            assert reloads >= RELOADS
            assert len(load.successes) > RELOADS * CLIENTS
            assert load.failures == [], "a reload lost a request"
        finally:
            elbv2.delete_rule(RuleArn=rule)
            elbv2.delete_target_group(TargetGroupArn=spare)
    assert not drydock_emulator.driver.errors  # type: ignore[union-attr]
