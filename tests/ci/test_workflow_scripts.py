"""The workflow's shell steps, run for real with bash against local git repositories.

The rotate job's push of the new activeKey (fetch, rebase, retry, pull request
fallback) and the deploy job's refusal to switch activeKey back are logic, not
configuration: each test takes the step's `run:` text from the workflow file and
executes it, with `pulumi`, `gh` and `sleep` replaced by recording fakes.
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ai-services.yml"
STACK_FILE = "stacks/Pulumi.prod.yaml"
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
                "GIT_COMMITTER_NAME": "dev", "GIT_COMMITTER_EMAIL": "dev@example.com"}


def step_script(job: str, name_start: str) -> str:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"][job]["steps"]
    return next(step["run"] for step in steps if step.get("name", "").startswith(name_start))


def stack_file(active_key: str, extra: str = "") -> str:
    return (f"config:\n  ai-services:kind: AIServices\n{extra}  ai-services:secrets:\n"
            f"    key1Name: ai-services-key1\n    activeKey: {active_key}\n")


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_IDENTITY, **(env or {})},
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


@dataclass
class Repo:
    """`origin` (bare), a developer clone that can move main, and the job's shallow checkout."""

    origin: Path
    dev: Path
    job: Path
    bin: Path

    def commit(self, where: Path, content: str, message: str, path: str = STACK_FILE) -> str:
        (where / path).parent.mkdir(parents=True, exist_ok=True)
        (where / path).write_text(content)
        git(where, "add", path)
        git(where, "commit", "-qm", message)
        return git(where, "rev-parse", "HEAD")

    def move_main(self, content: str, path: str = "README.md") -> str:
        sha = self.commit(self.dev, content, "meanwhile on main", path)
        git(self.dev, "push", "-q", "origin", "HEAD:main")
        return sha

    def protect_main(self) -> None:
        hook = self.origin / "hooks" / "pre-receive"
        hook.write_text('#!/bin/sh\nwhile read old new ref; do\n  [ "$ref" = refs/heads/main ] && '
                        '{ echo "GH006: Protected branch update failed" >&2; exit 1; }\ndone\nexit 0\n')
        hook.chmod(0o755)

    def run(self, script: str, **env: str) -> subprocess.CompletedProcess[str]:
        # GitHub runs `run:` steps with `bash -e`.
        full = {**os.environ, "PATH": f"{self.bin}:{os.environ['PATH']}", "HOME": str(self.bin.parent),
                "STACK": "prod", "GITHUB_REF_NAME": "main", "GITHUB_RUN_ID": "4242", "GH_TOKEN": "gh-token",
                "GIT_CONFIG_NOSYSTEM": "1", "FAKE_LOG": str(self.bin / "calls.log"), **env}
        return subprocess.run(["bash", "-e", "-c", script], cwd=self.job, env=full, capture_output=True, text=True,
                              timeout=60)

    def calls(self) -> list[str]:
        log = self.bin / "calls.log"
        return log.read_text().splitlines() if log.exists() else []

    def origin_file(self, ref: str = "main", path: str = STACK_FILE) -> str:
        return git(self.origin, "show", f"{ref}:{path}")


FAKES = {
    # `pulumi stack output activeKey --stack S`: $FAKE_DEPLOYED, or fail like a stack without that output.
    "pulumi": '#!/bin/sh\necho "pulumi $*" >> "$FAKE_LOG"\n[ -n "${FAKE_DEPLOYED:-}" ] || exit 1\n'
              'echo "$FAKE_DEPLOYED"\n',
    "gh": '#!/bin/sh\necho "gh $*" >> "$FAKE_LOG"\n',
    "sleep": '#!/bin/sh\necho "sleep $*" >> "$FAKE_LOG"\n',
}


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    origin, dev, job, bin_dir = (tmp_path / name for name in ("origin.git", "dev", "job", "bin"))
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    subprocess.run(["git", "clone", "-q", str(origin), str(dev)], check=True, capture_output=True)
    bin_dir.mkdir()
    for name, text in FAKES.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    made = Repo(origin, dev, job, bin_dir)
    made.commit(dev, stack_file("key1"), "stack")
    git(dev, "push", "-q", "origin", "HEAD:main")
    # actions/checkout: a shallow clone (depth 1) of main.
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(job)], check=True)
    (job / ".venv").symlink_to(ROOT / ".venv")  # the deploy job made .venv in an earlier step
    return made


# --- rotate: record the new activeKey ------------------------------------------------------

def rotate_switches_the_key(repo: Repo) -> None:
    (repo.job / STACK_FILE).write_text(stack_file("key2"))


def test_push_lands_on_main_directly(repo: Repo) -> None:
    rotate_switches_the_key(repo)
    done = repo.run(step_script("rotate", "Record the new activeKey"))
    assert done.returncode == 0, done.stderr
    assert "activeKey: key2" in repo.origin_file()
    assert repo.calls() == []


def test_push_replays_the_change_on_top_of_a_main_that_moved(repo: Repo) -> None:
    rotate_switches_the_key(repo)
    moved = repo.move_main("a docs change merged during the rotation\n")
    done = repo.run(step_script("rotate", "Record the new activeKey"))
    assert done.returncode == 0, done.stderr
    git(repo.dev, "pull", "-q", "origin", "main")
    # main keeps the other change and gains the rotation commit on top of it, touching only the stack file.
    assert git(repo.dev, "rev-parse", "HEAD~1") == moved
    assert git(repo.dev, "show", "--name-only", "--format=", "HEAD") == STACK_FILE
    assert "activeKey: key2" in repo.origin_file()
    assert [call for call in repo.calls() if call.startswith("gh")] == []


