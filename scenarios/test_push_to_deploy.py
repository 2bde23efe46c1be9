"""Push to deploy: ``git push`` to the local remote runs the repository's
``.gitlab-ci.yml`` (gitlab-ci-local, the host-side runner) and ends served behind the
load balancer, or stops at the job that should stop it.

The service under test is the demo's (``drydock/model-server``): the pipelines'
defaults point at it, as a team's own pipelines would point at their service.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from harness.aws import aws_client
from harness.ci.records import PipelineRecord
from harness.ci.remote import REPOSITORIES, announced_pipelines, remote_url, seed
from harness.ci.runner_process import ensure_runner, runner_pid, stop_runner
from harness.ci.store import PipelineNotFoundError, PipelineStore
from harness.settings import REPO_ROOT, DrydockSettings
from harness.testing.load import ClientLoad

from .conftest import LocalCloud

pytestmark = pytest.mark.docker

CLUSTER, SERVICE = "drydock", "model-server"
PIPELINE_TIMEOUT_S = 420.0
IRIS_SETOSA = {"instances": [[5.1, 3.5, 1.4, 0.2]]}


def drydock(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, f"drydock {' '.join(args)}: {done.stdout[-2000:]}{done.stderr}"
    return done.stdout


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Pat Pusher", "-c", "user.email=pat@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout + done.stderr


@dataclass
class Pushed:
    sha: str
    pipeline_id: int
    returned_at: float  # time.time() when `git push` returned
    returned_mono: float  # the same moment on time.monotonic(), ClientLoad's clock
    output: str


@dataclass
class Remote:
    settings: DrydockSettings
    store: PipelineStore
    checkouts: Path
    demo_output: str = ""

    def clone(self, repo: str, name: str) -> Path:
        urls = json.loads(drydock("pipelines", "remotes", "--json"))
        assert urls[repo] == remote_url(self.settings, repo)
        target = self.checkouts / name
        git(self.checkouts, "clone", "--quiet", urls[repo], str(target))
        return target

    def commit_and_push(self, checkout: Path, message: str, branch: str = "main") -> Pushed:
        """Commit everything and push. Only ``main`` (the default branch) publishes and
        deploys; a story that must fail there restores ``main`` afterwards
        (:meth:`restore_main`), so later clones start from a good commit."""
        git(checkout, "commit", "--quiet", "--all", "--message", message)
        sha = git(checkout, "rev-parse", "HEAD").strip()
        began = time.time()
        output = git(checkout, "push", "--force", "origin", f"HEAD:refs/heads/{branch}")
        returned, returned_mono = time.time(), time.monotonic()
        assert returned - began < 10, f"the push waited for its pipeline ({returned - began:.1f} s)"
        ids = announced_pipelines(output)
        assert len(ids) == 1, f"the push named no pipeline: {output}"
        assert f"drydock pipelines show {ids[0]}" in output
        return Pushed(sha, ids[0], returned, returned_mono, output)

    def restore_main(self, checkout: Path, path: str, text: str, message: str) -> None:
        """Put ``path`` back as ``text`` on ``main`` and wait for that pipeline to succeed."""
        (checkout / path).write_text(text)
        record = self.wait(self.commit_and_push(checkout, message).pipeline_id)
        assert record.status == "success", drydock("pipelines", "logs", str(record.id))

    def wait(self, pipeline_id: int) -> PipelineRecord:
        deadline = time.monotonic() + PIPELINE_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                record = self.store.load(pipeline_id)
            except PipelineNotFoundError:  # not taken from the queue yet
                record = None
            if record is not None and record.finished:
                return record
            time.sleep(0.5)
        raise AssertionError(
            f"pipeline {pipeline_id} did not finish: {drydock('pipelines', 'list')}"
        )

    def statuses(self, record: PipelineRecord) -> dict[str, str]:
        return {job.name: job.status for job in record.jobs}


def served_task_definition(settings: DrydockSettings) -> dict:
    ecs = aws_client("ecs", settings)
    service = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
    return ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]


def environment_of(definition: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in definition["containerDefinitions"][0]["environment"]}


def registry_tags(settings: DrydockSettings) -> set[str]:
    ecr = aws_client("ecr", settings)
    images = ecr.list_images(repositoryName=settings.serving_repository)["imageIds"]
    return {i["imageTag"] for i in images if "imageTag" in i}


def model_versions(cloud: LocalCloud) -> list[str]:
    return cloud.store.versions(cloud.settings.model_name)


def predict(settings: DrydockSettings) -> requests.Response:
    answer = requests.post(f"{settings.lb_url}/predict", json=IRIS_SETOSA, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer


@pytest.fixture(scope="module")
def remote(local_cloud: LocalCloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    """The demo's service serving, the runner running, both repositories seeded."""
    settings = local_cloud.settings
    runner_was_running = runner_pid(settings) is not None
    demo_output = drydock("demo")  # starts the runner, seeds and pushes both repositories
    ensure_runner(settings)
    store = PipelineStore(settings.ci_root)
    here = Remote(settings, store, tmp_path_factory.mktemp("checkouts"), demo_output)
    for repo in REPOSITORIES:
        seeded = seed(settings, repo)
        if seeded is not None:
            record = here.wait(seeded[1][0])
            assert record.status == "success", drydock("pipelines", "logs", str(record.id))
    yield here
    if not runner_was_running:
        stop_runner(settings)


