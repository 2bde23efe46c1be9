"""The ``drydock`` command. Expected failures print one line and exit non-zero."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from harness.command_line import console, endpoint_url_option, friendly_errors, load_settings
from harness.errors import DrydockError
from harness.loadtest.command import loadtest


@click.group()
@click.version_option(package_name="drydock", prog_name="drydock")
def main() -> None:
    """Rehearse an ECS-style ML model deployment, and its failures, on one machine."""


@main.command()
@friendly_errors
def demo() -> None:
    """Set everything up and serve a prediction from the registry image."""
    from harness.pipeline.demo import run_demo

    run_demo(load_settings())


@main.group()
def stack() -> None:
    """The local cloud (docker compose)."""


@stack.command("up")
@friendly_errors
def stack_up() -> None:
    """Resolve images (upstream or stand-in), start the services, create the bucket."""
    from harness.docker_engine import docker_client
    from harness.images.resolver import ImageResolver
    from harness.pipeline.stages import StageRun
    from harness.stack.local_cloud import bring_up, ensure_model_bucket, resolve_cloud_images

    settings = load_settings()
    client = docker_client()
    run = StageRun(console)
    with run.stage("resolve cloud images") as stage:
        images = resolve_cloud_images(ImageResolver(client, settings), stage.progress)
        stage.detail = ", ".join(f"{i.role}: {i.ref} ({i.description})" for i in images.resolved)
    with run.stage("start local cloud") as stage:
        bring_up(client, settings, images)
    with run.stage("create versioned model bucket") as stage:
        stage.outcome = "created" if ensure_model_bucket(settings) else "exists"
    with run.stage("start CI runner") as stage:
        from harness.ci.runner_process import ensure_runner

        stage.detail = f"pid {ensure_runner(settings)}, records in {settings.ci_root}"


@stack.command("down")
@click.option("--volumes", is_flag=True, help="Also delete the registry's stored images.")
@friendly_errors
def stack_down(volumes: bool) -> None:
    """Stop the local cloud; remove Drydock's task containers and the emulator's journal."""
    from harness.ci.runner_process import stop_runner
    from harness.docker_engine import docker_client
    from harness.stack.local_cloud import take_down

    stop_runner(load_settings())  # its records stay in <state_dir>/ci
    take_down(docker_client(), load_settings(), volumes=volumes)
    console.print("local cloud stopped")


@main.command()
@click.option("--port", default=8005, show_default=True, help="API port.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="API address; 0.0.0.0 only inside a container (the compose service).",
)
@click.option(
    "--balancer",
    default=None,
    help="Drive this running balancer container (compose) instead of starting one.",
)
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Keep state-changing API calls here and replay them at start.",
)
@friendly_errors
def emulator(port: int, host: str, balancer: str | None, journal: Path | None) -> None:
    """Run the ECS/ELBv2 emulator (API, scheduler, docker tasks, HAProxy) until Ctrl-C.

    Ctrl-C removes every task container and HAProxy. SIGTERM (``docker compose stop`` or
    ``restart`` of the ``ecs`` service) with a journal leaves tasks serving: the next
    start replays the journal and adopts them, as ECS keeps tasks across a control-plane
    restart. Without a journal SIGTERM cleans up like Ctrl-C.
    """
    import signal
    import threading

    from harness.ecs.emulator.emulator import Emulator

    terminated = threading.Event()

    def terminate(*_: object) -> None:
        terminated.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    settings = load_settings()
    running = Emulator(settings, port=port, host=host, balancer=balancer, journal=journal)
    running.start()
    try:
        console.print(f"ECS/ELBv2 API: {running.endpoint_url} (time scale {settings.time_scale})")
        for listener in running.listener_ports:
            console.print(f"listener port {listener}: {running.listener_url(listener)}")
        running.bus.subscribe(lambda event: console.print(event.message, highlight=False))
        threading.Event().wait()
    except KeyboardInterrupt:
        keep = terminated.is_set() and journal is not None
        console.print(
            "stopping: tasks keep running for the next start to adopt"
            if keep
            else "stopping: removing task containers and HAProxy"
        )
    finally:
        running.stop(keep_tasks=terminated.is_set())


@main.command()
@endpoint_url_option("ECS")
@click.option("--cluster", required=True)
@click.option("--service", required=True)
@click.option("--image", default=None, help="New image (default: same, forces a rollout).")
@click.option("--container", default=None, help="Container to change (default: first).")
@click.option(
    "--timeout", "timeout_s", default=600.0, show_default=True, type=click.FloatRange(min=1)
)
@friendly_errors
def deploy(
    endpoint_url: str | None,
    cluster: str,
    service: str,
    image: str | None,
    container: str | None,
    timeout_s: float,
) -> None:
    """Register a task definition revision and roll the service, printing its events."""
    from botocore.exceptions import BotoCoreError, ClientError

    from harness.aws import aws_client
    from harness.pipeline.deploy import deploy as run_deploy

    ecs = aws_client("ecs", load_settings(), endpoint_url=endpoint_url)
    try:
        outcome = run_deploy(
            ecs,
            cluster,
            service,
            image=image,
            container=container,
            timeout_s=timeout_s,
            on_event=lambda line: console.print(line, highlight=False),
        )
    except (BotoCoreError, ClientError) as exc:
        raise DrydockError(f"ECS API at {ecs.meta.endpoint_url}: {exc}") from exc
    console.print(
        f"{outcome.task_definition_arn}: {outcome.rollout_state} in {outcome.seconds:.1f} s"
    )


@main.command()
@endpoint_url_option("ECS")
@click.option("--cluster", default="drydock", show_default=True)
@click.option("--service", default="model-server", show_default=True)
@click.option("--model-version", default=None, help="Published model version to serve.")
@click.option("--image", default=None, help="Image to serve: URI[@digest|:tag].")
@click.option("--container", default=None, help="Container to change (default: first).")
@click.option(
    "--timeout", "timeout_s", default=600.0, show_default=True, type=click.FloatRange(min=1)
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON on stdout.")
@friendly_errors
def release(
    endpoint_url: str | None,
    cluster: str,
    service: str,
    model_version: str | None,
    image: str | None,
    container: str | None,
    timeout_s: float,
    as_json: bool,
) -> None:
    """Roll the service to a published model version and/or an image, and watch it.

    The version is checked (published, signed by a key the tasks trust) before anything
    is registered; a rollout the circuit breaker rolls back exits 4 naming the revision
    that serves instead.
    """
    from harness.pipeline.release import ReleaseRequest
    from harness.pipeline.release_command import run_release

    request = ReleaseRequest(cluster, service, model_version, image, container)
    run_release(request, endpoint_url, timeout_s=timeout_s, as_json=as_json)


@main.group()
def model() -> None:
    """The model pipeline."""


def _training_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--dataset``, ``--format``, ``--regularization``: what to train (publish, train)."""
    for option in reversed(
        [
            click.option("--dataset", default="iris", show_default=True),
            click.option(
                "--format",
                "model_format",
                type=click.Choice(["pickle", "skops"]),
                default="pickle",
                show_default=True,
            ),
            click.option(
                "--regularization",
                default=1.0,
                show_default=True,
                type=float,
                help="Inverse regularisation strength C; change it to get a different model.",
            ),
        ]
    ):
        command = option(command)
    return command


