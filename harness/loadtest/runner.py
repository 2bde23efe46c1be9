"""Run a rolling deployment under load and judge what clients saw.

The sequence: start locust against the load balancer, wait until its users
run, fire the deployment at ``trigger_at_s``, keep the load until
``duration_s`` while polling the service's events every second, then read
every request back, build the report and evaluate the gates.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.loadtest.config import LoadSettings
from harness.loadtest.deployment_events import EventCollector, EventsSource
from harness.loadtest.distributed import MasterSettings
from harness.loadtest.errors import LoadTestError
from harness.loadtest.locust_process import LocustLaunch, LocustProcess
from harness.report.artifacts import CSV_NAME, ReportFiles, write_report
from harness.report.gates import GateResult, GateThresholds
from harness.report.records import read_records
from harness.report.rollout_report import RolloutReport, analyse
from harness.report.run import DeploymentEvent, RolloutRun

STARTED_NAME = ".load-started"
POLL_INTERVAL_S = 1.0
TICK_S = 0.05
#: After ``duration_s``, how long locust may take to stop and write its files.
SHUTDOWN_GRACE_S = 30.0


@dataclass(frozen=True)
class LoadTestResult:
    report: RolloutReport
    files: ReportFiles
    locust_exit_code: int
    locust_request_count: int | None

    @property
    def passed(self) -> bool:
        return self.report.passed

    @property
    def gates(self) -> list[GateResult]:
        return self.report.gates

    @property
    def failed_gates(self) -> list[GateResult]:
        return self.report.failed_gates


def run_rollout_loadtest(
    target_url: str,
    users: int,
    rate: float,
    duration_s: float,
    trigger_at_s: float,
    trigger: Callable[[], None],
    events_source: EventsSource | None,
    out_dir: Path,
    processes: int = 1,
    gates: GateThresholds | None = None,
    traffic: LoadSettings | None = None,
    master: MasterSettings | None = None,
) -> LoadTestResult:
    """Load ``target_url`` at ``rate`` requests/s for ``duration_s``, deploying at ``trigger_at_s``.

    ``trigger`` starts the deployment (say, ECS ``UpdateService`` with
    ``forceNewDeployment``); ``events_source`` returns the service's events
    (``DescribeServices`` ``events[]``: ``createdAt`` and ``message``) and is
    polled every second. ``traffic`` sets the mix and model name (its rate and
    file paths are overridden here). Artifacts go to ``out_dir``. The gates are
    evaluated, not enforced: the caller decides what a failed gate means.
    """
    _check(users, rate, duration_s, trigger_at_s, processes)
    out_dir = out_dir.resolve()
    settings = (traffic or LoadSettings()).model_copy(
        update={
            "user_rate": rate / users,
            "records_path": out_dir / CSV_NAME,
            "started_path": out_dir / STARTED_NAME,
        }
    )
    launch = LocustLaunch(
        target_url, users, duration_s, processes, settings, out_dir, master=master
    )
    with LocustProcess(launch) as locust:
        started_at = locust.wait_started()
        collector = EventCollector(events_source, since=started_at)
        triggered_at = _drive(locust, started_at, duration_s, trigger_at_s, trigger, collector)
        exit_code = locust.wait(
            timeout_s=max(0.0, started_at + duration_s - time.time()) + SHUTDOWN_GRACE_S
        )
        collector.poll()
    if exit_code != 0:
        raise LoadTestError(f"locust failed with exit code {exit_code}: {locust.log_tail()}")
    (out_dir / STARTED_NAME).unlink(missing_ok=True)
    run = RolloutRun(
        records=read_records(settings.records_path),
        events=[
            DeploymentEvent(triggered_at, "deployment triggered", "trigger"),
            *collector.events(),
        ],
        started_at=started_at,
        ended_at=started_at + duration_s,
        trigger_at=triggered_at,
        target_url=target_url,
        parameters={
            "users": users,
            "rate": rate,
            "duration_s": duration_s,
            "trigger_at_s": trigger_at_s,
            "processes": processes,
            **({"external workers": master.expect_workers} if master else {}),
            "traffic mix (predict/batch/infer)": (
                f"{settings.predict_weight}/{settings.batch_weight}/{settings.infer_weight}"
            ),
            "model name": settings.model_name,
            "locust request count": locust.locust_request_count(),
            "event polls failed": collector.failures,
            **({"last event poll error": collector.last_error} if collector.last_error else {}),
        },
    )
    run.events.sort(key=lambda e: e.at)
    report = analyse(run, gates or GateThresholds())
    return LoadTestResult(
        report, write_report(report, out_dir), exit_code, locust.locust_request_count()
    )


def _check(users: int, rate: float, duration_s: float, trigger_at_s: float, processes: int) -> None:
    if users < 1:
        raise LoadTestError(f"users must be at least 1, got {users}")
    if rate <= 0:
        raise LoadTestError(f"rate must be positive, got {rate}")
    if duration_s < 1:
        raise LoadTestError(f"duration must be at least 1 s, got {duration_s}")
    if not 0 <= trigger_at_s < duration_s:
        raise LoadTestError(
            f"trigger-at {trigger_at_s} s must fall within the load (0 to {duration_s} s)"
        )
    if processes < 1:
        raise LoadTestError(f"processes must be at least 1, got {processes}")


def _drive(
    locust: LocustProcess,
    started_at: float,
    duration_s: float,
    trigger_at_s: float,
    trigger: Callable[[], None],
    collector: EventCollector,
) -> float:
    """Fire the trigger on time and poll events until the load ends; returns the trigger time."""
    triggered_at: float | None = None
    next_poll = time.time()
    end = started_at + duration_s
    while time.time() < end and locust.poll() is None:
        now = time.time()
        if triggered_at is None and now >= started_at + trigger_at_s:
            triggered_at = now
            try:
                trigger()
            except Exception as exc:
                locust.stop()
                raise LoadTestError(
                    f"the deployment trigger failed: {type(exc).__name__}: {exc}"
                ) from exc
        if now >= next_poll:
            collector.poll()
            next_poll = now + POLL_INTERVAL_S
        time.sleep(TICK_S)
    if triggered_at is None:
        raise LoadTestError(f"locust stopped before the trigger time: {locust.log_tail()}")
    return triggered_at