def test_the_demo_went_through_both_pipelines_and_a_second_run_changes_nothing(
    remote: Remote, local_cloud: LocalCloud
) -> None:
    """``make demo`` seeds and pushes both repositories (the fixture ran it), its summary
    shows each one's pipeline with jobs, statuses and durations, then the prediction;
    a second run pushes nothing, starts no pipeline and no deployment, and is quick."""
    settings = local_cloud.settings
    newest = {
        repo: next(r for r in remote.store.all() if r.repo == repo and r.ref == "refs/heads/main")
        for repo in REPOSITORIES
    }
    jobs = {
        "model": ["test", "train", "evaluate", "publish", "release"],
        "service": ["test", "build", "push", "deploy"],
    }
    for repo, record in newest.items():
        assert [j.name for j in record.jobs] == jobs[repo]
        assert record.status == "success", drydock("pipelines", "logs", str(record.id))
        assert f"#{record.id}" in remote.demo_output and record.sha[:12] in remote.demo_output
    assert "Pipelines (git push -> gitlab-ci-local)" in remote.demo_output
    assert "X-Model-Version" in remote.demo_output
    ecs = aws_client("ecs", settings)
    before = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
    pipelines_before = [r.id for r in remote.store.all()]

    began = time.monotonic()
    second = drydock("demo")
    took = time.monotonic() - began

    after = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
    assert [r.id for r in remote.store.all()] == pipelines_before, "a pipeline was started"
    assert [d["id"] for d in after["deployments"]] == [d["id"] for d in before["deployments"]]
    assert after["taskDefinition"] == before["taskDefinition"]
    assert "already seeded" in second and "(unchanged)" in second
    served = environment_of(served_task_definition(settings))["DRYDOCK_MODEL_URI"]
    version = predict(settings).headers["X-Model-Version"]
    assert served.endswith(f"/{version}"), (version, served)
    assert all(f"#{r.id}" in second for r in newest.values())
    print(f"\nsecond drydock demo: {took:.1f} s")
    assert took < 30, f"a second demo took {took:.0f} s"


def test_a_model_push_is_trained_gated_published_and_served(
    remote: Remote, local_cloud: LocalCloud
) -> None:
    checkout = remote.clone("model", "model-e2e")
    training = checkout / "training.py"
    training.write_text(training.read_text() + "\n# retrained by the scenario\n")
    before = model_versions(local_cloud)
    with ClientLoad(local_cloud.settings.lb_url, pause_s=0.05, max_seconds=400) as load:
        pushed = remote.commit_and_push(checkout, "Retrain")
        record = remote.wait(pushed.pipeline_id)
    assert record.status == "success", drydock("pipelines", "logs", str(record.id))
    assert load.successes and not load.failures, load.failures[:5]
    assert record.sha == pushed.sha and record.repo == "model"
    assert [j.name for j in record.jobs] == ["test", "train", "evaluate", "publish", "release"]
    new = sorted(set(model_versions(local_cloud)) - set(before), key=int)
    assert len(new) == 1
    served = predict(local_cloud.settings)
    assert served.headers["X-Model-Version"] == new[0]
    listed = json.loads(drydock("pipelines", "list", "--json"))
    mine = next(p for p in listed if p["id"] == pushed.pipeline_id)
    assert mine["sha"] == pushed.sha and mine["status"] == "success"
    assert all(j["duration_s"] > 0 for j in mine["jobs"])
    first_served = min(r.at for r in load.responses if r.version == new[0])
    report_timing("model", pushed, record, first_served - pushed.returned_mono, load)


