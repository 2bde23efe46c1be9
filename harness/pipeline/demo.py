"""``drydock demo``: from nothing to a prediction, through the push loop.

The local cloud comes up (with its git remote and the CI runner); what a team creates
once outside its pipelines is created once (the ECS service behind the load balancer,
its first revision serving the newest published model); then both repositories are
seeded and pushed, their pipelines waited for, and the summary shows them beside the
prediction. Every stage is idempotent: a second run finds the stack, the service and
the seeded repositories there and changes nothing. What a ``drydock stack down`` (or a
LocalStack that lost its data) took away is put back: a service that is gone is created
again, one pinned to a model its tasks would refuse is repaired, and then the seeded
repositories' ``main`` runs again, so the pipelines' own work serves once more.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from rich.console import Console
from rich.table import Table
from sklearn import datasets

from harness.aws import s3_client
from harness.docker_engine import docker_client
from harness.errors import ServingError
from harness.images.registry import PushedImage
from harness.images.resolver import ImageResolver, ResolvedImage
from harness.model.store import pipeline_store
from harness.pipeline.demo_pipelines import DemoPipelines, seed_and_wait
from harness.pipeline.deploy import active_service, container_named
from harness.pipeline.model_pin import model_pin
from harness.pipeline.model_pipeline import ModelRelease, newest_or_first_release
from harness.pipeline.pinned_model import pipeline_keys, why_refused
from harness.pipeline.rollout import ServiceSpec, ecs_clients, ensure_model_server
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
    with run.stage("start local cloud (S3, registry, ECS emulator, load balancer, git)") as stage:
        bring_up(client, settings, images)
        stage.detail = (
            f"S3 {settings.localstack_url}, registry {settings.registry_address}, "
            f"ECS {settings.ecs_url}, ALB {settings.lb_url}, "
            f"git {settings.host}:{settings.git_port}"
        )
    with run.stage("create versioned model bucket") as stage:
        stage.outcome = "created" if ensure_model_bucket(settings) else "exists"
        stage.detail = f"s3://{settings.model_bucket}"
    with run.stage("model: newest published (the service's first revision)") as stage:
        store = pipeline_store(settings)
        release = newest_or_first_release(store, settings.model_name)
        stage.outcome = "newest published" if release.reused else "published"
        metrics = release.manifest.metrics
        stage.detail = (
            f"{release.manifest.name} v{release.manifest.version} "
            f"accuracy {metrics.get('accuracy', 0):.3f} -> {release.uri}"
        )
    with run.stage("rollout: ECS service behind the load balancer, created once") as stage:
        spec = ServiceSpec()

        def first_revision() -> tuple[PushedImage, str]:
            stage.progress("building and pushing the first serving image")
            _, pushed = build_and_push(client, resolver, settings, stage.progress)
            return pushed, store.uri(settings.model_name, release.manifest.version)

        s3, keys = s3_client(settings), pipeline_keys(settings)
        rollout = ensure_model_server(
            settings,
            first_revision,
            spec,
            on_event=lambda line: run.console.print(f"  [dim]{line}[/dim]", highlight=False),
            why_model_refused=lambda container: why_refused(s3, container, keys),
        )
        stage.outcome = rollout.outcome
        stage.detail = (
            f"{spec.service}: {spec.desired_count} tasks of "
            f"{rollout.task_definition_arn.rsplit('/', 1)[-1]} behind {settings.lb_url}"
        )
        if rollout.repaired_because:
            stage.detail += f"; repaired: {rollout.repaired_because}"
    with run.stage("pipelines: seed the model and service repositories, push, wait") as stage:
        # A service created or repaired just now serves this checkout's first revision:
        # what the pipelines delivered (a model in S3, a deployment) is gone with it.
        rerun = rollout.outcome in ("created", "repaired")
        pipelines = seed_and_wait(settings, stage.progress, rerun=rerun)
        stage.outcome = pipelines_outcome(pipelines)
        stage.detail = ", ".join(
            f"{repo} #{r.id} {r.status}" if r else f"{repo}: no pipeline"
            for repo, r in pipelines.newest.items()
        )
    with run.stage("send predictions through the load balancer") as stage:
        predictions = sample_predictions(settings.lb_url)
        correct = sum(p.expected == p.predicted for p in predictions)
        stage.detail = f"{correct}/{len(predictions)} correct"

    _print_summary(
        run,
        settings,
        DemoOutcome(
            images.resolved,
            release,
            spec,
            serving_revision(settings, spec),
            pipelines,
            predictions,
        ),
    )
    return run


def pipelines_outcome(pipelines: DemoPipelines) -> str:
    """The pipelines stage's outcome in a few words."""
    said = []
    if pipelines.seeded:
        said.append(f"seeded {', '.join(pipelines.seeded)}")
    if pipelines.rerun:
        said.append(f"ran main again: {', '.join(pipelines.rerun)}")
    return "; ".join(said) or "already seeded"


@dataclass(frozen=True)
class ServingRevision:
    """What the service's current task definition runs, after the pipelines."""

    arn: str
    image: str
    model_uri: str


def serving_revision(settings: DrydockSettings, spec: ServiceSpec) -> ServingRevision:
    ecs, _ = ecs_clients(settings)
    arn = active_service(ecs, spec.cluster, spec.service)["taskDefinition"]
    definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    container = container_named(definition, None)
    return ServingRevision(arn, container["image"], model_pin(container).uri)


@dataclass(frozen=True)
class DemoOutcome:
    resolved: tuple[ResolvedImage, ...]
    release: ModelRelease
    service: ServiceSpec
    serving: ServingRevision
    pipelines: DemoPipelines
    predictions: list[Prediction]


def _print_summary(run: StageRun, settings: DrydockSettings, outcome: DemoOutcome) -> None:
    console = run.console
    release = outcome.release
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
        "first model",
        f"{manifest.name} v{manifest.version}",
        "newest published" if release.reused else "published",
        release.uri,
        f"sha256 {manifest.sha256[:16]}…, accuracy {manifest.metrics.get('accuracy', 0):.3f}",
    )
    serving = outcome.serving
    where.add_row(
        "ECS service",
        f"{outcome.service.cluster}/{outcome.service.service}",
        serving.arn.rsplit("/", 1)[-1],
        f"{settings.ecs_url} (API), {settings.lb_url} (load balancer)",
        f"{outcome.service.desired_count} tasks of {serving.image}, model {serving.model_uri}",
    )
    console.print(where)
    console.print(pipelines_table(outcome.pipelines))

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


def pipelines_table(pipelines: DemoPipelines) -> Table:
    """Each repository's newest ``main`` pipeline, one row per job."""
    table = Table(title="Pipelines (git push -> gitlab-ci-local)", header_style="bold")
    for column in ("pipeline", "repository", "commit", "job", "stage", "status"):
        table.add_column(column)
    table.add_column("seconds", justify="right")
    for repo, record in pipelines.newest.items():
        if record is None:
            table.add_row("-", repo, "-", "-", "-", "no pipeline")
            continue
        took = f"{record.duration_s:.1f}" if record.duration_s is not None else ""
        table.add_row(
            f"#{record.id}", repo, record.sha[:12], "[bold]pipeline[/bold]", "", record.status, took
        )
        for job in record.jobs:
            seconds = f"{job.duration_s:.1f}" if job.duration_s is not None else ""
            table.add_row("", "", "", job.name, job.stage, job.status, seconds)
    return table
