"""Lambda lifecycle hooks, run locally: the emulator's :class:`HookRunner` port.

A service's ``lifecycleHooks[]`` name Lambda functions by ARN
(``arn:aws:lambda:<region>:<account>:function:<name>``). There is no Lambda here, so a
function *name* resolves to a hook registered with the emulator, first match wins:

1. a Python callable registered in the emulator's process (:meth:`LambdaHookTargets.register`;
   the scenario kit's ``EcsService.register_hook``): works when the emulator runs
   in-process (``drydock emulator``, the kit's ``drydock_emulator`` fixture);
2. ``DRYDOCK_LAMBDA_HOOKS``, a JSON object ``{"<name>": "<target>"}`` read at start,
   where a target is either an ``http(s)://`` URL (the payload is POSTed as JSON, the
   answer is the JSON body) or a command line (the payload on stdin, the answer as JSON
   on stdout). This is the way for the compose emulator, which runs in a container: a
   URL by a name on the compose network (a hook server in its own container) or a
   command present in the emulator's image. A callable in the test's process cannot be
   reached from there, and 127.0.0.1 inside the container is the container itself.

Each invocation gets the event AWS sends::

    {"executionId": "<this run>", "lifecycleStage": "PRODUCTION_TRAFFIC_SHIFT",
     "resourceArn": "arn:aws:ecs:...:service-deployment/<cluster>/<service>/<id>",
     "executionDetails": {"serviceArn": "...", "targetServiceRevisionArn": "...",
                          "testTrafficWeights": {"<revision ARN>": 0, ...},
                          "productionTrafficWeights": {"<revision ARN>": 100, ...}},
     "hookDetails": {...}}

(the scheduler's ``InvokeHook.payload`` carries ``executionDetails`` and ``resourceArn``)
and must answer ``{"hookStatus": "SUCCEEDED" | "FAILED" | "IN_PROGRESS",
"callBackDelay": s, "hookDetails": ...}``: IN_PROGRESS is reported with its
``callBackDelay`` (AWS's default 30 s) and the scheduler calls again; ``hookDetails``
returned with it are merged into the next call's, as AWS does. A function that is not
registered, raises, exits non-zero, answers something else or runs past
``DRYDOCK_LAMBDA_HOOK_TIMEOUT_S`` (wall seconds: a hook's work is real, not scaled)
answers FAILED, with a reason naming the function.

Invocations run on a small thread pool, never on the scheduler's loop; each answer goes
back as a :class:`~harness.ecs.scheduler.observations.HookAnswered` observation.
"""

from __future__ import annotations

import json
import logging
import re
import shlex
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harness.ecs.domain import HookStatus
from harness.ecs.scheduler.actions import InvokeHook
from harness.ecs.scheduler.observations import HookAnswered, Observation

log = logging.getLogger(__name__)

#: A local hook: AWS's event in, the function's answer (a JSON object) out.
HookFunction = Callable[[dict[str, Any]], Any]

#: AWS calls an IN_PROGRESS hook again after 30 s unless it says otherwise.
DEFAULT_CALLBACK_DELAY_S = 30.0

_FUNCTION_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:(?P<name>[A-Za-z0-9_-]{1,64})"
    r"(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$"
)


class HookFailed(Exception):
    """A hook that did not answer usably; the message is the FAILED reason."""


def function_name(arn: str) -> str:
    """The function name of a Lambda function ARN (a qualifier, if any, dropped)."""
    match = _FUNCTION_ARN.match(arn)
    if match is None:
        raise HookFailed(f"{arn} is not a Lambda function ARN")
    return match["name"]


def parse_answer(function: str, answer: Any) -> HookAnswered:
    """A function's answer as the observation the scheduler reads (without hook id)."""
    if not isinstance(answer, Mapping):
        raise HookFailed(
            f"Lambda hook {function} returned {type(answer).__name__}, not a JSON object "
            "with hookStatus"
        )
    raw = answer.get("hookStatus")
    try:
        status = HookStatus(raw)
    except ValueError:
        raise HookFailed(
            f"Lambda hook {function} returned no valid hookStatus ({raw!r}; expected "
            "SUCCEEDED, FAILED or IN_PROGRESS)"
        ) from None
    delay: float | None = None
    if status == HookStatus.IN_PROGRESS:
        given = answer.get("callBackDelay", DEFAULT_CALLBACK_DELAY_S)
        if isinstance(given, bool) or not isinstance(given, int | float) or given < 0:
            raise HookFailed(
                f"Lambda hook {function} returned callBackDelay {given!r}; expected a number "
                "of seconds >= 0"
            )
        delay = float(given)
    reason = f"Lambda hook {function} returned {status}" if status == HookStatus.FAILED else ""
    return HookAnswered(hook_id="", status=status, callback_delay=delay, reason=reason)