def test_a_service_push_is_tested_built_pushed_and_deployed_by_digest(
    remote: Remote, local_cloud: LocalCloud
) -> None:
    checkout = remote.clone("service", "service-e2e")
    routes = checkout / "serving" / "routes.py"
    routes.write_text(routes.read_text() + f"\n# deployed by the scenario at {time.time()}\n")
    with ClientLoad(local_cloud.settings.lb_url, pause_s=0.05, max_seconds=400) as load:
        pushed = remote.commit_and_push(checkout, "Serve a changed routes module")
        record = remote.wait(pushed.pipeline_id)
    assert record.status == "success", drydock("pipelines", "logs", str(record.id))
    assert load.successes and not load.failures, load.failures[:5]
    digest = pushed_digest(remote, record)
    assert (
        served_task_definition(local_cloud.settings)["containerDefinitions"][0]["image"] == digest
    )
    predict(local_cloud.settings)
    report_timing("service", pushed, record, None, load)


def test_release_manual_waits_for_play_then_serves_the_published_version(
    remote: Remote, local_cloud: LocalCloud
) -> None:
    checkout = remote.clone("model", "model-manual-release")
    ci = checkout / ".gitlab-ci.yml"
    automatic = ci.read_text()
    ci.write_text(automatic.replace('RELEASE_MANUAL: "false"', 'RELEASE_MANUAL: "true"'))
    served = served_task_definition(local_cloud.settings)["taskDefinitionArn"]
    pushed = remote.commit_and_push(checkout, "Release by hand")
    record = remote.wait(pushed.pipeline_id)
    assert record.status == "success", drydock("pipelines", "logs", str(record.id))
    assert remote.statuses(record)["release"] == "manual"
    assert served_task_definition(local_cloud.settings)["taskDefinitionArn"] == served
    published = re.findall(
        r"published:? s3://\S+/(\d+)", remote.store.read_log(record.id, "publish")
    )
    assert len(published) == 1
    version = published[0]

    drydock("pipelines", "play", str(record.id), "release")
    deadline = time.monotonic() + PIPELINE_TIMEOUT_S
    while remote.store.load(record.id).job("release").status != "success":
        assert remote.store.load(record.id).job("release").status in (
            "manual",
            "created",
            "running",
        )
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert predict(local_cloud.settings).headers["X-Model-Version"] == version
    remote.restore_main(checkout, ".gitlab-ci.yml", automatic, "Release automatically again")


def test_a_failing_unit_test_stops_the_pipeline_before_anything_reaches_ecr(
    remote: Remote, local_cloud: LocalCloud
) -> None:
    checkout = remote.clone("service", "service-failing-test")
    (checkout / "tests" / "test_broken.py").write_text("def test_broken():\n    assert 1 == 2\n")
    git(checkout, "add", "tests/test_broken.py")
    tags = registry_tags(local_cloud.settings)
    served = served_task_definition(local_cloud.settings)["taskDefinitionArn"]
    pushed = remote.commit_and_push(checkout, "A test that fails", "failing-test")
    record = remote.wait(pushed.pipeline_id)
    assert record.status == "failed"
    assert remote.statuses(record) == {"test": "failed", "build": "skipped"}
    assert "assert 1 == 2" in drydock("pipelines", "logs", str(record.id), "test")
    assert registry_tags(local_cloud.settings) == tags
    assert served_task_definition(local_cloud.settings)["taskDefinitionArn"] == served


def test_a_model_under_the_quality_gate_is_not_published_nor_rolled_out(
    remote: Remote, local_cloud: LocalCloud
) -> None:
    checkout = remote.clone("model", "model-under-gate")
    params = json.loads((checkout / "params.json").read_text())
    (checkout / "params.json").write_text(json.dumps({**params, "regularization": 0.0005}))
    before = model_versions(local_cloud)
    served = served_task_definition(local_cloud.settings)
    pushed = remote.commit_and_push(checkout, "Regularise far too hard", "under-gate")
    record = remote.wait(pushed.pipeline_id)
    assert record.status == "failed"
    assert remote.statuses(record) == {"test": "success", "train": "success", "evaluate": "failed"}
    log = drydock("pipelines", "logs", str(record.id), "evaluate")
    assert re.search(r"accuracy 0\.\d{4} \(candidate v0\) is below the threshold 0\.9000", log), log
    assert model_versions(local_cloud) == before
    after = served_task_definition(local_cloud.settings)
    assert after["taskDefinitionArn"] == served["taskDefinitionArn"]


