"""CloudWatch alarms over what a target group answered, for scenarios that judge them.

An alarm on ``AWS/ApplicationELB`` ``HTTPCode_Target_5XX_Count`` of one target group is
how a team watches a release (a canary's green fleet, say); the emulator computes the
metric from HAProxy's own counters. Durations are AWS seconds (60 s is 3 s at the kit's
time scale 0.05).
"""

from __future__ import annotations

import time
from typing import Any

from harness.ecs.emulator.alb_metrics import load_balancer_dimension, target_group_dimension


def put_target_5xx_alarm(
    cloudwatch: Any,
    name: str,
    load_balancer_arn: str,
    target_group_arn: str,
    threshold: float,
    period_s: int = 60,
) -> list[dict[str, str]]:
    """An alarm: the group's target 5xx Sum over one period >= ``threshold`` (no traffic
    is not breaching, as ALB publishes nothing then). Returns its dimensions."""
    dimensions = [
        {"Name": "LoadBalancer", "Value": load_balancer_dimension(load_balancer_arn)},
        {"Name": "TargetGroup", "Value": target_group_dimension(target_group_arn)},
    ]
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Dimensions=dimensions,
        Statistic="Sum",
        Period=period_s,
        EvaluationPeriods=1,
        Threshold=threshold,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
    )
    return dimensions


def wait_for_alarm_state(
    cloudwatch: Any, name: str, state: str, timeout_s: float
) -> dict[str, Any]:
    """The alarm as DescribeAlarms shows it once its state is ``state`` (polled every
    0.2 s, so a state that lasts a scaled period is seen)."""
    deadline = time.monotonic() + timeout_s
    while True:
        alarm = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
        if alarm["StateValue"] == state:
            return dict(alarm)
        assert time.monotonic() < deadline, f"{name} not {state} in {timeout_s} s: {alarm}"
        time.sleep(0.2)
