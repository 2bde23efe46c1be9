"""CloudWatch through real boto3 ``cloudwatch`` clients and the AWS CLI against a live
local server: JSON 1.0 with AWS's query-compatible error codes, validated with botocore's
CloudWatch model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from harness.ecs.api import ApiServer
from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.cloudwatch import CloudWatchRegistry
from harness.ecs.control_plane.journal import Journal
from harness.time_scale import TimeScale
from tests.ecs.api_clients import api_client

DIMS = [
    {"Name": "LoadBalancer", "Value": "app/web/50dc6c495c0c9188"},
    {"Name": "TargetGroup", "Value": "targetgroup/model/73e2d6bc24d8a067"},
]


@pytest.fixture
def control_plane() -> ControlPlane:
    return ControlPlane(cloudwatch=CloudWatchRegistry(max_alarms=30))


@pytest.fixture
def server(control_plane: ControlPlane) -> Iterator[ApiServer]:
    with ApiServer(control_plane) as srv:
        yield srv


@pytest.fixture
def cloudwatch(server: ApiServer) -> Any:
    return api_client("cloudwatch", server)


def put(cloudwatch: Any, name: str, **changes: Any) -> None:
    request = {
        "AlarmName": name,
        "Namespace": "AWS/ApplicationELB",
        "MetricName": "HTTPCode_Target_5XX_Count",
        "Dimensions": DIMS,
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "Threshold": 5.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    } | changes
    cloudwatch.put_metric_alarm(**request)


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_an_alarm_reads_back_as_it_was_put(cloudwatch: Any) -> None:
    put(cloudwatch, "canary-5xx", AlarmDescription="rolls the canary back")
    [alarm] = cloudwatch.describe_alarms(AlarmNames=["canary-5xx"])["MetricAlarms"]
    assert alarm["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:000000000000:alarm:canary-5xx"
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    assert alarm["StateReason"] == "Unchecked: Initial alarm creation"
    assert alarm["Dimensions"] == DIMS
    assert (alarm["EvaluationPeriods"], alarm["DatapointsToAlarm"]) == (3, 2)
    assert alarm["Threshold"] == 5.0 and alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmDescription"] == "rolls the canary back"
    assert abs(alarm["StateUpdatedTimestamp"].timestamp() - time.time()) < 60


def test_describe_filters_by_names_prefix_and_state_and_pages(cloudwatch: Any) -> None:
    for i in range(7):
        put(cloudwatch, f"svc-{i}")
    put(cloudwatch, "other")
    cloudwatch.set_alarm_state(AlarmName="svc-3", StateValue="ALARM", StateReason="test")
    names = lambda answer: [a["AlarmName"] for a in answer["MetricAlarms"]]  # noqa: E731
    assert names(cloudwatch.describe_alarms(AlarmNames=["other", "svc-1", "nope"])) == [
        "other",
        "svc-1",
    ]
    assert names(cloudwatch.describe_alarms(AlarmNamePrefix="svc-")) == [
        f"svc-{i}" for i in range(7)
    ]
    assert names(cloudwatch.describe_alarms(StateValue="ALARM")) == ["svc-3"]
    pages = cloudwatch.get_paginator("describe_alarms").paginate(
        AlarmNamePrefix="svc-", PaginationConfig={"PageSize": 3}
    )
    assert [names(p) for p in pages] == [
        ["svc-0", "svc-1", "svc-2"],
        ["svc-3", "svc-4", "svc-5"],
        ["svc-6"],
    ]
    with pytest.raises(ClientError) as bad_token:
        cloudwatch.describe_alarms(NextToken="not-ours")
    assert error_of(bad_token)[0] == "InvalidNextToken"
    with pytest.raises(ClientError) as both:
        cloudwatch.describe_alarms(AlarmNames=["svc-1"], AlarmNamePrefix="svc-")
    assert error_of(both)[0] == "InvalidParameterCombination"


def test_errors_come_by_aws_names(cloudwatch: Any) -> None:
    put(cloudwatch, "kept")
    with pytest.raises(cloudwatch.exceptions.ResourceNotFound) as missing:
        cloudwatch.delete_alarms(AlarmNames=["kept", "nope"])
    assert error_of(missing) == ("ResourceNotFound", "nope not found; no alarm was deleted.")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert len(cloudwatch.describe_alarms()["MetricAlarms"]) == 1

    with pytest.raises(ClientError) as period:
        put(cloudwatch, "bad", Period=45)
    assert error_of(period)[0] == "InvalidParameterValue"
    assert "45" in error_of(period)[1]

    with pytest.raises(cloudwatch.exceptions.InvalidFormatFault):
        cloudwatch.set_alarm_state(
            AlarmName="kept", StateValue="ALARM", StateReason="r", StateReasonData="{"
        )
    with pytest.raises(cloudwatch.exceptions.ResourceNotFound):
        cloudwatch.set_alarm_state(AlarmName="nope", StateValue="OK", StateReason="r")


def test_the_alarm_quota_is_limit_exceeded(cloudwatch: Any) -> None:
    for i in range(30):
        put(cloudwatch, f"a{i:02}")
    with pytest.raises(cloudwatch.exceptions.LimitExceededFault) as refused:
        put(cloudwatch, "one-too-many")
    assert error_of(refused)[0] == "LimitExceeded"


def test_what_boto3_would_not_send_is_refused_by_the_model(server: ApiServer) -> None:
    """A raw JSON 1.0 call with an enum value botocore's model does not allow."""
    body = json.dumps({"AlarmName": "x", "StateValue": "PANIC", "StateReason": "r"}).encode()
    request = urllib.request.Request(
        server.endpoint_url,
        data=body,
        method="POST",
        headers={
            "X-Amz-Target": "GraniteServiceVersion20100801.SetAlarmState",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=5)
    assert answer.value.code == 400
    assert answer.value.headers["x-amzn-query-error"] == "InvalidParameterValue;Sender"
    assert answer.value.headers["Content-Type"] == "application/x-amz-json-1.0"
    assert "PANIC" in json.load(answer.value)["message"]


def test_metric_data_in_statistics_out(cloudwatch: Any) -> None:
    now = time.time()
    cloudwatch.put_metric_data(
        Namespace="Drydock/Model",
        MetricData=[
            {"MetricName": "Latency", "Dimensions": DIMS[:1], "Value": 2.0, "Unit": "Seconds"},
            {
                "MetricName": "Latency",
                "Dimensions": DIMS[:1],
                "Values": [4.0, 6.0],
                "Counts": [1, 2],
            },
        ],
    )
    answer = cloudwatch.get_metric_statistics(
        Namespace="Drydock/Model",
        MetricName="Latency",
        Dimensions=DIMS[:1],
        StartTime=now - 120,
        EndTime=now + 60,
        Period=60,
        Statistics=["Sum", "SampleCount", "Average", "Minimum", "Maximum"],
    )
    [point] = answer["Datapoints"]
    assert (point["Sum"], point["SampleCount"], point["Minimum"], point["Maximum"]) == (
        18.0,
        4.0,
        2.0,
        6.0,
    )
    assert point["Average"] == 4.5 and point["Unit"] == "Seconds"
    listed = cloudwatch.list_metrics(Namespace="Drydock/Model")["Metrics"]
    assert listed == [
        {"Namespace": "Drydock/Model", "MetricName": "Latency", "Dimensions": DIMS[:1]}
    ]
    with pytest.raises(ClientError) as reserved:
        cloudwatch.put_metric_data(
            Namespace="AWS/ApplicationELB", MetricData=[{"MetricName": "RequestCount", "Value": 1}]
        )
    assert error_of(reserved)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as too_many:
        cloudwatch.get_metric_statistics(
            Namespace="Drydock/Model",
            MetricName="Latency",
            StartTime=now - 86400 * 2,
            EndTime=now,
            Period=60,
            Statistics=["Sum"],
        )
    assert error_of(too_many)[0] == "InvalidParameterCombination"


def test_periods_follow_the_time_scale() -> None:
    """Period 60 at scale 0.05 is 3 wall seconds: samples 3 s apart are two datapoints."""
    plane = ControlPlane(cloudwatch=CloudWatchRegistry(TimeScale(0.05)))
    with ApiServer(plane) as server:
        cloudwatch = api_client("cloudwatch", server)
        base = (time.time() // 3) * 3 - 30
        for offset, value in ((0.5, 1.0), (1.0, 2.0), (3.5, 10.0)):
            cloudwatch.put_metric_data(
                Namespace="Drydock/Model",
                MetricData=[{"MetricName": "Errors", "Value": value, "Timestamp": base + offset}],
            )
        answer = cloudwatch.get_metric_statistics(
            Namespace="Drydock/Model",
            MetricName="Errors",
            StartTime=base,
            EndTime=base + 9,
            Period=60,
            Statistics=["Sum"],
        )
    points = sorted((p["Timestamp"].timestamp(), p["Sum"]) for p in answer["Datapoints"])
    assert points == [(base, 3.0), (base + 3, 10.0)]


def test_the_aws_cli_reads_and_writes_alarms(server: ApiServer, tmp_path: Path) -> None:
    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "HOME": str(tmp_path),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
    }

    def aws(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                str(Path(sys.executable).with_name("aws")),
                "--endpoint-url",
                server.endpoint_url,
                "--output",
                "json",
                "cloudwatch",
                *args,
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    done = aws(
        "put-metric-alarm",
        "--alarm-name",
        "cli-5xx",
        "--namespace",
        "AWS/ApplicationELB",
        "--metric-name",
        "HTTPCode_Target_5XX_Count",
        "--statistic",
        "Sum",
        "--period",
        "60",
        "--evaluation-periods",
        "1",
        "--threshold",
        "1",
        "--comparison-operator",
        "GreaterThanOrEqualToThreshold",
    )
    assert done.returncode == 0, done.stderr
    done = aws(
        "set-alarm-state",
        "--alarm-name",
        "cli-5xx",
        "--state-value",
        "ALARM",
        "--state-reason",
        "by hand",
    )
    assert done.returncode == 0, done.stderr
    done = aws("describe-alarms", "--state-value", "ALARM")
    assert done.returncode == 0, done.stderr
    [alarm] = json.loads(done.stdout)["MetricAlarms"]
    assert (alarm["AlarmName"], alarm["StateReason"]) == ("cli-5xx", "by hand")
    refused = aws("delete-alarms", "--alarm-names", "nope")
    assert refused.returncode != 0
    assert "(ResourceNotFound)" in refused.stderr


def test_alarms_survive_a_restart_through_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"

    def journaled() -> ControlPlane:
        journal = Journal(path)
        plane = ControlPlane()
        journal.replay(plane)
        plane.recorder = journal.record
        return plane

    with ApiServer(journaled()) as server:
        cloudwatch = api_client("cloudwatch", server, Config(retries={"max_attempts": 1}))
        put(cloudwatch, "kept")
        put(cloudwatch, "deleted")
        cloudwatch.delete_alarms(AlarmNames=["deleted"])
        cloudwatch.set_alarm_state(AlarmName="kept", StateValue="ALARM", StateReason="r")
    with ApiServer(journaled()) as server:
        cloudwatch = api_client("cloudwatch", server)
        [alarm] = cloudwatch.describe_alarms()["MetricAlarms"]
    assert alarm["AlarmName"] == "kept" and alarm["DatapointsToAlarm"] == 2
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"  # states are evaluated again
