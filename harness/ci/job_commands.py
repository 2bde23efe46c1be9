"""Commands the pipelines' jobs run: ``drydock model train|evaluate``, ``drydock image build``.

Each is one step a ``.gitlab-ci.yml`` job calls, with files as its inputs and outputs
(artifacts), so a job means the same on gitlab-ci-local here and on a real GitLab.
"""

from __future__ import annotations

from pathlib import Path

import click

from harness.command_line import console, friendly_errors, load_settings
from harness.errors import DrydockError


class QualityGateError(DrydockError):
    """The candidate model scores below the floor or below the current model."""


@click.command("train")
@click.option(
    "--training",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("training.py"),
    show_default=True,
    help="Python file whose train(**params) returns a TrainedModel.",
)
@click.option(
    "--params",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("params.json"),
    show_default=True,
)
@click.option("--name", default=None, help="Model name (default: DRYDOCK_MODEL_NAME).")
@click.option("--format", "model_format", type=click.Choice(["pickle", "skops"]), default="pickle")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@friendly_errors
def train_command(
    training: Path, params: Path, name: str | None, model_format: str, out: Path
) -> None:
    """Train with a repository's own training code and package it (unpublished)."""
    from harness.model.artifact import package, write_artifact
    from harness.model.training_code import load_params, train_with
    from harness.pipeline.model_pipeline import PROVISIONAL_VERSION

    trained = train_with(training.resolve(), load_params(params))
    artifact = package(
        trained,
        name or load_settings().model_name,
        PROVISIONAL_VERSION,
        model_format,  # type: ignore[arg-type]
    )
    write_artifact(artifact, out)
    figures = ", ".join(f"{k} {v:g}" for k, v in trained.metrics.items())
    console.print(f"trained {artifact.manifest.name} into {out}: {figures}", highlight=False)


@click.command("evaluate")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--min-accuracy", type=click.FloatRange(0, 1), required=True)
@friendly_errors
def evaluate_command(directory: Path, min_accuracy: float) -> None:
    """The quality gate: refuse a model below the floor or below the current ``latest``."""
    from harness.model.artifact import read_artifact
    from harness.model.quality_gate import judge
    from harness.model.store import pipeline_store

    candidate = read_artifact(directory).manifest
    store = pipeline_store(load_settings())
    current_version = store.latest_version(candidate.name)
    current = store.manifest(candidate.name, current_version) if current_version else None
    verdict = judge(
        candidate.metrics, min_accuracy, current.metrics if current else None, current_version
    )
    if not verdict.passed:
        raise QualityGateError(f"quality gate: {verdict.reason}")
    console.print(f"quality gate passed: {verdict.reason}", highlight=False)


@click.command("build")
@click.argument("source", type=click.Path(file_okay=False, path_type=Path))
@click.option("--repository", required=True, help="Local image repository name.")
@click.option("--ref-file", type=click.Path(dir_okay=False, path_type=Path), default=None)
@friendly_errors
def image_build_command(source: Path, repository: str, ref_file: Path | None) -> None:
    """Build a serving context under a content tag (unchanged content is not rebuilt)."""
    from harness.docker_engine import docker_client
    from harness.images.resolver import ImageResolver
    from harness.images.serving_image import ensure_context_image

    settings = load_settings()
    client = docker_client()
    image = ensure_context_image(
        client,
        ImageResolver(client, settings),
        settings,
        source.resolve(),
        repository,
        lambda line: console.print(line, highlight=False),
    )
    console.print(f"{'built' if image.built else 'unchanged'}: {image.ref}")
    if ref_file is not None:
        ref_file.parent.mkdir(parents=True, exist_ok=True)
        ref_file.write_text(image.ref + "\n")