class LambdaHookTargets:
    """Where each function name runs: registered callables, then configured targets."""

    def __init__(self, configured: Mapping[str, str] | None = None, timeout_s: float = 60.0):
        self._callables: dict[str, HookFunction] = {}
        self._configured = dict(configured or {})
        self._lock = threading.Lock()
        self.timeout_s = timeout_s

    def register(self, name: str, function: HookFunction) -> None:
        """Run ``function`` for the Lambda function ``name`` (replacing any before)."""
        with self._lock:
            self._callables[name] = function

    def unregister(self, name: str) -> None:
        with self._lock:
            self._callables.pop(name, None)

    def invoke(self, name: str, payload: dict[str, Any]) -> Any:
        """Call ``name`` with ``payload``; its decoded answer. HookFailed when it cannot."""
        with self._lock:
            function = self._callables.get(name)
        if function is not None:
            return _call_with_timeout(name, function, payload, self.timeout_s)
        target = self._configured.get(name)
        if target is None:
            raise HookFailed(
                f"Lambda hook {name} is not registered here: register a callable "
                "(EcsService.register_hook) or name a URL or command for it in "
                "DRYDOCK_LAMBDA_HOOKS"
            )
        if target.startswith(("http://", "https://")):
            return _post(name, target, payload, self.timeout_s)
        return _run_command(name, target, payload, self.timeout_s)


def _call_with_timeout(
    name: str, function: HookFunction, payload: dict[str, Any], timeout_s: float
) -> Any:
    """Run a callable in its own daemon thread: one that hangs is abandoned, not waited."""
    result: list[Any] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(function(payload))
        except BaseException as exc:  # the hook's failure, reported as FAILED
            error.append(exc)

    worker = threading.Thread(target=run, name=f"lambda-hook-{name}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise HookFailed(f"Lambda hook {name} timed out after {timeout_s:g} s")
    if error:
        exc = error[0]
        raise HookFailed(f"Lambda hook {name} raised {type(exc).__name__}: {exc}")
    return result[0]


def _decode(name: str, text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        shown = text[:200] if isinstance(text, str) else text[:200].decode(errors="replace")
        raise HookFailed(f"Lambda hook {name} answered non-JSON: {shown!r}") from None


def _post(name: str, url: str, payload: dict[str, Any], timeout_s: float) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return _decode(name, response.read())
    except urllib.error.HTTPError as exc:
        raise HookFailed(f"Lambda hook {name} at {url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HookFailed(f"Lambda hook {name} at {url} could not be called: {reason}") from None


def _run_command(name: str, command: str, payload: dict[str, Any], timeout_s: float) -> Any:
    try:
        done = subprocess.run(
            shlex.split(command),
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise HookFailed(f"Lambda hook {name} timed out after {timeout_s:g} s") from None
    except OSError as exc:
        raise HookFailed(f"Lambda hook {name} could not run {command!r}: {exc}") from None
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [""]
        raise HookFailed(f"Lambda hook {name} exited {done.returncode}: {tail[0]}")
    return _decode(name, done.stdout)


class LocalLambdaHookRunner:
    """The :class:`~harness.ecs.scheduler.ports.HookRunner` of the emulator.

    ``report`` takes each answer (the emulator's observation queue's ``put``).
    """

    def __init__(
        self,
        targets: LambdaHookTargets,
        report: Callable[[Observation], None],
        max_workers: int = 4,
    ) -> None:
        self.targets = targets
        self._report = report
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="lambda-hook")
        #: hookDetails a function returned with IN_PROGRESS, for its next call.
        self._carried: dict[str, Any] = {}
        self._lock = threading.Lock()

    def invoke_hook(self, action: InvokeHook) -> None:
        """Queue the call and return at once (the scheduler's loop never waits on it)."""
        self._pool.submit(self._run, action)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def payload(self, action: InvokeHook) -> dict[str, Any]:
        """AWS's event for this call: the scheduler's payload (``executionDetails``,
        ``resourceArn`` ...), its ``executionId`` (the hook run's id) and
        ``lifecycleStage`` where the payload has none, and ``hookDetails``: the hook's,
        merged with those its last IN_PROGRESS answer returned (theirs win)."""
        event = dict(action.payload)
        event.setdefault("executionId", action.hook_id)
        event.setdefault("lifecycleStage", str(action.stage))
        configured = event.get("hookDetails", action.hook.hook_details)
        with self._lock:
            carried = self._carried.get(action.hook_id)
        if isinstance(configured, Mapping) and isinstance(carried, Mapping):
            event["hookDetails"] = {**configured, **carried}  # AWS merges the two
        elif carried is not None:
            event["hookDetails"] = carried
        elif configured is not None:
            event["hookDetails"] = configured
        return event

    def answer(self, action: InvokeHook) -> HookAnswered:
        """Call the hook and read its answer; every failure is a FAILED answer."""
        name = action.hook.hook_target_arn
        try:
            name = function_name(action.hook.hook_target_arn)
            raw = self.targets.invoke(name, self.payload(action))
            answer = parse_answer(name, raw)
        except HookFailed as exc:
            return HookAnswered(action.hook_id, HookStatus.FAILED, reason=str(exc))
        with self._lock:
            if answer.status == HookStatus.IN_PROGRESS and isinstance(raw, Mapping):
                if "hookDetails" in raw:
                    self._carried[action.hook_id] = raw["hookDetails"]
            else:
                self._carried.pop(action.hook_id, None)
        return HookAnswered(action.hook_id, answer.status, answer.callback_delay, answer.reason)

    def _run(self, action: InvokeHook) -> None:
        try:
            answered = self.answer(action)
        except Exception as exc:  # never lose an answer: the deployment would hang
            log.exception("lambda hook %s failed unexpectedly", action.hook.hook_target_arn)
            answered = HookAnswered(
                action.hook_id,
                HookStatus.FAILED,
                reason=f"Lambda hook {action.hook.hook_target_arn} failed: {exc}",
            )
        if answered.status == HookStatus.FAILED:
            log.info("lifecycle hook %s FAILED: %s", action.hook_id, answered.reason)
        self._report(answered)
