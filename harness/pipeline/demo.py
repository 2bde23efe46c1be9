"""``drydock demo``: from nothing to a prediction served from the registry image.

Every stage is idempotent: a second run finds the images, the stack, the model
version and the running task already there and only checks them.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from rich.console import Console
from rich.table import Table
from sklearn import datasets

from harness.docker_engine import docker_client
from harness.errors import ServingError
from harness.images.registry import PushedImage
from harness.images.resolver import ImageResolver, ResolvedImage
from harness.images.serving_image import ServingImage
from harness.model.store import pipeline_store
from harness.pipeline.model_pipeline import ModelRelease, newest_or_first_release
from harness.pipeline.rollout import ServiceRollout, ServiceSpec, deploy_model_server
from harness.pipeline.service_pipeline import build_and_push
from harness.pipeline.stages import StageRun
from harness.settings import DrydockSettings
from harness.stack.local_cloud import bring_up, ensure_model_bucket, resolve_cloud_images


@dataclass(frozen=True)
class Prediction:
    features: list[float]
    expected: str
    predicted: str
    model_version: str
    task_id: str


def sample_predictions(url: str, rows: int = 4) -> list[Prediction]:
    iris = datasets.load_iris()
    picks = list(range(0, len(iris.target), len(iris.target) // rows))[:rows]
    instances = [iris.data[i].tolist() for i in picks]
    try:
        response = requests.post(url + "/predict", json={"instances": instances}, timeout=10)
    except requests.RequestException as exc:
        raise ServingError(f"POST {url}/predict failed: {exc}") from exc
    if response.status_code != 200:
        raise ServingError(f"POST {url}/predict answered {response.status_code}: {response.text}")
    body = response.json()
    return [
        Prediction(
            features=instances[n],
            expected=str(iris.target_names[iris.target[i]]),
            predicted=str(_label(body["predictions"][n], iris.target_names)),
            model_version=response.headers.get("X-Model-Version", "?"),
            task_id=response.headers.get("X-Task-Id", "?"),
        )
        for n, i in enumerate(picks)
    ]


def _label(prediction: object, names: object) -> object:
    if isinstance(prediction, int):
        return names[prediction]  # type: ignore[index]
    return prediction


def wide_console() -> Console:
    """A terminal's own width; 160 columns when output goes to a file or CI log."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=160)


def run_demo(settings: DrydockSettings, console: Console | None = None) -> StageRun:
    run = StageRun(console or wide_console())
    client = docker_client()
    resolver = ImageResolver(client, settings)

    with run.stage("resolve cloud images") as stage:
        images = resolve_cloud_images(resolver, stage.progress)
        stage.outcome = ", ".join(sorted({f"{i.how}" for i in images.resolved}))
        stage.detail = ", ".join(f"{i.role}: {i.source}" for i in images.resolved)
    with run.stage("start local cloud (S3, registry, ECS emulator, load balancer)") as stage:
        bring_up(client, settings, images)
        stage.detail = (
            f"S3 {settings.localstack_url}, registry {settings.registry_address}, "
            f"ECS {settings.ecs_url}, ALB {settings.lb_url}"
        )
    with run.stage("create versioned model bucket") as stage:
        stage.outcome = "created" if ensure_model_bucket(settings) else "exists"
        stage.detail = f"s3://{settings.model_bucket}"
    with run.stage("model pipeline: newest published model, else train and publish") as stage:
        store = pipeline_store(settings)
        release = newest_or_first_release(store, settings.model_name)
        stage.outcome = "newest published" if release.reused else "published"
        metrics = release.manifest.metrics
        stage.detail = (
            f"{release.manifest.name} v{release.manifest.version} "
            f"accuracy {metrics.get('accuracy', 0):.3f} -> {release.uri}"
        )
    with run.stage("service pipeline: build and push serving image") as stage:
        image, pushed = build_and_push(client, resolver, settings, stage.progress)
        stage.outcome = ("built" if image.built else "cached") + (
            ", pushed" if pushed.pushed else ", already in registry"
        )
        stage.detail = pushed.by_digest
    with run.stage("rollout: ECS service behind the load balancer") as stage:
        spec = ServiceSpec()
        rollout = deploy_model_server(
            settings,
            pushed,
            store.uri(settings.model_name, release.manifest.version),
            spec,
            on_event=lambda line: run.console.print(f"  [dim]{line}[/dim]", highlight=False),
        )
        stage.outcome = rollout.outcome
        stage.detail = (
            f"{spec.service}: {spec.desired_count} tasks of "
            f"{rollout.task_definition_arn.rsplit('/', 1)[-1]} behind {settings.lb_url}"
        )
    with run.stage("send predictions through the load balancer") as stage:
        predictions = sample_predictions(settings.lb_url)
        correct = sum(p.expected == p.predicted for p in predictions)
        stage.detail = f"{correct}/{len(predictions)} correct"

    _print_summary(
        run,
        settings,
        DemoOutcome(images.resolved, release, image, pushed, spec, rollout, predictions),
    )
    return run


