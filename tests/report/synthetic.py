"""A made-up but realistic rollout: version 1, a rolling replacement, version 2.

Deterministic (seeded) so tests can assert on exact numbers and the rendered
page looks the same every time.
"""

from __future__ import annotations

import random

from harness.report.records import RequestRecord
from harness.report.run import DeploymentEvent, RolloutRun

START = 1_700_000_000.0
SECONDS = 30
RATE = 20
TRIGGER_S = 8.0
MIX_FROM_S, MIX_TO_S = 12.0, 18.0
ERRORS_AT_S = 14


def synthetic_run(errors: bool = True) -> RolloutRun:
    rng = random.Random(5)
    records: list[RequestRecord] = []
    for second in range(SECONDS):
        for i in range(RATE):
            t = second + (i + 0.5) / RATE
            new_share = min(1.0, max(0.0, (t - MIX_FROM_S) / (MIX_TO_S - MIX_FROM_S)))
            version = "2" if rng.random() < new_share else "1"
            latency = rng.uniform(8, 20) + (60 if MIX_FROM_S <= t < MIX_TO_S and i % 10 == 0 else 0)
            failed = errors and second == ERRORS_AT_S and i < 3
            records.append(
                RequestRecord(
                    time=START + t,
                    status=502 if failed else 200,
                    latency_ms=round(latency, 3),
                    model_version="" if failed else version,
                    task_id="" if failed else f"task-{version}-{i % 2}",
                    endpoint="/predict" if i % 5 else "/v2/models/iris/infer",
                    error="HTTP 502" if failed else "",
                )
            )
    events = [
        DeploymentEvent(START + TRIGGER_S, "UpdateService forceNewDeployment", "trigger"),
        DeploymentEvent(START + 10.5, "(service web) has started 2 tasks: (task b1) (task b2)."),
        DeploymentEvent(START + 13.0, "(service web) registered 2 targets in (target-group tg)"),
        DeploymentEvent(START + 15.0, "(service web) has begun draining connections on 2 tasks."),
        DeploymentEvent(
            START + 18.5, "(service web) has stopped 2 running tasks: (task a1) (task a2)."
        ),
        DeploymentEvent(START + 21.0, "(service web) has reached a steady state."),
    ]
    return RolloutRun(
        records=records,
        events=events,
        started_at=START,
        ended_at=START + SECONDS,
        trigger_at=START + TRIGGER_S,
        target_url="http://127.0.0.1:8080",
        parameters={"users": 4, "rate": RATE, "duration_s": SECONDS},
    )