def test_a_refused_push_opens_a_pull_request_and_fails_the_job(repo: Repo) -> None:
    rotate_switches_the_key(repo)
    repo.protect_main()
    done = repo.run(step_script("rotate", "Record the new activeKey"))
    assert done.returncode == 1
    assert "activeKey: key1" in repo.origin_file()  # main unchanged...
    branch = "aisvc/rotate-prod-4242"
    assert "activeKey: key2" in repo.origin_file(branch)  # ...the change waits on a branch
    gh = [call for call in repo.calls() if call.startswith("gh ")]
    assert len(gh) == 1 and gh[0].startswith(f"gh pr create --base main --head {branch} ")
    assert [call for call in repo.calls() if call.startswith("sleep")] == ["sleep 3", "sleep 6", "sleep 9"]
    assert "::error title=activeKey not recorded on main::" in done.stdout
    assert "+    activeKey: key2" in done.stdout  # the diff to apply by hand is in the log


def test_a_conflicting_change_on_main_goes_to_a_pull_request(repo: Repo) -> None:
    rotate_switches_the_key(repo)
    repo.move_main(stack_file("key1  # pinned by hand"), path=STACK_FILE)  # the same line changed on main
    done = repo.run(step_script("rotate", "Record the new activeKey"))
    assert done.returncode == 1
    assert any(call.startswith("gh pr create") for call in repo.calls())
    assert not (repo.job / ".git" / "rebase-merge").exists()  # the rebase was aborted, not left half done


def test_an_unchanged_stack_file_records_nothing(repo: Repo) -> None:
    head = git(repo.origin, "rev-parse", "main")
    done = repo.run(step_script("rotate", "Record the new activeKey"))
    assert done.returncode == 0 and "stack file unchanged" in done.stdout
    assert git(repo.origin, "rev-parse", "main") == head


# --- deploy: refuse to switch activeKey back -------------------------------------------------

GUARD = "Refuse to switch activeKey back"


def push_to_main(repo: Repo, active_key: str, also: str = "") -> tuple[str, str]:
    """A push to main: returns (before, after) as GitHub's push event names them; the job checks out `after`."""
    before = git(repo.dev, "rev-parse", "HEAD")
    after = repo.commit(repo.dev, stack_file(active_key, extra=also), "change")
    git(repo.dev, "push", "-q", "origin", "HEAD:main")
    git(repo.job, "fetch", "-q", "--depth", "1", "origin", "main")
    git(repo.job, "checkout", "-q", "FETCH_HEAD")
    return before, after


@pytest.mark.parametrize(("deployed", "pushed", "code", "says"), [
    ("", "key1", 0, "no activeKey output yet"),  # first deploy
    ("key1", "key1", 0, "activeKey key1: as deployed"),
    # A rotation switched the deployed stack to key2; its commit is missing and this push leaves key1.
    ("key2", "key1", 1, "::error title=activeKey would switch back::stack prod runs activeKey key2"),
    # This push itself switches activeKey: a deliberate change, deployed.
    ("key1", "key2", 0, "switches activeKey from key1 to key2"),
])
def test_deploy_refuses_only_an_unintended_switch_back(repo: Repo, deployed: str, pushed: str, code: int,
                                                       says: str) -> None:
    before, _ = push_to_main(repo, pushed, also="  ai-services:sku: S0\n")
    done = repo.run(step_script("deploy", GUARD), BEFORE=before, FAKE_DEPLOYED=deployed)
    assert done.returncode == code, done.stdout + done.stderr
    assert says in done.stdout
    assert repo.calls()[0] == "pulumi stack output activeKey --stack prod"


def test_a_missing_active_key_means_key1_as_the_program_reads_it(repo: Repo) -> None:
    before, _ = push_to_main(repo, "key1", also="  ai-services:sku: S0\n")
    (repo.job / STACK_FILE).write_text("config:\n  ai-services:kind: AIServices\n")
    done = repo.run(step_script("deploy", GUARD), BEFORE=before, FAKE_DEPLOYED="key1")
    assert done.returncode == 0 and "activeKey key1: as deployed" in done.stdout


@pytest.mark.parametrize("on_target", [True, False])
def test_the_pull_request_plan_compares_with_the_target_branch_only_when_it_has_the_stack(
        tmp_path: Path, on_target: bool) -> None:
    """A new stack file has no base on the target branch: the step plans it alone instead of failing."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("x\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-qm", "start")
    if on_target:
        (repo / STACK_FILE).parent.mkdir(parents=True)
        (repo / STACK_FILE).write_text(stack_file("key1"))
        git(repo, "add", STACK_FILE)
        git(repo, "commit", "-qm", "the stack")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    calls = tmp_path / "calls"
    (fake_bin / "python3").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    (fake_bin / "python3").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake_bin}:{os.environ['PATH']}", "STACK": "prod", "BASE_REF": "main"}
    script = step_script("preview", "Offline plan")
    done = subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    recorded = calls.read_text().strip()
    if on_target:
        assert recorded == 'dev.py aisvc plan --stack prod --base-ref origin/main'
    else:
        assert recorded == "dev.py aisvc plan --stack prod" and "new in this pull request" in done.stdout
