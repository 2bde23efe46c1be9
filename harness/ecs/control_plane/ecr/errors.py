"""ECR's errors, each naming its shape in botocore's ECR model (the wire code).

ECR's JSON error shapes carry no HTTP status, so client errors go out as 400 and
:class:`ServerException` as 500, as ECR sends them. Messages follow ECR's wording, so a
script that matches on them (or a person who searched for them) finds what it expects.
``InvalidParameterException`` is shared with ECS (same shape name in both models).
"""

from __future__ import annotations

from harness.ecs.control_plane.errors import ControlPlaneError


class RepositoryError(ControlPlaneError):
    """An error about one repository; ``template`` is ECR's message for it."""

    template = ""

    def __init__(self, name: str, registry_id: str) -> None:
        super().__init__(self.template.format(name=name, registry_id=registry_id))


class RepositoryNotFoundException(RepositoryError):
    shape = "RepositoryNotFoundException"
    template = (
        "The repository with name '{name}' does not exist in the registry with id '{registry_id}'"
    )


class RepositoryAlreadyExistsException(RepositoryError):
    shape = "RepositoryAlreadyExistsException"
    template = (
        "The repository with name '{name}' already exists in the registry with id '{registry_id}'"
    )


class RepositoryNotEmptyException(RepositoryError):
    shape = "RepositoryNotEmptyException"
    template = (
        "The repository with name '{name}' in registry with id '{registry_id}' "
        "cannot be deleted because it still contains images"
    )


class ImageNotFoundException(ControlPlaneError):
    shape = "ImageNotFoundException"

    def __init__(self, image_id: dict[str, str], name: str, registry_id: str) -> None:
        digest = image_id.get("imageDigest", "null")
        tag = image_id.get("imageTag", "null")
        super().__init__(
            f"The image with imageId {{imageDigest:'{digest}', imageTag:'{tag}'}} does not "
            f"exist within the repository with name '{name}' in the registry with id "
            f"'{registry_id}'"
        )


class ServerException(ControlPlaneError):
    """The registry behind the API failed or cannot be reached (ECR's own fault: 500)."""

    shape = "ServerException"
    http_status = 500
    sender_fault = False


class ImageTagAlreadyExistsException(ControlPlaneError):
    """A push (or PutImage) would move a tag of an immutable repository to another image."""

    shape = "ImageTagAlreadyExistsException"

    def __init__(self, tag: str, name: str) -> None:
        super().__init__(
            f"The image tag '{tag}' already exists in the '{name}' repository and cannot be "
            "overwritten because the repository is immutable."
        )
