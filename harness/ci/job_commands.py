"""A command the pipelines' jobs run: ``drydock image build`` (the model jobs run
``drydock model train|evaluate|publish`` and ``drydock release``).

Each is one step a ``.gitlab-ci.yml`` job calls, with files as its inputs and outputs
(artifacts), so a job means the same on gitlab-ci-local here and on a real GitLab.
"""

from __future__ import annotations

from pathlib import Path

import click

from harness.command_line import console, friendly_errors, load_settings


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
