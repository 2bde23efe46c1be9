"""Request rules and output shapes of ECS's deployment strategies.

``deploymentConfiguration.strategy`` (ROLLING, BLUE_GREEN, LINEAR, CANARY) and what goes
with it: ``bakeTimeInMinutes``, ``linearConfiguration``, ``canaryConfiguration``,
``alarms``, ``lifecycleHooks`` and ``loadBalancers[].advancedConfiguration``. botocore's
model has already checked types, enums and required members; this module adds the
rules AWS documents for them (ranges, multiples of 0.1, which member goes with which
strategy, which stages a PAUSE hook may use), names the member at fault in an
``InvalidParameterException``, and echoes the configuration back as DescribeServices
shows it. Durations stay AWS's minutes (the scheduler scales them).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from harness.ecs.control_plane.errors import InvalidParameterException
from harness.ecs.control_plane.listener_rules import RuleLookup, check_listener_rule
from harness.ecs.domain import (
    AdvancedConfiguration,
    CanaryConfiguration,
    DeploymentAlarms,
    DeploymentConfiguration,
    DeploymentStrategy,
    HookAction,
    HookTargetType,
    LifecycleHook,
    LifecycleStage,
    LinearConfiguration,
    ServiceLoadBalancer,
)

#: AWS's bounds (minutes) for bake times: 0 to 1440 (24 hours).
MAX_BAKE_MINUTES = 1440
#: ``timeoutConfiguration.timeoutInMinutes``: 1 to 20160 (14 days) in the model, 1 to
#: 1440 for a Lambda hook (AWS's Lambda hook guide); default 1440.
HOOK_TIMEOUT_MINUTES = (1, 20160)
LAMBDA_HOOK_TIMEOUT_MINUTES = (1, 1440)
DEFAULT_HOOK_TIMEOUT_MINUTES = 1440
DEFAULT_HOOK_TIMEOUT_ACTION = HookAction.ROLLBACK

#: Stages a PAUSE hook may not use (AWS: only AWS_LAMBDA hooks run there).
PAUSE_FORBIDDEN_STAGES = frozenset(
    {LifecycleStage.TEST_TRAFFIC_SHIFT, LifecycleStage.PRODUCTION_TRAFFIC_SHIFT}
)
#: Stages a deployment reports but no hook can be attached to.
NO_HOOK_STAGES = frozenset(
    {LifecycleStage.SCALE_UP, LifecycleStage.BAKE_TIME, LifecycleStage.CLEAN_UP}
)

LAMBDA_FUNCTION_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}"
    r"(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$"
)
IAM_ROLE_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")

#: Strategies that shift traffic between two target groups.
TRAFFIC_SHIFTING = frozenset(
    {DeploymentStrategy.BLUE_GREEN, DeploymentStrategy.LINEAR, DeploymentStrategy.CANARY}
)


def _tenths(value: float) -> bool:
    """Whether ``value`` is a multiple of 0.1 (as AWS's percent steps must be)."""
    return Decimal(str(value)) % Decimal("0.1") == 0


def _check_range(member: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise InvalidParameterException(
            f"deploymentConfiguration.{member} must be between {low:g} and {high:g}, not {value:g}."
        )


def _check_percent(member: str, value: float, low: float) -> None:
    _check_range(member, value, low, 100.0)
    if not _tenths(value):
        raise InvalidParameterException(
            f"deploymentConfiguration.{member} must be a multiple of 0.1, not {value:g}."
        )


def _percent_and_bake(
    request: dict[str, Any],
    member: str,
    keys: tuple[str, str],
    defaults: tuple[float, int],
    low: float,
) -> tuple[float, int]:
    """A traffic step's percent (``low``-100.0 in steps of 0.1) and bake time (0-1440
    minutes), AWS's defaults where the request leaves them out."""
    percent = float(request.get(keys[0], defaults[0]))
    bake = request.get(keys[1], defaults[1])
    _check_percent(f"{member}.{keys[0]}", percent, low)
    _check_range(f"{member}.{keys[1]}", bake, 0, MAX_BAKE_MINUTES)
    return percent, bake


def linear_configuration(request: dict[str, Any]) -> LinearConfiguration:
    """``linearConfiguration``: stepPercent 3.0-100.0 (default 10.0), stepBakeTimeInMinutes
    (default 6)."""
    default = LinearConfiguration()
    return LinearConfiguration(
        *_percent_and_bake(
            request,
            "linearConfiguration",
            ("stepPercent", "stepBakeTimeInMinutes"),
            (default.step_percent, default.step_bake_time_in_minutes),
            3.0,
        )
    )


def canary_configuration(request: dict[str, Any]) -> CanaryConfiguration:
    """``canaryConfiguration``: canaryPercent 0.1-100.0 (default 5.0),
    canaryBakeTimeInMinutes (default 10)."""
    default = CanaryConfiguration()
    return CanaryConfiguration(
        *_percent_and_bake(
            request,
            "canaryConfiguration",
            ("canaryPercent", "canaryBakeTimeInMinutes"),
            (default.canary_percent, default.canary_bake_time_in_minutes),
            0.1,
        )
    )


def deployment_alarms(request: dict[str, Any]) -> DeploymentAlarms:
    """``alarms``: names (no blanks, no repeats), enable, rollback."""
    names = tuple(request.get("alarmNames") or ())
    if any(not n.strip() for n in names):
        raise InvalidParameterException(
            "deploymentConfiguration.alarms.alarmNames must not contain an empty alarm name."
        )
    if len(set(names)) != len(names):
        raise InvalidParameterException(
            "deploymentConfiguration.alarms.alarmNames contains a duplicate alarm name."
        )
    if request.get("enable") and not names:
        raise InvalidParameterException(
            "deploymentConfiguration.alarms.alarmNames must name at least one alarm when "
            "alarms are enabled."
        )
    return DeploymentAlarms(
        alarm_names=names,
        enable=bool(request.get("enable")),
        rollback=bool(request.get("rollback")),
    )


def lifecycle_hook(request: dict[str, Any], index: int) -> LifecycleHook:
    """One ``lifecycleHooks[]`` entry, checked the way AWS documents it."""
    where = f"deploymentConfiguration.lifecycleHooks[{index}]"
    target_type = HookTargetType(request.get("targetType", HookTargetType.AWS_LAMBDA))
    stages = tuple(LifecycleStage(s) for s in request.get("lifecycleStages") or ())
    if not stages:
        raise InvalidParameterException(f"{where}.lifecycleStages must name at least one stage.")
    if len(set(stages)) != len(stages):
        raise InvalidParameterException(f"{where}.lifecycleStages contains a duplicate stage.")
    bad = [s for s in stages if s in NO_HOOK_STAGES]
    if bad:
        raise InvalidParameterException(
            f"{where}.lifecycleStages: no lifecycle hook can run at {', '.join(bad)}."
        )
    target_arn = request.get("hookTargetArn", "")
    role_arn = request.get("roleArn", "")
    if target_type == HookTargetType.AWS_LAMBDA:
        if not target_arn:
            raise InvalidParameterException(
                f"{where}.hookTargetArn is required for an AWS_LAMBDA lifecycle hook."
            )
        if not LAMBDA_FUNCTION_ARN.match(target_arn):
            raise InvalidParameterException(
                f"{where}.hookTargetArn {target_arn} is not a Lambda function ARN "
                "(arn:aws:lambda:<region>:<account>:function:<name>)."
            )
        if not role_arn:
            raise InvalidParameterException(
                f"{where}.roleArn is required for an AWS_LAMBDA lifecycle hook: the role "
                "Amazon ECS assumes to invoke the function."
            )
    else:
        if target_arn:
            raise InvalidParameterException(
                f"{where}.hookTargetArn is not applicable to a PAUSE lifecycle hook."
            )
        forbidden = [s for s in stages if s in PAUSE_FORBIDDEN_STAGES]
        if forbidden:
            raise InvalidParameterException(
                f"{where}: PAUSE hooks cannot be configured at {', '.join(forbidden)}; "
                "these stages are only valid for AWS_LAMBDA hooks."
            )
    if role_arn and not IAM_ROLE_ARN.match(role_arn):
        raise InvalidParameterException(f"{where}.roleArn {role_arn} is not an IAM role ARN.")
    timeout = request.get("timeoutConfiguration") or {}
    minutes = timeout.get("timeoutInMinutes")
    low, high = (
        LAMBDA_HOOK_TIMEOUT_MINUTES
        if target_type == HookTargetType.AWS_LAMBDA
        else HOOK_TIMEOUT_MINUTES
    )
    if minutes is not None and not low <= minutes <= high:
        raise InvalidParameterException(
            f"{where}.timeoutConfiguration.timeoutInMinutes must be between {low} and "
            f"{high} for a {target_type} hook, not {minutes}."
        )
    action = timeout.get("action")
    return LifecycleHook(
        target_type=target_type,
        lifecycle_stages=stages,
        hook_target_arn=target_arn,
        role_arn=role_arn,
        hook_details=request.get("hookDetails"),
        timeout_in_minutes=minutes,
        timeout_action=None if action is None else HookAction(action),
    )


def strategy_fields(request: dict[str, Any], base: DeploymentConfiguration) -> dict[str, Any]:
    """The strategy members of a ``deploymentConfiguration`` merged over ``base``, as
    keyword arguments of :class:`DeploymentConfiguration`.

    A member left out keeps ``base``'s value (UpdateService), except the linear or canary
    configuration of a strategy the request moves away from, which AWS drops.
    """
    strategy = DeploymentStrategy(request.get("strategy", base.strategy))
    if "linearConfiguration" in request and strategy != DeploymentStrategy.LINEAR:
        raise InvalidParameterException(
            "deploymentConfiguration.linearConfiguration is only valid when the deployment "
            f"strategy is LINEAR, not {strategy}."
        )
    if "canaryConfiguration" in request and strategy != DeploymentStrategy.CANARY:
        raise InvalidParameterException(
            "deploymentConfiguration.canaryConfiguration is only valid when the deployment "
            f"strategy is CANARY, not {strategy}."
        )
    linear = (
        linear_configuration(request["linearConfiguration"])
        if "linearConfiguration" in request
        else base.linear_configuration
    )
    canary = (
        canary_configuration(request["canaryConfiguration"])
        if "canaryConfiguration" in request
        else base.canary_configuration
    )
    bake = request.get("bakeTimeInMinutes", base.bake_time_in_minutes)
    if bake is not None:
        _check_range("bakeTimeInMinutes", bake, 0, MAX_BAKE_MINUTES)
    hooks = (
        tuple(lifecycle_hook(h, i) for i, h in enumerate(request["lifecycleHooks"]))
        if "lifecycleHooks" in request
        else base.lifecycle_hooks
    )
    if hooks and strategy not in TRAFFIC_SHIFTING and "lifecycleHooks" in request:
        raise InvalidParameterException(
            "deploymentConfiguration.lifecycleHooks are only valid for the BLUE_GREEN, "
            f"LINEAR and CANARY deployment strategies, not {strategy}."
        )
    return {
        "strategy": strategy,
        "bake_time_in_minutes": bake,
        "linear_configuration": linear if strategy == DeploymentStrategy.LINEAR else None,
        "canary_configuration": canary if strategy == DeploymentStrategy.CANARY else None,
        "alarms": deployment_alarms(request["alarms"]) if "alarms" in request else base.alarms,
        "lifecycle_hooks": hooks,
    }


def advanced_configuration(
    request: dict[str, Any] | None,
    target_group_arn: str,
    load_balancer_arns: list[str],
    target_group_exists: Any,
    rules: RuleLookup,
) -> AdvancedConfiguration | None:
    """``loadBalancers[].advancedConfiguration``, checked as AWS documents it: the
    alternate target group exists and differs from the primary; the production (and
    test) listener rules exist, on the load balancer of the target group, forwarding to
    one of the two target groups; roleArn is an IAM role."""
    if request is None:
        return None
    where = "loadBalancers[].advancedConfiguration"
    alternate = request.get("alternateTargetGroupArn")
    production = request.get("productionListenerRule")
    role = request.get("roleArn", "")
    for member, value in (
        ("alternateTargetGroupArn", alternate),
        ("productionListenerRule", production),
        ("roleArn", role),
    ):
        if not value:
            raise InvalidParameterException(f"{where}.{member} is required.")
    assert alternate is not None and production is not None
    if alternate == target_group_arn:
        raise InvalidParameterException(
            f"{where}.alternateTargetGroupArn must differ from targetGroupArn {target_group_arn}."
        )
    if not target_group_exists(alternate):
        raise InvalidParameterException(f"Unable to find target group '{alternate}'.")
    if not IAM_ROLE_ARN.match(role):
        raise InvalidParameterException(f"{where}.roleArn {role} is not an IAM role ARN.")
    check_listener_rule(
        rules, production, "productionListenerRule", target_group_arn, alternate, load_balancer_arns
    )
    test = request.get("testListenerRule")
    if test:
        if test == production:
            raise InvalidParameterException(
                f"{where}.testListenerRule must differ from productionListenerRule."
            )
        check_listener_rule(
            rules, test, "testListenerRule", target_group_arn, alternate, load_balancer_arns
        )
    return AdvancedConfiguration(
        alternate_target_group_arn=alternate,
        production_listener_rule=production,
        test_listener_rule=test or None,
        role_arn=role,
    )


def check_strategy_load_balancers(
    config: DeploymentConfiguration, load_balancers: tuple[ServiceLoadBalancer, ...]
) -> None:
    """BLUE_GREEN, LINEAR and CANARY shift traffic between the target groups of
    ``advancedConfiguration``: every load balancer of such a service needs one, and
    LINEAR and CANARY need a load balancer at all (their steps are traffic weights)."""
    if config.strategy not in TRAFFIC_SHIFTING:
        return
    if not load_balancers and config.strategy != DeploymentStrategy.BLUE_GREEN:
        raise InvalidParameterException(
            f"The {config.strategy} deployment strategy requires a load balancer: "
            "loadBalancers[] with an advancedConfiguration."
        )
    missing = [lb.target_group_arn for lb in load_balancers if lb.advanced_configuration is None]
    if missing:
        raise InvalidParameterException(
            f"The {config.strategy} deployment strategy requires "
            "loadBalancers[].advancedConfiguration (alternateTargetGroupArn, "
            f"productionListenerRule, roleArn) for target group {missing[0]}."
        )


# --- output shapes --------------------------------------------------------------------


def describe_hook(hook: LifecycleHook) -> dict[str, Any]:
    out: dict[str, Any] = {
        "targetType": str(hook.target_type),
        "lifecycleStages": [str(s) for s in hook.lifecycle_stages],
    }
    if hook.hook_target_arn:
        out["hookTargetArn"] = hook.hook_target_arn
    if hook.role_arn:
        out["roleArn"] = hook.role_arn
    if hook.hook_details is not None:
        out["hookDetails"] = hook.hook_details
    timeout: dict[str, Any] = {}
    if hook.timeout_in_minutes is not None:
        timeout["timeoutInMinutes"] = hook.timeout_in_minutes
    if hook.timeout_action is not None:
        timeout["action"] = str(hook.timeout_action)
    if timeout:
        out["timeoutConfiguration"] = timeout
    return out


def describe_strategy(config: DeploymentConfiguration) -> dict[str, Any]:
    """The strategy members of ``deploymentConfiguration`` as DescribeServices shows them."""
    out: dict[str, Any] = {"strategy": str(config.strategy)}
    if config.bake_time_in_minutes is not None:
        out["bakeTimeInMinutes"] = config.bake_time_in_minutes
    if config.linear_configuration is not None:
        out["linearConfiguration"] = {
            "stepPercent": config.linear_configuration.step_percent,
            "stepBakeTimeInMinutes": config.linear_configuration.step_bake_time_in_minutes,
        }
    if config.canary_configuration is not None:
        out["canaryConfiguration"] = {
            "canaryPercent": config.canary_configuration.canary_percent,
            "canaryBakeTimeInMinutes": config.canary_configuration.canary_bake_time_in_minutes,
        }
    alarms = config.alarms
    if alarms.alarm_names or alarms.enable or alarms.rollback:
        out["alarms"] = {
            "alarmNames": list(alarms.alarm_names),
            "enable": alarms.enable,
            "rollback": alarms.rollback,
        }
    if config.lifecycle_hooks:
        out["lifecycleHooks"] = [describe_hook(h) for h in config.lifecycle_hooks]
    return out


def describe_advanced_configuration(config: AdvancedConfiguration) -> dict[str, Any]:
    out = {
        "alternateTargetGroupArn": config.alternate_target_group_arn,
        "productionListenerRule": config.production_listener_rule,
        "roleArn": config.role_arn,
    }
    if config.test_listener_rule:
        out["testListenerRule"] = config.test_listener_rule
    return out


def describe_load_balancer(lb: ServiceLoadBalancer) -> dict[str, Any]:
    """One ``loadBalancers[]`` entry of a service or a service revision."""
    out: dict[str, Any] = {
        "targetGroupArn": lb.target_group_arn,
        "containerName": lb.container_name,
        "containerPort": lb.container_port,
    }
    if lb.advanced_configuration is not None:
        out["advancedConfiguration"] = describe_advanced_configuration(lb.advanced_configuration)
    return out