def test_a_broken_dockerfile_fails_at_build(remote: Remote, local_cloud: LocalCloud) -> None:
    checkout = remote.clone("service", "service-broken-dockerfile")
    dockerfile = checkout / "serving" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "\nRUN exit 7\n")
    tags = registry_tags(local_cloud.settings)
    pushed = remote.commit_and_push(checkout, "Break the image build", "broken-dockerfile")
    record = remote.wait(pushed.pipeline_id)
    assert remote.statuses(record) == {"test": "success", "build": "failed"}
    assert registry_tags(local_cloud.settings) == tags


def test_a_rollout_the_circuit_breaker_rolls_back_fails_the_deploy_job(
    remote: Remote, local_cloud: LocalCloud
) -> None:
    checkout = remote.clone("service", "service-crash-on-start")
    dockerfile = checkout / "serving" / "Dockerfile"
    good = dockerfile.read_text()
    crash = """ENTRYPOINT ["python3", "-c", "raise SystemExit('this release cannot start')"]"""
    dockerfile.write_text(good + "\n" + crash + "\n")
    served = served_task_definition(local_cloud.settings)["taskDefinitionArn"]
    with ClientLoad(local_cloud.settings.lb_url, pause_s=0.05, max_seconds=400) as load:
        pushed = remote.commit_and_push(checkout, "A release that cannot start")
        record = remote.wait(pushed.pipeline_id)
    assert remote.statuses(record) == {
        "test": "success",
        "build": "success",
        "push": "success",
        "deploy": "failed",
    }
    assert "FAILED" in drydock("pipelines", "logs", str(record.id), "deploy")
    assert served_task_definition(local_cloud.settings)["taskDefinitionArn"] == served
    assert load.successes and not load.failures, load.failures[:5]
    predict(local_cloud.settings)
    remote.restore_main(checkout, "serving/Dockerfile", good, "Start again")


def test_a_feature_branch_push_tests_trains_and_evaluates_and_publishes_nothing(
    remote: Remote, local_cloud: LocalCloud
) -> None:
    """Only the default branch publishes and releases (``rules: - if: $CI_COMMIT_BRANCH
    == $CI_DEFAULT_BRANCH``); a feature branch gets its tests, training and gate."""
    checkout = remote.clone("model", "model-feature")
    training = checkout / "training.py"
    training.write_text(training.read_text() + "\n# tried on a feature branch\n")
    before = model_versions(local_cloud)
    served = served_task_definition(local_cloud.settings)["taskDefinitionArn"]
    pushed = remote.commit_and_push(checkout, "Try a change", "feature/try-a-change")
    record = remote.wait(pushed.pipeline_id)
    assert record.status == "success", drydock("pipelines", "logs", str(record.id))
    assert record.ref == "refs/heads/feature/try-a-change"
    assert remote.statuses(record) == {"test": "success", "train": "success", "evaluate": "success"}
    assert model_versions(local_cloud) == before
    assert served_task_definition(local_cloud.settings)["taskDefinitionArn"] == served


def test_a_feature_branch_push_tests_and_builds_and_pushes_nothing_to_ecr(
    remote: Remote, local_cloud: LocalCloud
) -> None:
    checkout = remote.clone("service", "service-feature")
    routes = checkout / "serving" / "routes.py"
    routes.write_text(routes.read_text() + f"\n# tried on a feature branch at {time.time()}\n")
    tags = registry_tags(local_cloud.settings)
    served = served_task_definition(local_cloud.settings)["taskDefinitionArn"]
    pushed = remote.commit_and_push(checkout, "Try a route change", "feature/routes")
    record = remote.wait(pushed.pipeline_id)
    assert record.status == "success", drydock("pipelines", "logs", str(record.id))
    assert remote.statuses(record) == {"test": "success", "build": "success"}
    assert registry_tags(local_cloud.settings) == tags
    assert served_task_definition(local_cloud.settings)["taskDefinitionArn"] == served


