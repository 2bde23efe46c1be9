"""``drydock pipelines``: the local git remote's pipelines, their jobs and logs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from harness.ci.records import PipelineRecord
from harness.ci.store import PipelineStore
from harness.command_line import console, friendly_errors, load_settings
from harness.errors import DrydockError


def _store() -> PipelineStore:
    return PipelineStore(load_settings().ci_root)


def _print_json(value: object) -> None:
    click.echo(json.dumps(value, indent=1))


def _line(record: PipelineRecord) -> str:
    jobs = " ".join(
        f"{j.name}:{j.status}" + (f"({j.duration_s:.1f}s)" if j.duration_s is not None else "")
        for j in record.jobs
    )
    return f"#{record.id} {record.repo} {record.sha[:12]} {record.status:<8} {jobs}"


def wait_for(store: PipelineStore, ids: list[int], timeout_s: float) -> list[PipelineRecord]:
    """Poll until every pipeline in ``ids`` finished; raise naming those that did not."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = {r.id: r for r in store.all() if r.id in ids}
        if len(found) == len(ids) and all(r.finished for r in found.values()):
            return [found[i] for i in ids]
        if time.monotonic() > deadline:
            waiting = [f"#{i} {found[i].status if i in found else 'not yet taken'}" for i in ids]
            raise DrydockError(
                f"pipelines not finished within {timeout_s:.0f} s: {', '.join(waiting)}"
            )
        time.sleep(0.5)


