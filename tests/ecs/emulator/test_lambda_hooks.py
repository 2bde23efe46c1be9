"""The local Lambda hook runner: callables, commands and URLs; answers and failures."""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from harness.ecs.control_plane import ControlPlane
from harness.ecs.control_plane.ecs_operations import ECS_OPERATIONS
from harness.ecs.control_plane.instant_scheduler import InstantScheduler
from harness.ecs.domain import HookStatus, HookTargetType, LifecycleHook, LifecycleStage
from harness.ecs.emulator.event_loop import Driver, ObservationQueue
from harness.ecs.emulator.lambda_hooks import (
    HookFailed,
    LambdaHookTargets,
    LocalLambdaHookRunner,
    function_name,
    parse_answer,
)
from harness.ecs.scheduler.actions import InvokeHook
from harness.ecs.scheduler.observations import HookAnswered
from harness.settings import DrydockSettings

ARN = "arn:aws:lambda:us-east-1:000000000000:function:{}"
EVENT = {
    "executionDetails": {
        "serviceArn": "arn:aws:ecs:us-east-1:000000000000:service/c/web",
        "targetServiceRevisionArn": "arn:aws:ecs:us-east-1:000000000000:service-revision/c/web/2",
        "testTrafficWeights": {},
        "productionTrafficWeights": {},
    },
    "resourceArn": "arn:aws:ecs:us-east-1:000000000000:service-deployment/c/web/2",
}


def invoke(name: str, hook_id: str = "h-1", details: Any = None) -> InvokeHook:
    hook = LifecycleHook(
        target_type=HookTargetType.AWS_LAMBDA,
        lifecycle_stages=(LifecycleStage.POST_SCALE_UP,),
        hook_target_arn=ARN.format(name),
        role_arn="arn:aws:iam::000000000000:role/r",
        hook_details=details,
    )
    return InvokeHook(hook_id, "ecs-svc/2", LifecycleStage.POST_SCALE_UP, hook, dict(EVENT))


@pytest.fixture
def answers() -> queue.Queue[HookAnswered]:
    return queue.Queue()


@pytest.fixture
def runner(answers: queue.Queue[HookAnswered]) -> Iterator[LocalLambdaHookRunner]:
    hooks = LocalLambdaHookRunner(LambdaHookTargets(timeout_s=2.0), answers.put)  # type: ignore[arg-type]
    yield hooks
    hooks.shutdown()


def test_function_names_come_from_lambda_arns() -> None:
    assert function_name(ARN.format("check-model")) == "check-model"
    assert function_name(ARN.format("check") + ":live") == "check"
    with pytest.raises(HookFailed, match="not a Lambda function ARN"):
        function_name("arn:aws:sns:us-east-1:000000000000:topic")


@pytest.mark.parametrize(
    ("answer", "status", "delay"),
    [
        ({"hookStatus": "SUCCEEDED"}, HookStatus.SUCCEEDED, None),
        ({"hookStatus": "FAILED"}, HookStatus.FAILED, None),
        ({"hookStatus": "IN_PROGRESS"}, HookStatus.IN_PROGRESS, 30.0),  # AWS's default
        ({"hookStatus": "IN_PROGRESS", "callBackDelay": 5}, HookStatus.IN_PROGRESS, 5.0),
    ],
)
def test_answers(answer: dict[str, Any], status: HookStatus, delay: float | None) -> None:
    parsed = parse_answer("check", answer)
    assert (parsed.status, parsed.callback_delay) == (status, delay)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        ("SUCCEEDED", "returned str, not a JSON object"),
        ({}, "no valid hookStatus"),
        ({"hookStatus": "DONE"}, "no valid hookStatus"),
        ({"hookStatus": "IN_PROGRESS", "callBackDelay": -1}, "callBackDelay -1"),
        ({"hookStatus": "IN_PROGRESS", "callBackDelay": "soon"}, "callBackDelay 'soon'"),
    ],
)
def test_bad_answers_name_the_function(answer: Any, match: str) -> None:
    with pytest.raises(HookFailed, match=f"Lambda hook check .*{match}|{match}"):
        parse_answer("check", answer)


