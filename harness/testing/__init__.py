"""Drydock's scenario kit: a local ECS/ALB rehearsal for pytest, with guaranteed teardown.

Installed with Drydock, the pytest plugin :mod:`harness.testing.plugin` (registered as
the ``pytest11`` entry point ``drydock``) gives every test session these fixtures:

``drydock_cloud`` (session)
    The local cloud (LocalStack S3 + the registry) up, the model bucket created; stopped
    at the end only if this session started it.
``drydock_serving_image`` (session)
    Drydock's serving image, built and pushed to the local registry (:class:`PushedImage`).
``drydock_isolation``
    Names unique to one test (cluster, service, target group, family, model) and the
    containers to remove after it.
``drydock_emulator_owner``
    An owner identity for emulators a test starts and restarts itself; everything that
    carries it is removed afterwards.
``drydock_emulator``
    An in-process ECS/ELBv2 emulator (API on 127.0.0.1, docker tasks, HAProxy) at the
    time scale of ``--drydock-time-scale`` / ``DRYDOCK_TIME_SCALE`` (default 0.05:
    AWS's 30 s health check interval becomes 1.5 s).

and the plain classes below, usable without pytest too::

    from harness.testing import BoundsWatcher, ClientLoad, EcsService

    def test_my_image_rolls_without_errors(drydock_emulator, drydock_isolation):
        service = (
            EcsService(drydock_emulator, drydock_isolation)
            .with_image("127.0.0.1:5050/me/my-model@sha256:...")   # your image, pushed
            .with_container(port=8080, environment={"MODEL": "s3://..."}, stop_timeout_s=20)
            .with_target_group(health_check_path="/health", deregistration_delay_s=20)
            .with_desired_count(4)
            .with_deployment(minimum_healthy_percent=100, maximum_percent=200)
        )
        with service:                       # creates LB, target group, cluster, service
            service.wait_stable()
            with ClientLoad(service.lb_url, path="/predict", body={...}) as load, \\
                    BoundsWatcher(service) as bounds:
                service.force_new_deployment()
                service.wait_rollout_state("COMPLETED")
            assert load.failures == []
            bounds.assert_held()

Your own image must be in a registry the docker engine can reach (push it to the local
registry with :func:`harness.images.registry.push_image`, logged in with
:func:`harness.images.ecr_login.ecr_login`: the registry requires ECR's credentials) and
answer the target group's health check path on its container port. Every duration you
pass is in AWS seconds; the emulator scales it. Names come from the isolation object, so
tests never collide.
"""

from harness.testing.bounds import BoundsWatcher, CountSample
from harness.testing.clients import aws_client
from harness.testing.cloud import LocalCloud, local_cloud, serving_image
from harness.testing.images import derived_image
from harness.testing.isolation import Isolation
from harness.testing.load import ClientLoad, Response
from harness.testing.service import EcsService
from harness.testing.traffic_shifting import TrafficShifting
from harness.testing.traffic_watch import TrafficWatch

__all__ = [
    "BoundsWatcher",
    "ClientLoad",
    "CountSample",
    "EcsService",
    "Isolation",
    "LocalCloud",
    "Response",
    "TrafficShifting",
    "TrafficWatch",
    "aws_client",
    "derived_image",
    "local_cloud",
    "serving_image",
]