@model.command("publish")
@click.option("--version", default=None, help="Version to publish (default: next number).")
@_training_options
@click.option(
    "--from-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Publish an already packaged model (manifest.json + model file).",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"name", "version", "uri", "reused"}.')
@click.option(
    "--version-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the published version here (the pipeline's release job reads it).",
)
@friendly_errors
def model_publish(
    version: str | None,
    dataset: str,
    model_format: str,
    regularization: float,
    from_dir: Path | None,
    as_json: bool,
    version_file: Path | None,
) -> None:
    """Train (or read) a model and publish it to S3 under a new version."""
    import json

    from harness.model.artifact import read_artifact, with_version
    from harness.model.store import pipeline_store
    from harness.pipeline.model_pipeline import (
        PROVISIONAL_VERSION,
        ModelRelease,
        next_version,
        release_model,
    )

    settings = load_settings()
    store = pipeline_store(settings)
    if from_dir is not None:
        artifact = read_artifact(from_dir)
        if not version and artifact.manifest.version == PROVISIONAL_VERSION:
            # packaged by `drydock model train`: the next number, as a fresh publish gets
            version = next_version(store.versions(artifact.manifest.name))
        if version:
            artifact = with_version(artifact, version)
        uri = store.publish(artifact)
        release = ModelRelease(artifact.manifest, uri, reused=False)
    else:
        release = release_model(
            store,
            settings.model_name,
            dataset=dataset,
            version=version,
            model_format=model_format,  # type: ignore[arg-type]
            regularization=regularization,
        )
    if version_file is not None:
        version_file.parent.mkdir(parents=True, exist_ok=True)
        version_file.write_text(release.manifest.version + "\n")
    if as_json:
        manifest = release.manifest
        answer = {"name": manifest.name, "version": manifest.version, "uri": release.uri}
        print(json.dumps({**answer, "reused": release.reused}), flush=True)
        return
    verb = "already latest" if release.reused else "published"
    console.print(f"{verb}: {release.uri} (sha256 {release.manifest.sha256[:16]}…)")


