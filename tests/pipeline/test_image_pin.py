"""Images for a release: parsed as docker does, pinned by digest when ECR has them."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.errors import DrydockError
from harness.pipeline.image_pin import ImageReference, is_ecr, parse_image, pin_image

DIGEST = "sha256:" + "a" * 64
LOCAL = "127.0.0.1:5050"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "127.0.0.1:5050/team/model-server:v1",
            ImageReference(LOCAL, "team/model-server", "v1", None),
        ),
        (f"127.0.0.1:5050/serving@{DIGEST}", ImageReference(LOCAL, "serving", None, DIGEST)),
        (f"localhost/a:b@{DIGEST}", ImageReference("localhost", "a", "b", DIGEST)),
        ("python:3.11", ImageReference(None, "python", "3.11", None)),
        ("team/app", ImageReference(None, "team/app", None, None)),
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:2",
            ImageReference("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "app", "2", None),
        ),
    ],
)
def test_references_parse_as_docker_reads_them(uri: str, expected: ImageReference) -> None:
    assert parse_image(uri) == expected


def test_a_malformed_reference_is_named() -> None:
    with pytest.raises(DrydockError, match=r"--image 'repo@md5:x' is not URI"):
        parse_image("repo@md5:x")


def test_ecr_is_the_local_registry_or_an_aws_ecr_host() -> None:
    assert is_ecr(LOCAL, LOCAL)
    assert is_ecr("123456789012.dkr.ecr.us-east-1.amazonaws.com", LOCAL)
    assert not is_ecr("docker.io", LOCAL) and not is_ecr(None, LOCAL)


class FakeEcr:
    def __init__(self, images: dict[str, str]) -> None:
        self.images = images  # tag -> digest
        self.asked: list[dict[str, Any]] = []

    def describe_images(self, repositoryName: str, imageIds: list[dict[str, str]]) -> Any:
        self.asked.append({"repositoryName": repositoryName, "imageIds": imageIds})
        wanted = imageIds[0]
        for tag, digest in self.images.items():
            if wanted.get("imageTag") == tag or wanted.get("imageDigest") == digest:
                return {"imageDetails": [{"imageDigest": digest, "imageTags": [tag]}]}
        if repositoryName != "team/app":
            error = {"Code": "RepositoryNotFoundException", "Message": "no such repository"}
            raise ClientError({"Error": error}, "DescribeImages")
        error = {"Code": "ImageNotFoundException", "Message": f"The image {wanted} does not exist"}
        raise ClientError({"Error": error}, "DescribeImages")


def test_a_tag_in_ecr_is_pinned_to_its_digest() -> None:
    ecr = FakeEcr({"v1": DIGEST})
    pinned, said = pin_image(ecr, f"{LOCAL}/team/app:v1", LOCAL)
    assert pinned == f"{LOCAL}/team/app@{DIGEST}"
    assert said == f"image {LOCAL}/team/app:v1 is in ECR: pinned to {pinned}"
    assert ecr.asked == [{"repositoryName": "team/app", "imageIds": [{"imageTag": "v1"}]}]


def test_a_digest_in_ecr_is_checked_and_kept() -> None:
    pinned, _ = pin_image(FakeEcr({"v1": DIGEST}), f"{LOCAL}/team/app:v1@{DIGEST}", LOCAL)
    assert pinned == f"{LOCAL}/team/app@{DIGEST}"


def test_an_image_ecr_does_not_have_is_refused() -> None:
    with pytest.raises(
        DrydockError,
        match=r"image 127.0.0.1:5050/team/app:v9 is not in ECR repository team/app \(ImageNotFound",
    ):
        pin_image(FakeEcr({"v1": DIGEST}), f"{LOCAL}/team/app:v9", LOCAL)


def test_other_registries_are_used_as_given() -> None:
    ecr = FakeEcr({})
    assert pin_image(ecr, "docker.io/library/python:3.11", LOCAL) == (
        "docker.io/library/python:3.11",
        None,
    )
    assert ecr.asked == []


def test_a_repository_ecr_does_not_know_is_used_as_given() -> None:
    uri = f"{LOCAL}/pushed/without-create-repository:v1"
    pinned, said = pin_image(FakeEcr({}), uri, LOCAL)
    assert pinned == uri
    assert (
        said
        == f"image {uri}: ECR has no repository pushed/without-create-repository; used as given"
    )
