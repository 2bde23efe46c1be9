"""A target that answers 5xx drives an ALB metric and an alarm, read back by two clients.

One task runs a variant of the serving image that passes the target group's health
check and answers every other request with 500. Requests through HAProxy (the ALB) are
counted by HAProxy itself; the emulator turns its counters into ``AWS/ApplicationELB``
metrics, and an alarm on ``HTTPCode_Target_5XX_Count`` (Sum >= 5 over one 60 s period,
3 s at time scale 0.05) goes to ALARM. Read back with boto3 and with ``aws cloudwatch
describe-alarms``; the counts CloudWatch reports are the ones the client saw. Without
traffic, the alarm (missing data: notBreaching) returns to OK.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from harness.docker_engine import docker_client
from harness.ecs.emulator.alb_metrics import target_group_dimension
from harness.ecs.emulator.emulator import Emulator
from harness.images.registry import PushedImage
from harness.testing import EcsService, Isolation, LocalCloud
from harness.testing.alarms import put_target_5xx_alarm, wait_for_alarm_state
from harness.testing.clients import aws_cli, aws_client
from harness.testing.images import derived_image

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]

HEALTH_PATH = "/v2/health/ready"
#: Health checks pass; everything else is a server error (the target's own 500).
FAILING_APP = f"""
import http.server
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status = 200 if self.path == "{HEALTH_PATH}" else 500
        body = b"ok" if status == 200 else b"model failed"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = answer
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("", 8080), H).serve_forever()
"""
REQUESTS = 40
THRESHOLD = 5


def _failing_image(serving: PushedImage, registry: str) -> PushedImage:
    entrypoint = "ENTRYPOINT " + json.dumps(["python3", "-c", FAILING_APP])
    return derived_image(
        docker_client(),
        serving,
        [entrypoint],
        registry,
        "drydock/scenario-variants",
        f"answers-5xx-{serving.digest.removeprefix('sha256:')[:12]}",
    )


@pytest.fixture
def failing_service(
    drydock_cloud: LocalCloud,
    drydock_serving_image: PushedImage,
    drydock_emulator: Emulator,
    drydock_isolation: Isolation,
) -> Iterator[EcsService]:
    image = _failing_image(drydock_serving_image, drydock_cloud.settings.registry_address)
    service = EcsService(drydock_emulator, drydock_isolation).with_image(image.by_digest)
    with service.with_desired_count(1):
        service.wait_stable()
        service.wait_targets_healthy(1)
        yield service


def _aws_cli(emulator: Emulator, home: Path, *args: str) -> Any:
    code, answer, err = aws_cli(emulator, home, *args, timeout_s=60)
    assert code == 0, f"aws {' '.join(args)}: {err}"
    return answer


def test_target_5xx_through_the_balancer_fires_an_alarm_read_by_boto3_and_the_cli(
    failing_service: EcsService,
    drydock_emulator: Emulator,
    drydock_isolation: Isolation,
    drydock_time_scale: float,
    tmp_path: Path,
) -> None:
    service = failing_service
    group = service.elbv2.describe_target_groups(TargetGroupArns=[service.target_group_arn])
    lb_arn = group["TargetGroups"][0]["LoadBalancerArns"][0]
    cloudwatch = aws_client("cloudwatch", drydock_emulator)
    alarm_name = f"{drydock_isolation.service_name}-target-5xx"
    dimensions = put_target_5xx_alarm(
        cloudwatch, alarm_name, lb_arn, service.target_group_arn, THRESHOLD
    )
    assert dimensions[0]["Value"].startswith(f"app/{drydock_isolation.load_balancer_name}/")
    assert dimensions[1]["Value"] == target_group_dimension(service.target_group_arn)
    started = datetime.now(UTC) - timedelta(seconds=1)

    statuses = [
        requests.post(
            f"{service.lb_url}/predict", json={"instances": [[0, 0, 0, 0]]}, timeout=10
        ).status_code
        for _ in range(REQUESTS)
    ]
    assert statuses == [500] * REQUESTS  # the target's own answers, passed through
    last_request = time.monotonic()

    period_s = 60 * drydock_time_scale
    alarm = wait_for_alarm_state(cloudwatch, alarm_name, "ALARM", timeout_s=3 * period_s + 10)
    print(
        f"alarm in ALARM {time.monotonic() - last_request:.2f} s after the last request "
        f"(period {period_s:.1f} s wall)"
    )
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 datapoint [")
    control_plane = drydock_emulator.server.control_plane  # the scheduler's view of it
    assert control_plane.cloudwatch.alarms_in_alarm([alarm_name, "no-such-alarm"]) == [alarm_name]

    from_cli = _aws_cli(
        drydock_emulator, tmp_path, "cloudwatch", "describe-alarms", "--alarm-names", alarm_name
    )
    assert [a["StateValue"] for a in from_cli["MetricAlarms"]] == ["ALARM"]
    in_alarm = _aws_cli(
        drydock_emulator, tmp_path, "cloudwatch", "describe-alarms", "--state-value", "ALARM"
    )
    assert alarm_name in [a["AlarmName"] for a in in_alarm["MetricAlarms"]]

    def total(metric: str, dims: list[dict[str, str]], statistic: str = "Sum") -> float:
        answer = cloudwatch.get_metric_statistics(
            Namespace="AWS/ApplicationELB",
            MetricName=metric,
            Dimensions=dims,
            StartTime=started,
            EndTime=datetime.now(UTC) + timedelta(seconds=1),
            Period=60,
            Statistics=[statistic],
        )
        return sum(p[statistic] for p in answer["Datapoints"])

    # HAProxy's own counts, as CloudWatch reports them: what the client saw, no more
    # (health checks are not requests); the load balancer made no 5xx of its own.
    assert total("HTTPCode_Target_5XX_Count", dimensions) == REQUESTS
    assert total("RequestCount", dimensions) == REQUESTS
    assert total("HTTPCode_Target_5XX_Count", dimensions[:1]) == REQUESTS
    assert total("HTTPCode_ELB_5XX_Count", dimensions[:1]) == 0
    assert total("TargetResponseTime", dimensions, "SampleCount") == REQUESTS

    # no traffic: missing data is notBreaching, so the next evaluation finds it OK
    wait_for_alarm_state(cloudwatch, alarm_name, "OK", timeout_s=3 * period_s + 10)
    assert control_plane.cloudwatch.alarms_in_alarm([alarm_name]) == []