@model.command("train")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the packaged model (manifest.json + model file), unpublished.",
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--training",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A repository's own training code: a Python file whose train(**params) returns "
    "a TrainedModel (the model pipeline's train job); default: Drydock's training.",
)
@click.option(
    "--params",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="With --training: a JSON object of train() arguments (default params.json).",
)
@_training_options
@friendly_errors
def model_train(
    out_dir: Path,
    dataset: str,
    model_format: str,
    regularization: float,
    seed: int,
    training: Path | None,
    params: Path | None,
) -> None:
    """Train and package a model into a folder, for `model evaluate` and `model publish
    --from-dir` (the pipeline's train, evaluate and publish jobs); nothing is uploaded."""
    from harness.model.artifact import package, write_artifact
    from harness.model.training import train
    from harness.model.training_code import load_params, train_with
    from harness.pipeline.model_pipeline import PROVISIONAL_VERSION

    settings = load_settings()
    try:
        if training is not None:
            trained = train_with(training.resolve(), load_params(params or Path("params.json")))
        else:
            trained = train(dataset, seed=seed, regularization=regularization)
    except ValueError as exc:
        raise DrydockError(str(exc)) from exc
    artifact = package(trained, settings.model_name, PROVISIONAL_VERSION, model_format)  # type: ignore[arg-type]
    write_artifact(artifact, out_dir)
    scores = ", ".join(f"{k} {v:g}" for k, v in sorted(trained.metrics.items()))
    console.print(f"packaged {settings.model_name} in {out_dir}: {scores}", highlight=False)


@model.command("evaluate")
@endpoint_url_option("ECS")
@click.option(
    "--from-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The candidate, packaged by `drydock model train --out`.",
)
@click.option("--version", default=None, help="Or a published version as the candidate.")
@click.option("--threshold", required=True, type=float, help="The lowest acceptable score.")
@click.option("--metric", default="accuracy", show_default=True)
@click.option(
    "--against-served",
    is_flag=True,
    help="Also refuse a candidate scoring below the model the ECS service serves now.",
)
@click.option("--cluster", default="drydock", show_default=True)
@click.option("--service", default="model-server", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON on stdout.")
@friendly_errors
def model_evaluate(
    endpoint_url: str | None,
    from_dir: Path | None,
    version: str | None,
    threshold: float,
    metric: str,
    against_served: bool,
    cluster: str,
    service: str,
    as_json: bool,
) -> None:
    """The quality gate: exit 3, both figures named, when the candidate scores below the
    threshold or (with --against-served) below the served model."""
    import json

    from botocore.exceptions import BotoCoreError, ClientError

    from harness.aws import aws_client, s3_client
    from harness.model.quality_gate import QualityGateRefused
    from harness.model.store import ModelStore
    from harness.pipeline.evaluation import candidate_manifest, evaluate

    settings = load_settings()
    s3 = s3_client(settings)
    ecs = aws_client("ecs", settings, endpoint_url=endpoint_url) if against_served else None
    candidate = candidate_manifest(
        from_dir=from_dir,
        store=ModelStore(s3, settings.model_bucket),
        name=settings.model_name,
        version=version,
    )
    try:
        verdict = evaluate(
            candidate,
            metric=metric,
            threshold=threshold,
            ecs=ecs,
            s3=s3,
            cluster=cluster,
            service=service,
        )
    except (BotoCoreError, ClientError) as exc:
        raise DrydockError(f"cannot read the served model: {exc}") from exc
    if as_json:
        print(json.dumps(verdict.as_json()), flush=True)
    if not verdict.passed:
        raise QualityGateRefused(verdict.message)
    if not as_json:
        console.print(verdict.message, highlight=False, soft_wrap=True)


main.add_command(loadtest)

# --- push to deploy: the git remote's pipelines and the commands their jobs run ----------
from harness.ci.commands import pipelines  # noqa: E402
from harness.ci.job_commands import image_build_command  # noqa: E402

main.add_command(pipelines)


@main.group()
def image() -> None:
    """Container images of the pipelines."""


image.add_command(image_build_command)

if __name__ == "__main__":
    main()
