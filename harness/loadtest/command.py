"""``drydock loadtest``: a rolling deployment under load, judged by SLO gates.

Wire it into the CLI with ``main.add_command(loadtest)``. Exit codes: 0 all
gates passed, 3 a gate failed (each failed gate is named), 1 the test could
not run (one line saying why).
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from harness.aws import aws_client
from harness.command_line import console, endpoint_url_option, friendly_errors, load_settings
from harness.loadtest.config import LoadSettings
from harness.loadtest.distributed import DEFAULT_MASTER_PORT, MasterSettings, WorkerLaunch
from harness.loadtest.ecs_hooks import StrategyChange, deploy, service_events
from harness.loadtest.errors import GatesFailedError, LoadTestError
from harness.loadtest.locust_process import require_locust
from harness.loadtest.runner import LoadTestResult, run_rollout_loadtest
from harness.pipeline.rollout import ServiceSpec
from harness.report.gates import GateThresholds
from harness.report.screenshot import screenshot as take_screenshot

#: The service ``drydock demo`` deploys: the default target of a load test.
DEMO = ServiceSpec()


def print_result(result: LoadTestResult) -> None:
    summary = result.report.summary
    table = Table(title="SLO gates", title_justify="left")
    for column in ("gate", "result", "why"):
        table.add_column(column)
    for gate in result.gates:
        verdict = "[green]PASS[/green]" if gate.passed else "[bold red]FAIL[/bold red]"
        table.add_row(gate.name, verdict, gate.reason)
    console.print(table)
    p99 = "n/a" if summary.p99_ms is None else f"{summary.p99_ms:.1f} ms"
    versions = " -> ".join(v.version for v in summary.versions) or "none"
    console.print(
        f"{summary.requests} requests, {summary.errors} errors, p99 {p99}, "
        f"versions {versions}, mixed-version window {summary.mixed_version_window_s:.1f} s"
    )
    console.print(f"report: {result.files.html}")


@click.command("loadtest")
@click.option(
    "--target-url",
    default=None,
    help="The load balancer's URL (default: the local cloud's, DRYDOCK_LB_PORT).",
)
@click.option("--users", default=10, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--rate",
    default=50.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Target requests per second, all users together.",
)
@click.option(
    "--duration",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds of load.",
)
@click.option(
    "--trigger-at",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Second of the load at which the deployment starts.",
)
@click.option("--cluster", default=DEMO.cluster, show_default=True, help="ECS cluster.")
@click.option(
    "--service",
    default=DEMO.service,
    show_default=True,
    help="ECS service to redeploy (forceNewDeployment).",
)
@endpoint_url_option("ECS")
@click.option(
    "--ecs-endpoint",
    "endpoint_url",
    default=None,
    hidden=True,
    help="Old name of --endpoint-url.",
)
@click.option(
    "--region",
    default=None,
    help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's, else "
    "DRYDOCK_REGION).",
)
@click.option(
    "--processes",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Locust processes (more than 1: a master and N workers).",
)
@click.option(
    "--master",
    is_flag=True,
    help="Run as locust's master and wait for --expect-workers workers started apart "
    "(drydock loadtest --worker --master-host THIS_HOST).",
)
@click.option(
    "--expect-workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="With --master: workers to wait for before the load starts.",
)
@click.option(
    "--master-bind-host",
    default="127.0.0.1",
    show_default=True,
    help="With --master: the address workers connect to (0.0.0.0 for other machines).",
)
@click.option(
    "--master-bind-port",
    default=DEFAULT_MASTER_PORT,
    show_default=True,
    type=click.IntRange(1, 65535),
)
@click.option(
    "--worker",
    is_flag=True,
    help="Run only a locust worker for the master at --master-host; every other option "
    "comes from the master.",
)
@click.option("--master-host", default=None, help="With --worker: the master's address.")
@click.option(
    "--master-port",
    default=DEFAULT_MASTER_PORT,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="With --worker: the master's port.",
)
@click.option("--model-name", default="iris", show_default=True, help="Model name for OIP infer.")
@click.option(
    "--max-error-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 100),
    help="Error budget gate: max % of requests failing (non-2xx or no answer).",
)
@click.option(
    "--max-p99-ms",
    default=1000.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Latency gate: max p99 over the whole run.",
)
@click.option(
    "--max-mixed-window",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Max seconds during which more than one model version answered.",
)
@click.option(
    "--min-requests",
    default=10,
    show_default=True,
    type=click.IntRange(min=0),
    help="Min requests for the run to count.",
)
@click.option(
    "--task-definition",
    default=None,
    help="Deploy this task definition (family:revision or ARN: a new model version) "
    "instead of forceNewDeployment.",
)
@click.option(
    "--strategy",
    type=click.Choice(["ROLLING", "BLUE_GREEN", "LINEAR", "CANARY"]),
    default=None,
    help="Set the deployment strategy in the same UpdateService (BLUE_GREEN, LINEAR and "
    "CANARY need the service's loadBalancers[].advancedConfiguration). Default: the "
    "service's own.",
)
@click.option("--bake-minutes", type=click.IntRange(0, 1440), default=None,
              help="bakeTimeInMinutes after the full shift.")  # fmt: skip
@click.option("--canary-percent", type=click.FloatRange(0.1, 100), default=None,
              help="CANARY: canaryPercent.")  # fmt: skip
@click.option("--linear-step-percent", type=click.FloatRange(3, 100), default=None,
              help="LINEAR: stepPercent.")  # fmt: skip
@click.option("--step-bake-minutes", type=click.IntRange(0, 1440), default=None,
              help="CANARY/LINEAR: canaryBakeTimeInMinutes or stepBakeTimeInMinutes.")  # fmt: skip
@click.option(
    "--max-share-deviation",
    default=3.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Traffic-share gate (BLUE_GREEN/LINEAR/CANARY): max points between the new "
    "version's observed share and its configured weight at any traffic step.",
)
@click.option(
    "--screenshot", is_flag=True, help="Also save report.png, taken by headless Chromium."
)
@click.option(
    "--out",
    "out_dir",
    default=Path(".drydock/loadtest"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for report.html, report.json, requests.csv and locust's files.",
)
@friendly_errors
def loadtest(
    target_url: str | None,
    users: int,
    rate: float,
    duration: float,
    trigger_at: float,
    cluster: str,
    service: str,
    endpoint_url: str | None,
    region: str | None,
    processes: int,
    master: bool,
    expect_workers: int,
    master_bind_host: str,
    master_bind_port: int,
    worker: bool,
    master_host: str | None,
    master_port: int,
    model_name: str,
    max_error_rate: float,
    max_p99_ms: float,
    max_mixed_window: float,
    min_requests: int,
    task_definition: str | None,
    strategy: str | None,
    bake_minutes: int | None,
    canary_percent: float | None,
    linear_step_percent: float | None,
    step_bake_minutes: int | None,
    max_share_deviation: float,
    screenshot: bool,
    out_dir: Path,
) -> None:
    """Redeploy an ECS service under load and check what clients saw against SLO gates."""
    require_locust()
    if worker:
        if master_host is None:
            raise LoadTestError("--worker needs --master-host: the address of the master")
        code = WorkerLaunch(master_host, master_port).run()
        if code != 0:
            raise LoadTestError(f"the locust worker exited with code {code}")
        return
    if master and processes > 1:
        raise LoadTestError("--master and --processes exclude each other: workers join apart")
    settings = load_settings()
    target_url = target_url or settings.lb_url
    client = aws_client("ecs", settings, endpoint_url=endpoint_url, region_name=region)
    result = run_rollout_loadtest(
        target_url=target_url,
        users=users,
        rate=rate,
        duration_s=duration,
        trigger_at_s=trigger_at,
        trigger=deploy(
            client,
            cluster,
            service,
            task_definition,
            None
            if strategy is None
            else StrategyChange(
                strategy, bake_minutes, canary_percent, linear_step_percent, step_bake_minutes
            ),
        ),
        events_source=service_events(client, cluster, service),
        out_dir=out_dir,
        processes=processes,
        gates=GateThresholds(
            max_error_rate, max_p99_ms, max_mixed_window, min_requests, max_share_deviation
        ),
        traffic=LoadSettings(model_name=model_name),
        master=(
            MasterSettings(expect_workers, master_bind_host, master_bind_port) if master else None
        ),
    )
    print_result(result)
    if screenshot:
        png = take_screenshot(result.files.html, result.files.html.with_name("report.png"))
        console.print(f"screenshot: {png}")
    if not result.passed:
        names = ", ".join(g.name for g in result.failed_gates)
        raise GatesFailedError(f"SLO gate(s) failed: {names} (report: {result.files.html})")