def test_a_callable_gets_aws_event_and_its_answer_is_reported(
    runner: LocalLambdaHookRunner, answers: queue.Queue[HookAnswered]
) -> None:
    seen: list[dict[str, Any]] = []

    def check(event: dict[str, Any]) -> dict[str, Any]:
        seen.append(event)
        return {"hookStatus": "SUCCEEDED"}

    runner.targets.register("check", check)
    runner.invoke_hook(invoke("check", details={"min_accuracy": 0.9}))
    answered = answers.get(timeout=5)
    assert answered == HookAnswered("h-1", HookStatus.SUCCEEDED, None, "")
    event = seen[0]
    assert event["executionDetails"] == EVENT["executionDetails"]
    assert (event["executionId"], event["lifecycleStage"]) == ("h-1", "POST_SCALE_UP")
    assert event["resourceArn"] == EVENT["resourceArn"]
    assert event["hookDetails"] == {"min_accuracy": 0.9}


def test_in_progress_hook_details_are_passed_to_the_next_call(
    runner: LocalLambdaHookRunner, answers: queue.Queue[HookAnswered]
) -> None:
    calls: list[Any] = []

    def poll(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(event.get("hookDetails"))
        if len(calls) == 1:
            return {"hookStatus": "IN_PROGRESS", "callBackDelay": 7, "hookDetails": {"job": 42}}
        return {"hookStatus": "SUCCEEDED"}

    runner.targets.register("poll", poll)
    runner.invoke_hook(invoke("poll", details={"bucket": "b"}))
    assert answers.get(timeout=5) == HookAnswered("h-1", HookStatus.IN_PROGRESS, 7.0, "")
    runner.invoke_hook(invoke("poll", details={"bucket": "b"}))
    assert answers.get(timeout=5).status == HookStatus.SUCCEEDED
    assert calls == [{"bucket": "b"}, {"bucket": "b", "job": 42}]  # merged, as AWS does


def test_raising_unknown_and_bad_hooks_fail_naming_the_function(
    runner: LocalLambdaHookRunner, answers: queue.Queue[HookAnswered]
) -> None:
    def broken(event: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("model endpoint down")

    runner.targets.register("broken", broken)
    runner.targets.register("silent", lambda event: None)
    runner.invoke_hook(invoke("broken"))
    failed = answers.get(timeout=5)
    assert failed.status == HookStatus.FAILED
    assert failed.reason == "Lambda hook broken raised RuntimeError: model endpoint down"
    runner.invoke_hook(invoke("silent"))
    assert "Lambda hook silent returned NoneType" in answers.get(timeout=5).reason
    runner.invoke_hook(invoke("nobody"))
    reason = answers.get(timeout=5).reason
    assert "Lambda hook nobody is not registered" in reason and "DRYDOCK_LAMBDA_HOOKS" in reason


def test_a_hook_that_hangs_times_out_and_the_loop_never_waits(
    answers: queue.Queue[HookAnswered],
) -> None:
    release = threading.Event()
    runner = LocalLambdaHookRunner(LambdaHookTargets(timeout_s=0.3), answers.put)  # type: ignore[arg-type]
    runner.targets.register("hang", lambda event: release.wait(10))
    started = time.monotonic()
    runner.invoke_hook(invoke("hang"))
    assert time.monotonic() - started < 0.1  # returned at once: the call runs elsewhere
    failed = answers.get(timeout=5)
    assert failed.reason == "Lambda hook hang timed out after 0.3 s"
    release.set()
    runner.shutdown()


def test_a_command_gets_the_event_on_stdin_and_answers_on_stdout(
    answers: queue.Queue[HookAnswered],
) -> None:
    script = (
        "import json, sys; e = json.load(sys.stdin); "
        "print(json.dumps({'hookStatus': 'SUCCEEDED' if e['executionId'] == 'h-1' else 'FAILED'}))"
    )
    failing = "import sys; print('no model', file=sys.stderr); sys.exit(3)"
    targets = LambdaHookTargets(
        {
            "cmd": f'{sys.executable} -c "{script}"',
            "bad": f'{sys.executable} -c "{failing}"',
            "missing": "/nonexistent/hook",
        },
        timeout_s=10,
    )
    runner = LocalLambdaHookRunner(targets, answers.put)  # type: ignore[arg-type]
    try:
        runner.invoke_hook(invoke("cmd"))
        assert answers.get(timeout=10).status == HookStatus.SUCCEEDED
        runner.invoke_hook(invoke("bad"))
        assert answers.get(timeout=10).reason == "Lambda hook bad exited 3: no model"
        runner.invoke_hook(invoke("missing"))
        assert "Lambda hook missing could not run" in answers.get(timeout=10).reason
    finally:
        runner.shutdown()


class _HookServer(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = 200 if self.path == "/ok" else 500
        body = json.dumps({"hookStatus": "SUCCEEDED", "echo": event["executionId"]}).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_url_gets_the_event_posted(answers: queue.Queue[HookAnswered]) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HookServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    runner = LocalLambdaHookRunner(
        LambdaHookTargets({"ok": base + "/ok", "down": base + "/down"}, timeout_s=5),
        answers.put,  # type: ignore[arg-type]
    )
    try:
        runner.invoke_hook(invoke("ok"))
        assert answers.get(timeout=10).status == HookStatus.SUCCEEDED
        runner.invoke_hook(invoke("down"))
        assert (
            answers.get(timeout=10).reason == f"Lambda hook down at {base}/down answered HTTP 500"
        )
    finally:
        runner.shutdown()
        server.shutdown()


def test_settings_name_hooks_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRYDOCK_LAMBDA_HOOKS", '{"check": "http://hooks:9000/check"}')
    monkeypatch.setenv("DRYDOCK_LAMBDA_HOOK_TIMEOUT_S", "5")
    settings = DrydockSettings()
    assert settings.lambda_hooks == {"check": "http://hooks:9000/check"}
    assert settings.lambda_hook_timeout_s == 5.0


class _HookingScheduler(InstantScheduler):
    """Asks for one hook at its first step; keeps the answers the loop brings back."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.asked = False
        self.answers: list[HookAnswered] = []

    def step(self, observations: Any = ()) -> list[Any]:
        self.answers += [o for o in observations if isinstance(o, HookAnswered)]
        if self.asked:
            return []
        self.asked = True
        return [invoke("check", hook_id="h-loop")]


class _NoTargets:
    def sync(self) -> None: ...

    def poll(self) -> list[Any]:
        return []


def test_the_loop_hands_invoke_hook_to_the_runner_and_the_answer_back() -> None:
    observations: ObservationQueue = queue.Queue()
    schedulers: list[_HookingScheduler] = []

    def factory(service: Any, spec: Any) -> _HookingScheduler:
        schedulers.append(_HookingScheduler(service, spec))
        return schedulers[-1]

    plane = ControlPlane(scheduler_factory=factory)
    plane.call(ECS_OPERATIONS["CreateCluster"], {"clusterName": "c"})
    plane.call(
        ECS_OPERATIONS["RegisterTaskDefinition"],
        {"family": "web", "containerDefinitions": [{"name": "app", "image": "app:1"}]},
    )
    plane.call(
        ECS_OPERATIONS["CreateService"],
        {"cluster": "c", "serviceName": "web", "taskDefinition": "web", "desiredCount": 0},
    )
    targets = LambdaHookTargets(timeout_s=5)
    targets.register("check", lambda event: {"hookStatus": "SUCCEEDED"})
    runner = LocalLambdaHookRunner(targets, observations.put)
    driver = Driver(plane, None, _NoTargets(), observations, poll_interval_s=0.02, hooks=runner)  # type: ignore[arg-type]
    driver.start()
    try:
        deadline = time.monotonic() + 5
        while not schedulers[0].answers and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        driver.stop()
        runner.shutdown()
    assert schedulers[0].answers == [HookAnswered("h-loop", HookStatus.SUCCEEDED, None, "")]
    assert driver.errors == []
