"""The GitHub Actions workflow users copy: parsed with PyYAML, its promises asserted.

Job conditions are evaluated with a small interpreter for the subset of GitHub
expressions the workflow uses (==, !=, &&, ||, string literals, context paths),
so "which jobs run on which event" is checked, not just "the text is there".
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from aisvc.services.github_oidc import CLIENT_ID_ENVS, TENANT_ID_ENVS

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ai-services.yml"
ALL_WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))


@pytest.fixture(scope="module")
def text() -> str:
    return WORKFLOW.read_text()


@pytest.fixture(scope="module")
def workflow(text: str) -> dict[Any, Any]:
    return yaml.safe_load(text)


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    return workflow.get("on") or workflow[True]


def steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return workflow["jobs"][job]["steps"]


def runs(workflow: dict[str, Any], job: str) -> list[str]:
    return [step.get("run", "") for step in steps(workflow, job)]


def index_of(workflow: dict[str, Any], job: str, needle: str) -> int:
    for index, step in enumerate(steps(workflow, job)):
        if needle in step.get("run", "") or needle in step.get("uses", ""):
            return index
    raise AssertionError(f"job {job} has no step with {needle!r}")


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key), item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


# --- a tiny GitHub expression evaluator ---------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<str>'[^']*')|(?P<op>==|!=|&&|\|\||\(|\))|(?P<path>[A-Za-z_][\w.\-]*))")


def evaluate(expression: str, context: dict[str, Any]) -> bool:
    tokens = []
    position = 0
    expression = expression.strip().removeprefix("${{").removesuffix("}}").strip()
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        assert match and match.end() > position, f"unsupported expression: {expression!r}"
        tokens.append(match)
        position = match.end()
    value, rest = _or(tokens, context)
    assert not rest, f"trailing tokens in {expression!r}"
    return bool(value)


def _or(tokens: list, ctx: dict) -> tuple[Any, list]:
    value, tokens = _and(tokens, ctx)
    while tokens and tokens[0].group("op") == "||":
        right, tokens = _and(tokens[1:], ctx)
        value = value or right
    return value, tokens


def _and(tokens: list, ctx: dict) -> tuple[Any, list]:
    value, tokens = _compare(tokens, ctx)
    while tokens and tokens[0].group("op") == "&&":
        right, tokens = _compare(tokens[1:], ctx)
        value = value and right
    return value, tokens


def _compare(tokens: list, ctx: dict) -> tuple[Any, list]:
    left, tokens = _atom(tokens, ctx)
    if tokens and tokens[0].group("op") in ("==", "!="):
        op = tokens[0].group("op")
        right, tokens = _atom(tokens[1:], ctx)
        return (left == right) if op == "==" else (left != right), tokens
    return left, tokens


def _atom(tokens: list, ctx: dict) -> tuple[Any, list]:
    token = tokens[0]
    if token.group("op") == "(":
        inner, rest = _or(tokens[1:], ctx)
        assert rest and rest[0].group("op") == ")"
        return inner, rest[1:]
    if token.group("str") is not None:
        return token.group("str")[1:-1], tokens[1:]
    value: Any = ctx
    for part in token.group("path").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value, tokens[1:]


def event(name: str, *, ref: str = "refs/heads/main", fork: bool = False) -> dict[str, Any]:
    github: dict[str, Any] = {"event_name": name, "ref": ref, "repository": "acme/ai"}
    if name == "pull_request":
        github["event"] = {"pull_request": {"head": {"repo": {"full_name": "someone/ai" if fork else "acme/ai"}}}}
    return {"github": github}


def jobs_that_run(workflow: dict[str, Any], context: dict[str, Any]) -> set[str]:
    ran: set[str] = set()
    for name, job in workflow["jobs"].items():  # jobs are listed after what they need
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        if all(need in ran for need in needs) and evaluate(job.get("if", "true"), context | {"true": True}):
            ran.add(name)
    return ran


def test_the_evaluator_itself() -> None:
    ctx = {"a": "x", "b": {"c": "y"}}
    assert evaluate("a == 'x' && (b.c == 'z' || b.c != 'z')", ctx)
    assert not evaluate("${{ a != 'x' }}", ctx)
    assert evaluate("missing == b.nothing", ctx)


# --- triggers and which jobs run ----------------------------------------------

def test_triggers_cover_pull_requests_main_a_monthly_schedule_and_manual_runs(workflow: dict[str, Any]) -> None:
    on = triggers(workflow)
    assert on["push"]["branches"] == ["main"]
    assert "pull_request" in on and "workflow_dispatch" in on
    crons = [entry["cron"] for entry in on["schedule"]]
    assert len(crons) == 1
    minute, hour, day, month, weekday = crons[0].split()
    assert day.isdigit() and month == "*" and weekday == "*", "rotation runs once a month"
    assert on["workflow_dispatch"]["inputs"]["stack"]["required"] is True


@pytest.mark.parametrize("context,expected", [
    (event("pull_request"), {"test", "preview"}),
    (event("pull_request", fork=True), {"test"}),
    (event("push"), {"test", "deploy"}),
    (event("push", ref="refs/heads/feature"), {"test"}),
    (event("schedule"), {"rotate"}),
    (event("workflow_dispatch"), {"rotate"}),
])
def test_each_event_runs_the_right_jobs(workflow: dict[str, Any], context: dict, expected: set[str]) -> None:
    assert jobs_that_run(workflow, context) == expected


# --- commands per job ---------------------------------------------------------

def test_tests_job_runs_the_suite_without_azure_or_secrets(workflow: dict[str, Any], text: str) -> None:
    assert "python3 dev.py test" in runs(workflow, "test")
    job_text = yaml.safe_dump(workflow["jobs"]["test"])
    assert "secrets." not in job_text and "azure/login" not in job_text


def test_pull_requests_plan_offline_then_preview_with_the_policy_pack(workflow: dict[str, Any]) -> None:
    plan = index_of(workflow, "preview", "aisvc plan")
    login = index_of(workflow, "preview", "azure/login")
    install = index_of(workflow, "preview", "pulumi/actions")
    preview = index_of(workflow, "preview", "pulumi preview")
    assert plan < preview and login < preview and install < preview
    command = runs(workflow, "preview")[preview].split()
    assert command[command.index("--policy-pack") + 1] == "policy"
    assert "--stack" in command


def test_pull_requests_compare_the_stack_file_with_the_target_branch(workflow: dict[str, Any]) -> None:
    """`aisvc plan --base-ref origin/<target>`: changes and findings; a change Azure refuses fails the job."""
    job = workflow["jobs"]["preview"]
    plan = steps(workflow, "preview")[index_of(workflow, "preview", "aisvc plan")]
    command = plan["run"].split()
    assert command[command.index("--base-ref") + 1] == '"origin/$BASE_REF"'
    assert plan["env"]["BASE_REF"] == "${{ github.base_ref }}"  # the pull request's target branch
    assert "continue-on-error" not in plan  # exit 1 on an error finding fails the pull request
    checkout = steps(workflow, "preview")[index_of(workflow, "preview", "actions/checkout")]
    assert checkout["with"]["fetch-depth"] == 0  # origin/<target> must exist for `git show`
    assert evaluate(job["if"], {"github": {"event_name": "pull_request", "event": {
        "pull_request": {"head": {"repo": {"full_name": "o/r"}}}}, "repository": "o/r"}})


def test_main_deploys_then_checks_in_the_same_job(workflow: dict[str, Any]) -> None:
    up = index_of(workflow, "deploy", "pulumi up")
    check = index_of(workflow, "deploy", "aisvc check --stack")
    assert up < check
    command = runs(workflow, "deploy")[up].split()
    assert "--yes" in command and command[command.index("--policy-pack") + 1] == "policy"
    assert index_of(workflow, "deploy", "azure/login") < up
    assert index_of(workflow, "deploy", "pulumi/actions") < up


def test_preflight_runs_after_sign_in_and_before_azure_is_written(workflow: dict[str, Any]) -> None:
    # Pull requests: after the offline plan, before the preview; main: before `pulumi up`, in the same job.
    for job, writer in (("preview", "pulumi preview"), ("deploy", "pulumi up")):
        preflight = index_of(workflow, job, "aisvc preflight --stack")
        assert index_of(workflow, job, "azure/login") < preflight < index_of(workflow, job, writer), job
        step = steps(workflow, job)[preflight]
        # A failed preflight stops the job: nothing may soften it.
        assert "continue-on-error" not in step and "if" not in step and "|| true" not in step["run"], job
    assert index_of(workflow, "preview", "aisvc plan") < index_of(workflow, "preview", "aisvc preflight")


def test_rotation_runs_non_interactively_and_records_the_new_active_key(workflow: dict[str, Any]) -> None:
    rotate = index_of(workflow, "rotate", "aisvc rotate --stack")
    assert "--yes" in runs(workflow, "rotate")[rotate].split()
    assert index_of(workflow, "rotate", "azure/login") < rotate
    assert index_of(workflow, "rotate", "pulumi/actions") < rotate  # rotate runs `pulumi up`
    record = index_of(workflow, "rotate", "git push")
    assert record > rotate and 'stacks/Pulumi.$STACK.yaml' in runs(workflow, "rotate")[record]
    # contents: the commit of the stack file; pull-requests: the fallback when the branch refuses it.
    assert workflow["jobs"]["rotate"]["permissions"] == {"contents": "write", "pull-requests": "write",
                                                         "id-token": "write"}


def test_new_active_key_is_recorded_even_when_the_rotation_fails_after_switching(workflow: dict[str, Any]) -> None:
    # A failed `up` or check leaves secrets.activeKey switched in the stack file: losing it
    # would let the next deploy switch apps back. Without `always()` a failed step skips this one.
    record = steps(workflow, "rotate")[index_of(workflow, "rotate", "git push")]
    assert record.get("if", "").replace("${{", "").replace("}}", "").strip() == "always()"


def test_the_new_active_key_reaches_main_or_a_pull_request_and_never_silently(workflow: dict[str, Any]) -> None:
    # Behaviour (rebase onto a moved main, pull request when protected) runs for real in
    # test_workflow_scripts.py; here: the pieces it needs are wired.
    step = steps(workflow, "rotate")[index_of(workflow, "rotate", "git push")]
    script = step["run"]
    assert step["env"] == {"GH_TOKEN": "${{ github.token }}"}  # gh pr create; no extra secret
    assert script.index("git push origin \"HEAD:$GITHUB_REF_NAME\"") < script.index("git fetch origin") \
        < script.index("git rebase") < script.index("gh pr create") < script.rindex("exit 1")
    assert re.search(r"for attempt in( \d)+; do", script)
    assert "::error" in script and "continue-on-error" not in step


def test_deploy_refuses_to_switch_the_active_key_back_before_pulumi_up(workflow: dict[str, Any]) -> None:
    guard = index_of(workflow, "deploy", "pulumi stack output activeKey")
    assert index_of(workflow, "deploy", "dev.py aisvc --version") < guard  # .venv (PyYAML) exists
    assert index_of(workflow, "deploy", "pulumi/actions") < guard < index_of(workflow, "deploy", "pulumi up")
    step = steps(workflow, "deploy")[guard]
    assert step["env"] == {"BEFORE": "${{ github.event.before }}"}
    assert "if" not in step and "continue-on-error" not in step and "|| true" not in step["run"]


def test_stack_commands_name_the_stack(workflow: dict[str, Any]) -> None:
    commands = [line for job in ("preview", "deploy", "rotate") for line in "\n".join(runs(workflow, job)).splitlines()
                if re.match(r"\s*(pulumi (preview|up)|python3 dev\.py aisvc (plan|preflight|check|rotate))\b", line)]
    assert len(commands) == 8  # plan (with a base, or alone for a new stack), preflight, preview, preflight, up, check, rotate
    for line in commands:
        assert '--stack "$STACK"' in line, line
    assert "inputs.stack" in workflow["env"]["STACK"] and "vars.PULUMI_STACK" in workflow["env"]["STACK"]


# --- Azure sign-in: OIDC only -------------------------------------------------

def test_oidc_token_only_for_jobs_that_sign_in_to_azure(workflow: dict[str, Any]) -> None:
    # The test job runs pull-request code: it must not be able to mint an Azure token.
    assert workflow["permissions"] == {"contents": "read"}
    assert "permissions" not in workflow["jobs"]["test"]
    for job in ("preview", "deploy"):
        assert workflow["jobs"][job]["permissions"] == {"contents": "read", "id-token": "write"}, job
    assert workflow["jobs"]["rotate"]["permissions"]["id-token"] == "write"


def test_provider_uses_oidc_with_ids_from_variables(workflow: dict[str, Any]) -> None:
    env = workflow["env"]
    assert env["ARM_USE_OIDC"] == "true"
    for name in ("ARM_CLIENT_ID", "ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID"):
        assert re.fullmatch(r"\$\{\{ (vars|secrets)\.[A-Z_]+ \}\}", env[name]), name


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: p.name)
def test_no_client_secret_anywhere(path: Path) -> None:
    text = path.read_text()
    for forbidden in ("client-secret", "client_secret", "clientsecret", "ARM_CLIENT_SECRET", "AZURE_CLIENT_SECRET",
                      "AZURE_CREDENTIALS", "--show-secrets"):
        assert forbidden.lower() not in text.lower(), forbidden
    for key, _value in walk(yaml.safe_load(text)):
        assert key != "creds", "azure/login `creds` holds a client secret"


def test_azure_login_uses_federated_ids_only(workflow: dict[str, Any]) -> None:
    logins = [step for job in workflow["jobs"] for step in steps(workflow, job)
              if step.get("uses", "").lower().startswith("azure/login@")]
    assert len(logins) == 3
    for step in logins:
        assert set(step["with"]) == {"client-id", "tenant-id", "subscription-id"}


def test_aisvc_steps_exchange_a_fresh_github_id_token(workflow: dict[str, Any]) -> None:
    # aisvc's GitHubActionsCredential needs the ID token request variables (id-token: write) and the
    # app's ids under a name it reads; the az login session would expire ~10 minutes after sign-in.
    assert "AZURE_CLIENT_ID" in CLIENT_ID_ENVS and "AZURE_TENANT_ID" in TENANT_ID_ENVS
    login = next(step["with"] for step in steps(workflow, "deploy") if step.get("uses", "").startswith("azure/login@"))
    for job in ("deploy", "rotate"):
        assert workflow["jobs"][job]["permissions"]["id-token"] == "write"
        aisvc = [step for step in steps(workflow, job)
                 if "dev.py aisvc " in step.get("run", "") and "--version" not in step["run"]]
        assert len(aisvc) == {"deploy": 2, "rotate": 1}[job]  # preflight and check; rotate
        for step in aisvc:
            assert step["env"] == {"AZURE_CLIENT_ID": login["client-id"], "AZURE_TENANT_ID": login["tenant-id"]}
    # Behind it, and for the Pulumi CLI: the Azure CLI session only (no managed-identity probing).
    for job in ("preview", "deploy", "rotate"):
        assert workflow["jobs"][job]["env"]["AZURE_TOKEN_CREDENTIALS"] == "dev"


# --- state, secrets, approvals, concurrency, pinning -------------------------------

def test_state_backend_and_passphrase_come_from_configuration(workflow: dict[str, Any]) -> None:
    env = workflow["env"]
    assert env["PULUMI_BACKEND_URL"].startswith("${{ vars.")
    assert env["AZURE_STORAGE_ACCOUNT"].startswith("${{ vars.")
    for job in ("preview", "deploy", "rotate"):
        assert workflow["jobs"][job]["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"
    # Secrets are referenced only through the job env of jobs that need them.
    secret_refs = re.findall(r"secrets\.[A-Z_]+", yaml.safe_dump(workflow["jobs"]))
    assert set(secret_refs) == {"secrets.PULUMI_CONFIG_PASSPHRASE"}


def test_deploy_and_rotation_use_the_prod_environment(workflow: dict[str, Any]) -> None:
    assert workflow["jobs"]["deploy"]["environment"] == "prod"
    assert workflow["jobs"]["rotate"]["environment"] == "prod"
    assert "environment" not in workflow["jobs"]["preview"]  # PR subject: pull_request


def test_deploy_and_rotation_share_one_concurrency_group_per_stack(workflow: dict[str, Any]) -> None:
    deploy = workflow["jobs"]["deploy"]["concurrency"]
    rotate = workflow["jobs"]["rotate"]["concurrency"]
    assert deploy == rotate
    assert deploy["cancel-in-progress"] is False
    assert "inputs.stack" in deploy["group"] and "vars.PULUMI_STACK" in deploy["group"]


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_release_or_commit(path: Path) -> None:
    uses = [value for key, value in walk(yaml.safe_load(path.read_text())) if key == "uses"]
    assert uses
    for ref in uses:
        action, _, version = ref.partition("@")
        assert re.fullmatch(r"v\d+\.\d+\.\d+|[0-9a-f]{40}", version), f"{ref} is not pinned"


def test_pulumi_cli_version_matches_the_sdk_pin(workflow: dict[str, Any]) -> None:
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    assert workflow["env"]["PULUMI_VERSION"] == pins["pulumi"]
    installs = [step for job in workflow["jobs"] for step in steps(workflow, job)
                if step.get("uses", "").startswith("pulumi/actions@")]
    assert installs and all(step["with"]["pulumi-version"] == "${{ env.PULUMI_VERSION }}" for step in installs)
