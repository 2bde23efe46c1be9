"""Properties of every emulated operation under generated input (hypothesis, botocore shapes).

Whatever a client sends, valid by the model or not, the answer is AWS-shaped: a 2xx,
or a 4xx with the protocol's error shape (ECS ``{"__type", "message"}``, ELBv2
``<ErrorResponse>``), never a 5xx and never an exception out of the server. Requests
go through the WSGI app in process (no sockets), against a control plane that already
holds a cluster, a task definition, a target group and a service, so generated
references sometimes resolve and the rules behind validation are reached too.

A bounded number of examples per operation keeps this in the unit suite.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from harness.ecs.api.app import make_wsgi_app
from harness.ecs.api.json_protocol import CONTENT_TYPE, JSON_SERVICES
from harness.ecs.api.service_models import ECS, ELBV2, operation_model
from harness.ecs.control_plane import ECS_OPERATIONS, ELBV2_OPERATIONS, ControlPlane
from harness.ecs.control_plane.arns import listener_rule_arn
from harness.ecs.control_plane.quotas import Quotas

from .shape_strategies import ANY_JSON, from_shape, hostile

EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

ECS_TARGET = next(s.target_prefix for s in JSON_SERVICES if s.name == "ecs")


def populated_plane() -> ControlPlane:
    """A cluster "default", task definition "web", target group "tg" and service "svc"."""
    plane = ControlPlane(quotas=Quotas(tasks_per_service=50))
    plane.call(ECS_OPERATIONS["CreateCluster"], {})
    plane.call(
        ECS_OPERATIONS["RegisterTaskDefinition"],
        {
            "family": "web",
            "containerDefinitions": [
                {"name": "app", "image": "i", "memory": 64, "portMappings": [{"containerPort": 80}]}
            ],
        },
    )
    plane.call(
        ELBV2_OPERATIONS["CreateTargetGroup"],
        {"Name": "tg", "Protocol": "HTTP", "Port": 80, "TargetType": "ip"},
    )
    plane.call(
        ECS_OPERATIONS["CreateService"],
        {"serviceName": "svc", "taskDefinition": "web", "desiredCount": 2},
    )
    plane.call(ELBV2_OPERATIONS["CreateLoadBalancer"], {"Name": "lb"})
    plane.call(
        ELBV2_OPERATIONS["CreateListener"],
        {
            "LoadBalancerArn": LB_ARN,
            "Port": 80,
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": TG_ARN}],
        },
    )
    return plane


def _arns() -> tuple[str, str, str]:
    plane = ControlPlane()
    tg = plane.call(
        ELBV2_OPERATIONS["CreateTargetGroup"],
        {"Name": "tg", "Protocol": "HTTP", "Port": 80, "TargetType": "ip"},
    )["TargetGroups"][0]["TargetGroupArn"]
    lb = plane.call(ELBV2_OPERATIONS["CreateLoadBalancer"], {"Name": "lb"})["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    listener = plane.call(
        ELBV2_OPERATIONS["CreateListener"],
        {
            "LoadBalancerArn": lb,
            "Port": 80,
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg}],
        },
    )["Listeners"][0]["ListenerArn"]
    return tg, lb, listener


#: ARNs are derived from names, so every populated plane has these.
TG_ARN, LB_ARN, LISTENER_ARN = _arns()
DEFAULT_RULE_ARN = listener_rule_arn(LISTENER_ARN, "default")
#: Member names whose values should often name what exists.
KNOWN: dict[str, list[str]] = {
    "cluster": ["default"],
    "clusters": ["default"],
    "service": ["svc"],
    "services": ["svc"],
    "serviceName": ["svc"],
    "taskDefinition": ["web", "web:1"],
    "family": ["web"],
    "familyPrefix": ["we"],
    "TargetGroupArn": [TG_ARN],
    "TargetGroupArns": [TG_ARN],
    "LoadBalancerArn": [LB_ARN],
    "LoadBalancerArns": [LB_ARN],
    "ListenerArns": [LISTENER_ARN],
    "ListenerArn": [LISTENER_ARN],
    "RuleArn": [DEFAULT_RULE_ARN],
    "RuleArns": [DEFAULT_RULE_ARN],
    "Names": ["tg", "lb"],
}


def post_ecs(client: Client, operation: str, body: bytes) -> Any:
    return client.post(
        "/",
        data=body,
        headers={
            "X-Amz-Target": f"{ECS_TARGET}.{operation}",
            "Content-Type": CONTENT_TYPE,
        },
    )


def assert_ecs_shaped(response: Any) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    payload = json.loads(response.get_data())
    if response.status_code >= 400:
        assert set(payload) == {"__type", "message"}, payload
        assert payload["__type"] and isinstance(payload["message"], str)


def assert_query_shaped(response: Any) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code < 500, text
    if response.status_code >= 400:
        assert "<ErrorResponse" in text and "<Code>" in text and "<Message>" in text, text


@pytest.mark.parametrize("operation", sorted(ECS_OPERATIONS))
def test_every_ecs_operation_answers_any_input_in_the_aws_shape(operation: str) -> None:
    model = operation_model(ECS, operation)
    assert model is not None and model.input_shape is not None
    shape = model.input_shape

    @EXAMPLES
    @given(request=st.one_of(from_shape(shape, known=KNOWN), hostile(shape, KNOWN)))
    def check(request: Any) -> None:
        client = Client(make_wsgi_app(populated_plane()))
        body = json.dumps(request, default=str).encode()
        assert_ecs_shaped(post_ecs(client, operation, body))

    check()


@EXAMPLES
@given(body=st.one_of(st.binary(max_size=64), st.text(max_size=64).map(str.encode)))
def test_bytes_that_are_not_a_json_object_get_a_4xx(body: bytes) -> None:
    client = Client(make_wsgi_app(populated_plane()))
    response = post_ecs(client, "CreateCluster", body)
    assert_ecs_shaped(response)


@pytest.mark.parametrize("operation", sorted(ELBV2_OPERATIONS))
def test_every_elbv2_operation_answers_any_input_in_the_aws_shape(operation: str) -> None:
    model = operation_model(ELBV2, operation)
    assert model is not None and model.input_shape is not None
    serializer = create_serializer("query", include_validation=False)

    def form(params: dict[str, Any]) -> dict[str, Any]:
        return serializer.serialize_to_request(params, model)["body"]

    valid = from_shape(model.input_shape, known=KNOWN).map(form)
    junk = st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=20), max_size=6)
    broken = st.tuples(valid, junk).map(lambda pair: {**pair[0], **pair[1]})

    @EXAMPLES
    @given(fields=st.one_of(valid, broken))
    def check(fields: dict[str, Any]) -> None:
        client = Client(make_wsgi_app(populated_plane()))
        response = client.post("/", data=fields, content_type="application/x-www-form-urlencoded")
        assert_query_shaped(response)

    check()


# --- valid sequences keep the emulator's invariants ---------------------------------

NAMES = st.sampled_from(["a", "b", "default"])
STEPS = st.one_of(
    st.tuples(st.just("CreateCluster"), st.fixed_dictionaries({"clusterName": NAMES})),
    st.tuples(
        st.just("CreateService"),
        st.fixed_dictionaries(
            {
                "cluster": NAMES,
                "serviceName": st.sampled_from(["s1", "s2"]),
                "taskDefinition": st.just("web"),
                "desiredCount": st.one_of(st.integers(0, 60), st.just(10**12)),
            }
        ),
    ),
    st.tuples(
        st.just("UpdateService"),
        st.fixed_dictionaries(
            {
                "cluster": NAMES,
                "service": st.sampled_from(["s1", "s2", "svc"]),
                "desiredCount": st.one_of(st.integers(0, 60), st.just(10**12)),
            }
        ),
    ),
    st.tuples(
        st.just("DeleteService"),
        st.fixed_dictionaries(
            {"cluster": NAMES, "service": st.sampled_from(["s1", "s2", "svc"]), "force": ANY_JSON}
        ),
    ),
    st.tuples(st.just("DeleteCluster"), st.fixed_dictionaries({"cluster": NAMES})),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(STEPS, max_size=12))
def test_valid_sequences_keep_counts_within_quota_and_describable(
    steps: list[tuple[str, dict[str, Any]]],
) -> None:
    plane = populated_plane()
    client = Client(make_wsgi_app(plane))
    for operation, request in steps:
        response = post_ecs(client, operation, json.dumps(request, default=str).encode())
        assert_ecs_shaped(response)
        with plane.lock:
            for handle in plane.schedulers():
                svc = handle.service
                assert 0 <= svc.desired_count <= plane.quotas.tasks_per_service
                assert svc.running_count + svc.pending_count <= 2 * svc.desired_count
                live = [t for t in handle.tasks if t.last_status.value != "STOPPED"]
                assert len(live) <= 2 * plane.quotas.tasks_per_service
    for cluster in ("a", "b", "default"):
        listed = post_ecs(client, "ListServices", json.dumps({"cluster": cluster}).encode())
        assert_ecs_shaped(listed)


@EXAMPLES
@given(depth=st.integers(1_000, 200_000), opener=st.sampled_from([b"[", b'{"a":']))
def test_deeply_nested_json_gets_a_4xx_not_a_crash(depth: int, opener: bytes) -> None:
    closer = b"]" if opener == b"[" else b"}"
    body = opener * depth + (b"" if opener == b"[" else b"1") + closer * depth
    response = post_ecs(Client(make_wsgi_app(populated_plane())), "CreateCluster", body)
    assert_ecs_shaped(response)
    assert response.status_code in (400, 413)  # 413 past the body limit
