"""The CI variables that point a pipeline at the local cloud.

The ``.gitlab-ci.yml`` files use only these names (and the AWS CLI's own variables), so
on a real GitLab the same files deploy to AWS once these are set as the project's CI/CD
variables instead (README: "Pipelines"). Here the runner passes them to every job.
"""

from __future__ import annotations

from harness.settings import DrydockSettings


def local_cloud_variables(settings: DrydockSettings) -> dict[str, str]:
    return {
        "AWS_DEFAULT_REGION": settings.region,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_ENDPOINT_URL_S3": settings.localstack_url,
        "AWS_ENDPOINT_URL_ECS": settings.ecs_url,
        "AWS_ENDPOINT_URL_ECR": settings.ecs_url,
        "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2": settings.ecs_url,
        "ECR_REGISTRY": settings.registry_address,
        "DRYDOCK_MODEL_BUCKET": settings.model_bucket,
    }
