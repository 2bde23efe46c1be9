"""ECR operations: validated request in, output shape out. The rules live here.

Same contract as :mod:`harness.ecs.control_plane.ecs_operations`: each function takes
the :class:`ControlPlane` (lock held) and the request botocore's ECR model validated,
and returns the output shape. Repositories are the plane's state (journaled); images
are the registry's, read and deleted through ``cp.ecr.registry``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from harness.ecs.control_plane.ecr.errors import (
    ImageNotFoundException,
    RepositoryNotEmptyException,
    RepositoryNotFoundException,
    ServerException,
)
from harness.ecs.control_plane.ecr.image_queries import (
    StoredImage,
    check_image_id,
    find_image,
    resolved_images,
    tagged_images,
)
from harness.ecs.control_plane.ecr.registry_port import MANIFEST_MEDIA_TYPES, RegistryUnavailable
from harness.ecs.control_plane.ecr.repositories import (
    REGISTRY_ID,
    Repository,
    check_tag_mutability,
)
from harness.ecs.control_plane.errors import InvalidParameterException
from harness.ecs.control_plane.pagination import paginate, with_token

if TYPE_CHECKING:
    from harness.ecs.control_plane.plane import ControlPlane, Operation


def _registry_faults(operation: Operation) -> Operation:
    """A registry that fails is ECR's own fault: ServerException naming what failed."""

    @functools.wraps(operation)
    def guarded(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
        try:
            return operation(cp, req)
        except RegistryUnavailable as exc:
            raise ServerException(f"The registry behind ECR failed: {exc}") from exc

    return guarded


def _repository(cp: ControlPlane, req: dict[str, Any]) -> Repository:
    """The repository ``req`` names, in the registry it names (ours is the only one)."""
    registry_id = req.get("registryId", REGISTRY_ID)
    if registry_id != REGISTRY_ID:
        raise RepositoryNotFoundException(req["repositoryName"], registry_id)
    return cp.ecr.repositories.require(req["repositoryName"])


# --- repositories ---------------------------------------------------------------------


def create_repository(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    if req.get("registryId", REGISTRY_ID) != REGISTRY_ID:
        raise InvalidParameterException(
            f"Invalid parameter at 'registryId': only this registry ({REGISTRY_ID}) is emulated."
        )
    repository = Repository(
        name=req["repositoryName"],
        created_at=cp.now(),
        image_tag_mutability=req.get("imageTagMutability", "MUTABLE"),
        exclusion_filters=req.get("imageTagMutabilityExclusionFilters"),
        tags=req.get("tags") or [],
    )
    if "imageScanningConfiguration" in req:
        repository.image_scanning_configuration = req["imageScanningConfiguration"]
    if "encryptionConfiguration" in req:
        repository.encryption_configuration = req["encryptionConfiguration"]
    cp.ecr.repositories.add(repository)
    return {"repository": repository.describe(cp.ecr.registry_address)}


def describe_repositories(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    names = req.get("repositoryNames")
    if names:
        if req.get("nextToken") or req.get("maxResults"):
            raise InvalidParameterException(
                "Invalid parameter: nextToken and maxResults cannot be used with repositoryNames."
            )
        found = [_repository(cp, {**req, "repositoryName": name}) for name in names]
        return {"repositories": [r.describe(cp.ecr.registry_address) for r in found]}
    ours = req.get("registryId", REGISTRY_ID) == REGISTRY_ID
    page, token = paginate(cp.ecr.repositories.all() if ours else [], req)
    return with_token({"repositories": [r.describe(cp.ecr.registry_address) for r in page]}, token)


@_registry_faults
def delete_repository(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    repository = _repository(cp, req)
    if not cp.ecr.replaying:  # the registry keeps its own state across a restart
        images = tagged_images(cp.ecr.registry, repository.name)
        if images and not req.get("force"):
            raise RepositoryNotEmptyException(repository.name, REGISTRY_ID)
        for image in images:
            cp.ecr.registry.delete_manifest(repository.name, image.digest)
    cp.ecr.repositories.remove(repository.name)
    return {"repository": repository.describe(cp.ecr.registry_address)}


def put_image_tag_mutability(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    repository = _repository(cp, req)
    filters = req.get("imageTagMutabilityExclusionFilters")
    check_tag_mutability(req["imageTagMutability"], filters)
    repository.image_tag_mutability = req["imageTagMutability"]
    repository.exclusion_filters = filters
    out: dict[str, Any] = {
        "registryId": REGISTRY_ID,
        "repositoryName": repository.name,
        "imageTagMutability": repository.image_tag_mutability,
    }
    if filters:
        out["imageTagMutabilityExclusionFilters"] = filters
    return out


def get_authorization_token(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    registry_ids = req.get("registryIds") or [REGISTRY_ID]
    foreign = [r for r in registry_ids if r != REGISTRY_ID]
    if foreign:
        raise InvalidParameterException(
            f"Invalid parameter at 'registryIds': {', '.join(foreign)}; the emulator has one "
            f"registry, id '{REGISTRY_ID}'."
        )
    data = {
        "authorizationToken": cp.ecr.credentials.authorization_token(),
        "expiresAt": cp.ecr.credentials.expires_at(cp.now()),
        "proxyEndpoint": cp.ecr.proxy_endpoint,
    }
    return {"authorizationData": [dict(data) for _ in registry_ids]}


# --- images ---------------------------------------------------------------------------


def _tag_status_matches(image: StoredImage, req: dict[str, Any]) -> bool:
    status = (req.get("filter") or {}).get("tagStatus", "ANY")
    return status == "ANY" or (status == "TAGGED") == bool(image.tags)


@_registry_faults
def list_images(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    repository = _repository(cp, req)
    images = [
        i for i in tagged_images(cp.ecr.registry, repository.name) if _tag_status_matches(i, req)
    ]
    page, token = paginate([ident for i in images for ident in i.identifiers()], req)
    return with_token({"imageIds": page}, token)


def _image_detail(cp: ControlPlane, repository: str, image: StoredImage) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "registryId": REGISTRY_ID,
        "repositoryName": repository,
        "imageDigest": image.digest,
        "imagePushedAt": cp.ecr.pushed_at(repository, image.digest, cp.now()),
        "imageManifestMediaType": image.manifest.media_type,
    }
    if image.tags:
        detail["imageTags"] = list(image.tags)
    if image.manifest.size_in_bytes is not None:
        detail["imageSizeInBytes"] = image.manifest.size_in_bytes
    if image.manifest.artifact_media_type:
        detail["artifactMediaType"] = image.manifest.artifact_media_type
    return detail


@_registry_faults
def describe_images(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    repository = _repository(cp, req)
    if req.get("imageIds"):
        images = []
        for image_id in req["imageIds"]:
            failure = check_image_id(image_id)
            if failure is not None:
                raise InvalidParameterException(failure["failureReason"])
            found = find_image(cp.ecr.registry, repository.name, image_id)
            if found is None:
                raise ImageNotFoundException(image_id, repository.name, REGISTRY_ID)
            if all(found.digest != i.digest for i in images):
                images.append(found)
    else:
        images = tagged_images(cp.ecr.registry, repository.name)
    images = [i for i in images if _tag_status_matches(i, req)]
    page, token = paginate(images, req)
    return with_token(
        {"imageDetails": [_image_detail(cp, repository.name, i) for i in page]}, token
    )


@_registry_faults
def batch_get_image(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    repository = _repository(cp, req)
    accept = req.get("acceptedMediaTypes") or MANIFEST_MEDIA_TYPES
    failures: list[dict[str, Any]] = []
    images = [
        {
            "registryId": REGISTRY_ID,
            "repositoryName": repository.name,
            "imageId": {**image_id, "imageDigest": image.digest},
            "imageManifest": image.manifest.body.decode(),
            "imageManifestMediaType": image.manifest.media_type,
        }
        for image_id, image in resolved_images(
            cp.ecr.registry, repository.name, req["imageIds"], failures, accept
        )
    ]
    return {"images": images, "failures": failures}


@_registry_faults
def batch_delete_image(cp: ControlPlane, req: dict[str, Any]) -> dict[str, Any]:
    """Delete by digest (the image and all its tags) or by tag (that tag only).

    The registry's API deletes manifests, not tags; removing one tag of several is
    deleting the manifest and putting its exact bytes back under the other tags
    (same digest), so for that moment the image cannot be pulled.
    """
    repository = _repository(cp, req)
    registry = cp.ecr.registry
    deleted: list[dict[str, str]] = []
    failures: list[dict[str, Any]] = []
    for image_id, image in resolved_images(registry, repository.name, req["imageIds"], failures):
        tag = image_id.get("imageTag")
        removed = [tag] if tag is not None else list(image.tags)
        registry.delete_manifest(repository.name, image.digest)
        for kept in (t for t in image.tags if t not in removed):
            registry.put_manifest(repository.name, kept, image.manifest)
        if removed:
            deleted += [{"imageDigest": image.digest, "imageTag": t} for t in removed]
        else:
            deleted.append({"imageDigest": image.digest})
    return {"imageIds": deleted, "failures": failures}


ECR_OPERATIONS: dict[str, Operation] = {
    "CreateRepository": create_repository,
    "DescribeRepositories": describe_repositories,
    "DeleteRepository": delete_repository,
    "PutImageTagMutability": put_image_tag_mutability,
    "GetAuthorizationToken": get_authorization_token,
    "ListImages": list_images,
    "DescribeImages": describe_images,
    "BatchGetImage": batch_get_image,
    "BatchDeleteImage": batch_delete_image,
}

#: ECR calls whose effect on the control plane's state must survive a restart.
ECR_MUTATIONS = frozenset({"create_repository", "delete_repository", "put_image_tag_mutability"})
