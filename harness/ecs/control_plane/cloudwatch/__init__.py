"""CloudWatch on the emulator: metric alarms over the metrics the load balancer publishes.

:mod:`.model` (metrics, statistic sets, alarms and their states), :mod:`.metrics` (the
metric store, periods), :mod:`.evaluation` (pure: datapoints -> alarm state),
:mod:`.validation` (CloudWatch's rules), :mod:`.registry` (:class:`CloudWatchRegistry`,
on the control plane as ``cp.cloudwatch``) and :mod:`.operations` (the API operations).
The metrics of ``AWS/ApplicationELB`` come from HAProxy's counters through
``harness.ecs.emulator.alb_metrics_sampler``.
"""

from harness.ecs.control_plane.cloudwatch.operations import (
    CLOUDWATCH_MUTATIONS,
    CLOUDWATCH_OPERATIONS,
)
from harness.ecs.control_plane.cloudwatch.registry import CloudWatchRegistry

__all__ = ["CLOUDWATCH_MUTATIONS", "CLOUDWATCH_OPERATIONS", "CloudWatchRegistry"]
