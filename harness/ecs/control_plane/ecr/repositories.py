"""ECR repositories: names, settings and how a repository describes itself.

A repository is metadata only; its images are whatever the registry holds under its
name (see :mod:`.image_queries`). The name rule is botocore's own pattern for
``RepositoryName`` (ParamValidator checks lengths, not patterns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import botocore.session

from harness.ecs.control_plane.arns import ACCOUNT_ID, REGION
from harness.ecs.control_plane.ecr.errors import (
    RepositoryAlreadyExistsException,
    RepositoryNotFoundException,
)
from harness.ecs.control_plane.errors import InvalidParameterException

REGISTRY_ID = ACCOUNT_ID
WITH_EXCLUSION = frozenset({"IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"})


@cache
def name_pattern() -> str:
    model = botocore.session.get_session().get_service_model("ecr")
    return model.shape_for("RepositoryName").metadata["pattern"]


def check_name(name: str) -> None:
    if not re.fullmatch(name_pattern(), name):
        raise InvalidParameterException(
            "Invalid parameter at 'repositoryName' failed to satisfy constraint: "
            f"'must satisfy regular expression '{name_pattern()}''"
        )


def check_tag_mutability(mutability: str, exclusion_filters: list[dict[str, str]] | None) -> None:
    """Exclusion filters go with the ``*_WITH_EXCLUSION`` settings, and only with them."""
    if mutability in WITH_EXCLUSION and not exclusion_filters:
        raise InvalidParameterException(
            "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy "
            f"constraint: 'ImageTagMutabilityExclusionFilters can't be null when "
            f"imageTagMutability is set as {mutability}'"
        )
    if mutability not in WITH_EXCLUSION and exclusion_filters:
        raise InvalidParameterException(
            "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy "
            f"constraint: 'ImageTagMutabilityExclusionFilters must be null when "
            f"imageTagMutability is set as {mutability}'"
        )


def repository_arn(name: str) -> str:
    return f"arn:aws:ecr:{REGION}:{REGISTRY_ID}:repository/{name}"


@dataclass
class Repository:
    name: str
    created_at: datetime
    image_tag_mutability: str = "MUTABLE"
    exclusion_filters: list[dict[str, str]] | None = None
    image_scanning_configuration: dict[str, Any] = field(
        default_factory=lambda: {"scanOnPush": False}
    )
    encryption_configuration: dict[str, Any] = field(
        default_factory=lambda: {"encryptionType": "AES256"}
    )
    tags: list[dict[str, str]] = field(default_factory=list)

    def describe(self, registry_address: str) -> dict[str, Any]:
        """ECR's ``Repository`` shape; the URI is what ``docker push`` uses here."""
        out: dict[str, Any] = {
            "repositoryArn": repository_arn(self.name),
            "registryId": REGISTRY_ID,
            "repositoryName": self.name,
            "repositoryUri": f"{registry_address}/{self.name}",
            "createdAt": self.created_at,
            "imageTagMutability": self.image_tag_mutability,
            "imageScanningConfiguration": self.image_scanning_configuration,
            "encryptionConfiguration": self.encryption_configuration,
        }
        if self.exclusion_filters:
            out["imageTagMutabilityExclusionFilters"] = self.exclusion_filters
        return out


class RepositoryRegistry:
    """The account's repositories by name, in creation order."""

    def __init__(self) -> None:
        self._by_name: dict[str, Repository] = {}

    def add(self, repository: Repository) -> Repository:
        check_name(repository.name)
        if repository.name in self._by_name:
            raise RepositoryAlreadyExistsException(repository.name, REGISTRY_ID)
        check_tag_mutability(repository.image_tag_mutability, repository.exclusion_filters)
        self._by_name[repository.name] = repository
        return repository

    def require(self, name: str) -> Repository:
        found = self._by_name.get(name)
        if found is None:
            raise RepositoryNotFoundException(name, REGISTRY_ID)
        return found

    def remove(self, name: str) -> Repository:
        return self._by_name.pop(self.require(name).name)

    def all(self) -> list[Repository]:
        return list(self._by_name.values())
