"""The registry's HTTP API v2 client against a small server speaking distribution's
protocol: paginated tags, manifests by Accept, deletes refused when not enabled."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from harness.ecs.control_plane.ecr import Manifest, RegistryUnavailable
from harness.ecs.control_plane.ecr.registry_port import DOCKER_MANIFEST, OCI_MANIFEST
from harness.ecs.runtime.registry_api import RegistryApi

BODY = b'{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}'
DIGEST = "sha256:" + hashlib.sha256(BODY).hexdigest()


class Distribution:
    """What distribution answers, for one repository ``app`` with tags a, b and c."""

    def __init__(self) -> None:
        self.tags = {"a": DIGEST, "b": DIGEST, "c": DIGEST}
        self.delete_enabled = True
        self.seen: list[tuple[str, str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.seen.append((request.method, request.full_path, request.headers.get("Accept", "")))
        return self.answer(request)(environ, start_response)

    def answer(self, request: Request) -> Response:
        path = request.path
        if path == "/v2/app/tags/list":
            names = sorted(self.tags)
            last = request.args.get("last")
            start = names.index(last) + 1 if last else 0
            size = int(request.args.get("n", 100))
            page = names[start : start + 2]  # distribution may return fewer than n
            response = Response(f'{{"name": "app", "tags": {list(page)!r}}}'.replace("'", '"'))
            if start + 2 < len(names) and size:
                response.headers["Link"] = (
                    f'</v2/app/tags/list?n={size}&last={page[-1]}>; rel="next"'
                )
            return response
        if path.startswith("/v2/app/manifests/"):
            reference = path.rsplit("/", 1)[1]
            digest = self.tags.get(reference, reference)
            if request.method == "DELETE":
                if not self.delete_enabled:
                    return Response('{"errors":[{"code":"UNSUPPORTED"}]}', status=405)
                if digest != DIGEST or not self.tags:
                    return Response(status=404)
                self.tags.clear()
                return Response(status=202)
            if request.method == "PUT":
                self.tags[reference] = "sha256:" + hashlib.sha256(request.get_data()).hexdigest()
                return Response(status=201)
            if digest != DIGEST or not self.tags:
                return Response('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', status=404)
            return Response(
                BODY, content_type=DOCKER_MANIFEST, headers={"Docker-Content-Digest": DIGEST}
            )
        return Response('{"errors":[{"code":"NAME_UNKNOWN"}]}', status=404)


@pytest.fixture
def distribution() -> Iterator[tuple[Distribution, RegistryApi]]:
    app = Distribution()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield app, RegistryApi(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_tags_follow_the_link_header_across_pages(
    distribution: tuple[Distribution, RegistryApi],
) -> None:
    app, api = distribution
    assert api.tags("app") == ["a", "b", "c"]
    assert sum(1 for method, path, _ in app.seen if "tags/list" in path) == 2
    assert api.tags("nothing-pushed") == []


def test_manifests_are_asked_for_as_schema_2_and_oci(
    distribution: tuple[Distribution, RegistryApi],
) -> None:
    app, api = distribution
    assert api.manifest("app", "a") == Manifest(DIGEST, DOCKER_MANIFEST, BODY)
    accept = app.seen[-1][2]
    assert DOCKER_MANIFEST in accept and OCI_MANIFEST in accept
    api.manifest("app", "a", accept=[OCI_MANIFEST])
    assert app.seen[-1][2] == OCI_MANIFEST
    assert api.manifest("app", "zz") is None


def test_delete_and_put_back(distribution: tuple[Distribution, RegistryApi]) -> None:
    _, api = distribution
    manifest = api.manifest("app", "a")
    assert manifest is not None
    assert api.delete_manifest("app", DIGEST) is True
    assert api.tags("app") == [] and api.delete_manifest("app", DIGEST) is False
    api.put_manifest("app", "b", manifest)
    assert api.manifest("app", "b") == manifest


def test_a_registry_that_refuses_deletes_says_how_to_allow_them(
    distribution: tuple[Distribution, RegistryApi],
) -> None:
    app, api = distribution
    app.delete_enabled = False
    with pytest.raises(RegistryUnavailable, match="REGISTRY_STORAGE_DELETE_ENABLED=true"):
        api.delete_manifest("app", DIGEST)


def test_an_unreachable_registry_is_named() -> None:
    with pytest.raises(RegistryUnavailable, match=r"http://127\.0\.0\.1:9 is not answering"):
        RegistryApi("http://127.0.0.1:9").tags("app")