def pipelines_of(store: PipelineStore, sha: str, timeout_s: float = 10.0) -> list[int]:
    """The pipelines of a pushed commit, for a push whose output named none."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [r.id for r in store.all() if r.sha == sha]
        if found:
            return found
        time.sleep(0.3)
    raise DrydockError(f"no pipeline was queued for the pushed commit {sha[:12]}")


def canceled(store: PipelineStore, pipeline_id: int, timeout_s: float) -> PipelineRecord:
    """The record once the runner applied a cancel request; raise what it refused."""
    deadline = time.monotonic() + timeout_s
    refused = store.cancels / f"{pipeline_id}.refused"
    while True:
        if refused.exists():
            why = refused.read_text()
            refused.unlink()
            raise DrydockError(why)
        record = store.load(pipeline_id)
        if record.finished:
            return record
        if time.monotonic() > deadline:
            raise DrydockError(
                f"pipeline {pipeline_id} is still {record.status} after {timeout_s:.0f} s; "
                "the cancel stays queued for the CI runner"
            )
        time.sleep(0.3)


@click.group()
def pipelines() -> None:
    """Pipelines of the local git remote (GitLab CI format, run by gitlab-ci-local)."""


@pipelines.command("remotes")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def remotes_command(as_json: bool) -> None:
    """The git URLs to clone and push (``git clone`` + ``git push`` start pipelines)."""
    from harness.ci.remote import remotes

    urls = remotes(load_settings())
    if as_json:
        _print_json(urls)
    else:
        for repo, url in urls.items():
            console.print(f"{repo}: {url}")


@pipelines.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", default=50, show_default=True)
@friendly_errors
def list_command(as_json: bool, limit: int) -> None:
    """Pipelines, newest first."""
    found = _store().all()[:limit]
    if as_json:
        _print_json([r.summary() for r in found])
        return
    for record in found:
        console.print(_line(record), highlight=False)


@pipelines.command("show")
@click.argument("pipeline_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def show_command(pipeline_id: int, as_json: bool) -> None:
    """One pipeline: commit, who pushed, status, each job with its stage and duration."""
    record = _store().load(pipeline_id)
    if as_json:
        _print_json(record.summary())
        return
    console.print(
        f"pipeline {record.id}: {record.status}  {record.repo} {record.ref} {record.sha}\n"
        f"pushed by {record.pushed_by or '?'} at {record.pushed_at:%Y-%m-%d %H:%M:%S} UTC"
        + (f"\n{record.message}" if record.message else ""),
        highlight=False,
    )
    for job in record.jobs:
        took = f"{job.duration_s:.1f} s" if job.duration_s is not None else ""
        console.print(f"  {job.stage:<10} {job.name:<10} {job.status:<9} {took}", highlight=False)


@pipelines.command("logs")
@click.argument("pipeline_id", type=int)
@click.argument("job", required=False)
@friendly_errors
def logs_command(pipeline_id: int, job: str | None) -> None:
    """The full log of a job (default: every job that ran, in order)."""
    store = _store()
    record = store.load(pipeline_id)
    names = [job] if job else [j.name for j in record.jobs if j.started_at is not None]
    if job:
        record.job(job)  # a clear error for a job the pipeline does not have
    for name in names:
        if not job:
            click.echo(f"===== {name} =====")
        click.echo(store.read_log(pipeline_id, name), nl=False)


@pipelines.command("play")
@click.argument("pipeline_id", type=int)
@click.argument("job")
@friendly_errors
def play_command(pipeline_id: int, job: str) -> None:
    """Run a manual job (e.g. the model pipeline's ``release`` with RELEASE_MANUAL=true)."""
    _store().request_play(pipeline_id, job)
    console.print(
        f"job {job} of pipeline {pipeline_id} queued; follow it: drydock pipelines show "
        f"{pipeline_id}"
    )


@pipelines.command("run")
@click.argument("repo")
@click.option("--ref", "branch", default="main", show_default=True, help="The branch to run.")
@friendly_errors
def run_command(repo: str, branch: str) -> None:
    """A new pipeline for a branch's head, no push needed (GitLab's "Run pipeline")."""
    from harness.ci.trigger import run_branch

    push = run_branch(load_settings(), repo, branch)
    console.print(
        f"pipeline {push.id} queued for {repo} at {push.sha[:12]} ({branch}); "
        f"follow it: drydock pipelines show {push.id}",
        highlight=False,
    )


@pipelines.command("cancel")
@click.argument("pipeline_id", type=int)
@click.option("--timeout", "timeout_s", default=60.0, show_default=True, type=float)
@friendly_errors
def cancel_command(pipeline_id: int, timeout_s: float) -> None:
    """Cancel a pipeline: a pending one never runs; a running one has its job stopped."""
    from harness.ci.runner_process import runner_pid

    settings = load_settings()
    store = PipelineStore(settings.ci_root)
    store.request_cancel(pipeline_id)
    if runner_pid(settings) is None:
        console.print(
            f"pipeline {pipeline_id}: cancel queued; no CI runner runs, so it is canceled "
            "when one starts, before anything of it runs (drydock pipelines runner --detach)",
            highlight=False,
        )
        return
    record = canceled(store, pipeline_id, timeout_s)
    console.print(f"pipeline {record.id} {record.status}: {record.message}", highlight=False)
    if record.status != "canceled":
        raise DrydockError(f"pipeline {record.id} ended {record.status} before the cancel")


@pipelines.command("wait")
@click.argument("pipeline_ids", type=int, nargs=-1, required=True)
@click.option("--timeout", "timeout_s", default=600.0, show_default=True, type=float)
@friendly_errors
def wait_command(pipeline_ids: tuple[int, ...], timeout_s: float) -> None:
    """Wait for pipelines to finish; exit non-zero unless every one succeeded."""
    done = wait_for(_store(), list(pipeline_ids), timeout_s)
    for record in done:
        console.print(_line(record), highlight=False)
    failed = [r for r in done if r.status != "success"]
    if failed:
        raise DrydockError("; ".join(f"pipeline {r.id} {r.status}: {r.message}" for r in failed))


@pipelines.command("seed")
@click.option("--wait/--no-wait", default=False, help="Wait for the seed pipelines to finish.")
@click.option("--timeout", "timeout_s", default=900.0, show_default=True, type=float)
@friendly_errors
def seed_command(wait: bool, timeout_s: float) -> None:
    """Create the ``model`` and ``service`` repositories' first commit, once, and push it."""
    from harness.ci.remote import REPOSITORIES, seed
    from harness.ci.runner_process import ensure_runner

    settings = load_settings()
    ensure_runner(settings)
    started: list[int] = []
    for repo in REPOSITORIES:
        outcome = seed(settings, repo)
        if outcome is None:
            console.print(f"{repo}: already seeded")
            continue
        sha, ids = outcome
        ids = ids or pipelines_of(PipelineStore(settings.ci_root), sha)
        started += ids
        console.print(f"{repo}: pushed {sha[:12]}, pipeline {', '.join(map(str, ids))}")
    if wait and started:
        wait_command.callback(tuple(started), timeout_s)  # type: ignore[misc]


@pipelines.command("runner")
@click.option("--detach", is_flag=True, help="Start it in the background (once).")
@click.option("--stop", is_flag=True, help="Stop the background runner.")
@friendly_errors
def runner_command(detach: bool, stop: bool) -> None:
    """The CI runner (``drydock stack up`` starts it in the background)."""
    from harness.ci.runner import main as run_in_foreground
    from harness.ci.runner_process import ensure_runner, stop_runner

    settings = load_settings()
    if stop:
        console.print("CI runner stopped" if stop_runner(settings) else "no CI runner runs")
    elif detach:
        console.print(f"CI runner pid {ensure_runner(settings)} ({settings.ci_root}/runner.log)")
    else:
        run_in_foreground()


@pipelines.command("page")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Default: <state_dir>/ci/pipelines.html",
)
@click.option("--screenshot", is_flag=True, help="Also a PNG beside it (headless Chromium).")
@friendly_errors
def page_command(out: Path | None, screenshot: bool) -> None:
    """Write the pipelines page: history, jobs, durations, the failing job's log tail."""
    from harness.ci.page import write_page

    settings = load_settings()
    path = write_page(PipelineStore(settings.ci_root), out or settings.ci_root / "pipelines.html")
    console.print(f"pipelines page: {path}")
    if screenshot:
        from harness.report.screenshot import screenshot as take

        png = path.with_suffix(".png")
        take(path, png)
        console.print(f"screenshot: {png}")
