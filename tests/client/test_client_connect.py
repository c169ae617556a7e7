"""connect(): endpoint, credential and policy from stack outputs (a mapping or a JSON file)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from azure.ai.textanalytics import TextAnalyticsClient
from azure.core import PipelineClient
from azure.core.rest import HttpRequest, HttpResponse
from azure.identity import DefaultAzureCredential

from aisvc.client import (
    Connection,
    KeyRefreshPolicy,
    KeyVaultKeyCredential,
    OutputsError,
    connect,
)
from tests.client.support import (
    DOCUMENTS,
    rotate,
    token_credential,
    vault_kwargs,
    vault_reads,
)
from tests.support.emulator import AzureEmulator


def connect_to(emulator: AzureEmulator, outputs: Any) -> Connection:
    return connect(outputs, token_credential(emulator), min_refresh_seconds=0.0, **vault_kwargs(emulator))


def last_ai_request(emulator: AzureEmulator) -> tuple[int, str]:
    record = emulator.requests("ai")[-1]
    return record.status, record.auth


def test_from_a_mapping_a_language_client_works_through_rotations(azure_emulator: AzureEmulator,
                                                                 emulator_env: dict[str, str]) -> None:
    outputs = azure_emulator.stack_outputs(kind="TextAnalytics")
    conn = connect_to(azure_emulator, outputs)
    assert conn.endpoint == outputs["endpoint"] and conn.kind == "TextAnalytics"
    assert isinstance(conn.credential, KeyVaultKeyCredential) and isinstance(conn.authentication_policy,
                                                                             KeyRefreshPolicy)
    client = TextAnalyticsClient(conn.endpoint, conn.credential, authentication_policy=conn.authentication_policy,
                                 connection_verify=azure_emulator.ca_file)
    for _ in range(3):
        rotate(azure_emulator)
        assert client.detect_language(DOCUMENTS)[0].primary_language.iso6391_name == "en"
    assert last_ai_request(azure_emulator) == (200, "key")
    assert vault_reads(azure_emulator) == 2  # start-up + the second rotation


@pytest.mark.parametrize("as_path", [str, Path])
def test_from_the_json_file_of_pulumi_stack_output(azure_emulator: AzureEmulator, emulator_env: dict[str, str],
                                                   tmp_path: Path, as_path: type) -> None:
    outputs = azure_emulator.stack_outputs(kind="AIServices")
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs, indent=2))
    conn = connect_to(azure_emulator, as_path(path))
    assert conn.endpoint == outputs["endpoint"]
    assert isinstance(conn.credential, KeyVaultKeyCredential)
    assert conn.credential.key == azure_emulator.keys["key1"]


def test_openai_kind_sends_the_key_in_api_key(azure_emulator: AzureEmulator, emulator_env: dict[str, str]) -> None:
    conn = connect_to(azure_emulator, azure_emulator.stack_outputs(kind="OpenAI"))
    assert conn.authentication_policy is not None
    pipeline: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
        conn.endpoint, policies=[conn.authentication_policy], connection_verify=azure_emulator.ca_file)
    request = HttpRequest("GET", conn.endpoint + "openai/models", params={"api-version": "2024-10-21"})
    with pipeline:
        response = pipeline.send_request(request)
    assert response.status_code == 200  # the emulator reads the OpenAI kind's key from api-key only
    assert last_ai_request(azure_emulator) == (200, "key")


def test_local_auth_off_gives_the_token_credential_and_no_policy(azure_emulator: AzureEmulator,
                                                                emulator_env: dict[str, str]) -> None:
    outputs = azure_emulator.stack_outputs(local_auth=False)
    given = token_credential(azure_emulator)
    conn = connect(outputs, given)
    assert conn.credential is given and conn.authentication_policy is None
    assert isinstance(connect(outputs).credential, DefaultAzureCredential)  # built, not used: no request
    assert azure_emulator.requests("vault") == []


GOOD: dict[str, Any] = {"endpoint": "https://acct.cognitiveservices.azure.com/", "kind": "AIServices",
                        "localAuthEnabled": True, "keyVaultUri": "https://kv.vault.azure.net/",
                        "keySecretName": "ai-services-key"}


@pytest.mark.parametrize(("change", "names"), [
    ({"endpoint": None}, "missing output endpoint"),
    ({"endpoint": "http://acct.cognitiveservices.azure.com/"}, "endpoint must be an https URL"),
    ({"kind": ""}, "kind must be a non-empty string"),
    ({"localAuthEnabled": "yes"}, "localAuthEnabled must be true or false"),
    ({"keySecretName": None}, r"missing output keySecretName \(localAuthEnabled is true\)"),
    ({"keyVaultUri": None}, r"missing output keyVaultUri \(localAuthEnabled is true\)"),
    ({"keySecretName": "[secret]"}, "keySecretName must match"),
])
def test_bad_outputs_raise_a_clear_value_error(change: dict[str, Any], names: str) -> None:
    outputs = {name: value for name, value in {**GOOD, **change}.items() if value is not None}
    with pytest.raises(OutputsError, match=f"stack outputs: .*{names}"):
        connect(outputs, token_credential=object())  # type: ignore[arg-type]  # never used: fails first


@pytest.mark.parametrize(("content", "says"), [
    (None, "cannot read it"), ("{not json", "not JSON"), ("[1, 2]", "expected a JSON object"),
])
def test_bad_outputs_files_raise_a_clear_value_error(tmp_path: Path, content: str | None, says: str) -> None:
    path = tmp_path / "outputs.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValueError, match=f"outputs file {path}: {says}"):
        connect(path, token_credential=object())  # type: ignore[arg-type]


def test_close_releases_what_connect_made_and_leaves_the_apps_credential(
        azure_emulator: AzureEmulator, emulator_env: dict[str, str], tmp_path: Path) -> None:
    closed: list[str] = []

    class AppCredential:
        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            raise AssertionError("not used: local auth is off")

        def close(self) -> None:
            closed.append("app")

    outputs = {**azure_emulator.stack_outputs(local_auth=False)}
    app_credential = AppCredential()
    with connect(outputs, app_credential) as conn:
        assert conn.credential is app_credential and conn.owned == ()
    assert closed == []  # the app's credential stays the app's to close
    with connect(outputs) as made:
        assert len(made.owned) == 1 and made.owned[0] is made.credential  # the DefaultAzureCredential it built