@dataclass(frozen=True)
class DemoOutcome:
    resolved: tuple[ResolvedImage, ...]
    release: ModelRelease
    image: ServingImage
    pushed: PushedImage
    service: ServiceSpec
    rollout: ServiceRollout
    predictions: list[Prediction]


def _print_summary(run: StageRun, settings: DrydockSettings, outcome: DemoOutcome) -> None:
    console = run.console
    release, image, pushed = outcome.release, outcome.image, outcome.pushed
    where = Table(title="What ran where", show_header=True, header_style="bold")
    for column in ("component", "image / artifact", "source", "address", "notes"):
        where.add_column(column, overflow="fold")
    addresses = {
        "localstack": settings.localstack_url,
        "registry": f"http://{settings.registry_address}",
        "balancer": settings.lb_url,
        "ecs-emulator": settings.ecs_url,
    }
    for item in outcome.resolved:
        where.add_row(
            item.role,
            item.ref,
            f"{item.source} ({item.how})",
            addresses.get(item.role, "-"),
            item.notes,
        )
    manifest = release.manifest
    where.add_row(
        "model",
        f"{manifest.name} v{manifest.version}",
        "newest published" if release.reused else "published",
        release.uri,
        f"sha256 {manifest.sha256[:16]}…, accuracy {manifest.metrics.get('accuracy', 0):.3f}",
    )
    where.add_row(
        "serving image",
        image.ref,
        "built" if image.built else "cached",
        pushed.by_digest,
        f"base {image.base}",
    )
    revision = outcome.rollout.task_definition_arn.rsplit("/", 1)[-1]
    where.add_row(
        "ECS service",
        f"{outcome.service.cluster}/{outcome.service.service}",
        outcome.rollout.outcome,
        f"{settings.ecs_url} (API), {settings.lb_url} (load balancer)",
        f"{outcome.service.desired_count} tasks of {revision}, model v{release.manifest.version}",
    )
    console.print(where)

    answers = Table(title="Predictions (POST /predict)", header_style="bold")
    for column in ("features", "expected", "predicted", "X-Model-Version", "X-Task-Id"):
        answers.add_column(column)
    for p in outcome.predictions:
        answers.add_row(
            ", ".join(f"{v:g}" for v in p.features),
            p.expected,
            p.predicted,
            p.model_version,
            p.task_id,
        )
    console.print(answers)

    timings = Table(title="Stage timings", header_style="bold")
    timings.add_column("stage")
    timings.add_column("outcome")
    timings.add_column("seconds", justify="right")
    for result in run.results:
        timings.add_row(result.name, result.outcome, f"{result.seconds:.1f}")
    timings.add_row("[bold]total[/bold]", "", f"[bold]{run.total_seconds:.1f}[/bold]")
    console.print(timings)
