"""HAProxy reloads under keep-alive clients lose no request.

A change of listener rules that changes which target groups a forward names (here
ModifyRule adding a second target group, at weight 0, to the production rule's forward,
then taking it out again) rewrites HAProxy's config and reloads it. Since HAProxy 2.4 an
old worker closes its idle client connections at once when it soft-stops, and a client
that sends on one just then gets a reset. The rendered config has ``option
idle-close-on-response`` (the old worker keeps them, answers their next request and
closes with ``Connection: close``) and ``hard-stop-after``. Two parts:

1. The exact case, made certain: connections that answered a request sit idle while
   HAProxy reloads, then each sends one more request, as a client does that has not
   noticed a close (``http.client``; the window is microseconds for a client that
   checks, such as urllib3, which reconnects when the close arrived first). Every
   request must be answered 200.
2. Many reloads under steady keep-alive load (``requests``): every reload happens and
   not one request fails.
"""

from __future__ import annotations

import http.client
import json
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from harness.ecs.emulator.emulator import Emulator
from harness.ecs.haproxy.errors import RuntimeApiError
from harness.images.registry import PushedImage
from harness.testing import ClientLoad, Isolation, LocalCloud
from harness.testing.load import IRIS_ROW
from harness.testing.serving import serving_service

pytestmark = [pytest.mark.docker, pytest.mark.timeout(600)]

RELOADS = 20
CLIENTS = 8
IDLE_ROUNDS = 3
IDLE_CLIENTS = 8


def forward(groups: dict[str, int]) -> list[dict[str, Any]]:
    weighted = [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in groups.items()]
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": weighted}}]


def post(connection: http.client.HTTPConnection) -> tuple[int | str, str]:
    """POST one row on ``connection``: (status, its Connection header), or the error."""
    try:
        connection.request(
            "POST",
            "/predict",
            body=json.dumps(IRIS_ROW),
            headers={"Content-Type": "application/json"},
        )
        answer = connection.getresponse()
        answer.read()
        return answer.status, answer.getheader("Connection") or ""
    except (http.client.HTTPException, OSError) as exc:
        return type(exc).__name__, ""


def kept_alive(host: str, port: int) -> http.client.HTTPConnection:
    """A connection that has answered one request and stays open, idle (HTTP/1.1)."""
    connection = http.client.HTTPConnection(host, port, timeout=10)
    assert post(connection)[0] == 200
    return connection


def post_and_close(connection: http.client.HTTPConnection) -> tuple[int | str, str]:
    try:
        return post(connection)
    finally:
        connection.close()


def reload_count(emulator: Emulator) -> int:
    """The master's reload counter (``show proc``: ``<pid> master <reloads> ...``); asked
    again while the master re-executes itself for a reload (its CLI resets then, or
    answers empty)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            answer = emulator.haproxy.driver.api.master("show proc")  # type: ignore[union-attr]
        except RuntimeApiError:
            answer = ""
        for line in answer.splitlines():
            fields = line.split()
            if len(fields) > 2 and fields[1] == "master":
                return int(fields[2])
        assert time.monotonic() < deadline, f"no master line in show proc: {answer!r}"
        time.sleep(0.05)


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
        reloads_done = 0

        def reload() -> None:
            """Add the spare group to the forward (or take it out): a reload, waited for."""
            nonlocal reloads_done
            groups = {blue: 100, spare: 0} if reloads_done % 2 == 0 else {blue: 100}
            before = reload_count(drydock_emulator)
            elbv2.modify_rule(RuleArn=rule, Actions=forward(groups))
            deadline = time.monotonic() + 20
            while reload_count(drydock_emulator) <= before:
                assert time.monotonic() < deadline, f"reload {reloads_done + 1} did not happen"
                time.sleep(0.05)
            reloads_done += 1

        try:
            time.sleep(1.0)  # the new rule's own reload
            # 1. the exact case: connections idle on the old worker when it soft-stops,
            # used right after by a client that does not check for a close first
            url = urlsplit(service.lb_url)
            idle: list[tuple[int | str, str]] = []
            for _ in range(IDLE_ROUNDS):
                connections = [
                    kept_alive(str(url.hostname), int(url.port or 80)) for _ in range(IDLE_CLIENTS)
                ]
                reload()
                time.sleep(0.1)  # the old worker is soft-stopping now
                idle += [post_and_close(c) for c in connections]
            print(f"\nidle keep-alive connections used after a reload: {idle}")
            # answered by the old worker, which then closes (without the option: every
            # one of them is RemoteDisconnected)
            assert all(answer == (200, "close") for answer in idle), idle

            # 2. many reloads under steady keep-alive load
            load = ClientLoad(
                service.lb_url, threads=CLIENTS, pause_s=0.05, max_requests=10**6, max_seconds=300
            )
            with load:
                time.sleep(1.0)
                for _ in range(RELOADS):
                    reload()
                    time.sleep(0.4)  # clients go on over their kept-alive connections
                time.sleep(1.0)
            print(
                f"{RELOADS} reloads under {CLIENTS} keep-alive clients: "
                f"{len(load.responses)} requests, {len(load.failures)} failed: "
                f"{[(f.error[:80], f.status) for f in load.failures[:5]]}"
            )
            assert reloads_done == IDLE_ROUNDS + RELOADS
            assert len(load.successes) > RELOADS * CLIENTS
            assert load.failures == [], "a reload lost a request"
        finally:
            elbv2.delete_rule(RuleArn=rule)
            elbv2.delete_target_group(TargetGroupArn=spare)
    assert not drydock_emulator.driver.errors  # type: ignore[union-attr]