def test_cancel_stops_a_running_job_and_a_pending_pipeline_never_runs(
    remote: Remote, local_cloud: LocalCloud
) -> None:
    """Two pushes of a feature branch: the second waits (one pipeline per repository at a
    time) and is canceled before it starts; the first is canceled while ``test`` runs."""
    checkout = remote.clone("service", "service-cancel")
    routes = checkout / "serving" / "routes.py"
    pushes = []
    for n in (1, 2):
        routes.write_text(routes.read_text() + f"\n# canceled push {n} at {time.time()}\n")
        pushes.append(remote.commit_and_push(checkout, f"Cancel me {n}", "feature/cancel"))
    first, second = (p.pipeline_id for p in pushes)
    deadline = time.monotonic() + 60
    while True:
        try:
            if remote.store.load(first).job("test").status == "running":
                break
        except (PipelineNotFoundError, KeyError):
            pass  # not taken yet, or not planned yet
        assert time.monotonic() < deadline, drydock("pipelines", "list")
        time.sleep(0.2)

    said = drydock("pipelines", "cancel", str(second))
    assert f"pipeline {second} canceled" in said
    said = drydock("pipelines", "cancel", str(first))
    assert f"pipeline {first} canceled: canceled by drydock pipelines cancel while job test" in said

    one, two = remote.store.load(first), remote.store.load(second)
    assert remote.statuses(one) == {"test": "canceled", "build": "canceled"}
    assert (two.status, two.jobs, two.started_at) == ("canceled", [], None)
    refused = subprocess.run(
        [sys.executable, "-m", "harness.cli", "pipelines", "cancel", str(first)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0
    assert f"pipeline {first} already ended canceled" in refused.stdout + refused.stderr


def test_two_quick_pushes_end_with_the_second_serving_never_interleaved(
    remote: Remote, local_cloud: LocalCloud
) -> None:
    checkout = remote.clone("service", "service-two-pushes")
    routes = checkout / "serving" / "routes.py"
    pushes = []
    for n in (1, 2):
        routes.write_text(routes.read_text() + f"\n# quick push {n} at {time.time()}\n")
        pushes.append(remote.commit_and_push(checkout, f"Quick push {n}"))
    first, second = (remote.wait(p.pipeline_id) for p in pushes)
    assert (first.status, second.status) == ("success", "success")
    one, two = first.job("deploy"), second.job("deploy")
    assert one.finished_at is not None and two.started_at is not None
    assert one.finished_at <= two.started_at, "the two deployments interleaved"
    image = served_task_definition(local_cloud.settings)["containerDefinitions"][0]["image"]
    assert image == pushed_digest(remote, second)


def pushed_digest(remote: Remote, record: PipelineRecord) -> str:
    log = remote.store.read_log(record.id, "push")
    found = re.findall(r"(\S+/\S+@sha256:[0-9a-f]{64})", log)
    assert found, log
    return found[-1]


def report_timing(
    kind: str,
    pushed: Pushed,
    record: PipelineRecord,
    first_served_s: float | None,
    load: ClientLoad,
) -> None:
    """Push returned -> rollout complete (the last job returns when only the new
    version serves), and -> first answer from the new model; per job; client errors."""
    assert record.finished_at is not None
    total = record.finished_at.timestamp() - pushed.returned_at
    jobs = ", ".join(f"{j.name} {j.duration_s:.1f} s" for j in record.jobs)
    first = (
        f", first answer of the new model after {first_served_s:.1f} s" if first_served_s else ""
    )
    print(
        f"\n{kind}: push returned -> rollout complete in {total:.1f} s{first} ({jobs}); "
        f"{len(load.responses)} requests under load, {len(load.failures)} failed"
    )


@pytest.mark.takes_stack_down
def test_after_a_stack_down_the_demo_runs_main_again_and_its_pipelines_serve(
    remote: Remote, local_cloud: LocalCloud
) -> None:
    """``drydock stack down`` forgets the service and every model in S3 while the
    repositories and their records stay (it takes the shared stack down, so it runs
    last: see ``scenarios/conftest.py``).
    The next demo creates the service from a first revision, then runs each
    repository's ``main`` head again, so what serves is the pipelines' work, not the
    demo's own first model."""
    settings = local_cloud.settings
    heads = {
        repo: next(r for r in remote.store.all() if r.repo == repo and r.ref == "refs/heads/main")
        for repo in REPOSITORIES
    }
    newest_before = max(r.id for r in remote.store.all())
    drydock("stack", "down")

    output = drydock("demo")

    assert "ran main again: model, service" in output, output[-3000:]
    rerun = {
        repo: next(r for r in remote.store.all() if r.repo == repo and r.ref == "refs/heads/main")
        for repo in REPOSITORIES
    }
    for repo, record in rerun.items():
        assert record.id > newest_before and record.sha == heads[repo].sha
        assert record.status == "success", drydock("pipelines", "logs", str(record.id))
        assert record.pushed_by.startswith("drydock (demo:")
        assert f"#{record.id}" in output
    log = remote.store.read_log(rerun["model"].id, "publish")
    published = re.findall(r"published:? s3://\S+/(\d+)", log)
    assert published, log
    assert predict(settings).headers["X-Model-Version"] == published[-1]
    assert model_versions(local_cloud) == ["1", published[-1]], "the demo's first, then main's"
    image = served_task_definition(settings)["containerDefinitions"][0]["image"]
    assert image == pushed_digest(remote, rerun["service"])
