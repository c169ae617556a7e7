"""The emulator answers as docs/azure-wire.md says (real SDK clients where they exist)."""
from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.keyvault.secrets import SecretClient
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from tests.support.emulator import ARM_SCOPE, COGNITIVE_SCOPE, VAULT_SCOPE, AzureEmulator

LANGUAGE_BODY = {"kind": "LanguageDetection",
                 "analysisInput": {"documents": [{"id": "1", "text": "Hello world"}]}}
PROBES: dict[str, tuple[str, str, Any]] = {
    "AIServices": ("POST", "language/:analyze-text?api-version=2023-04-01", LANGUAGE_BODY),
    "CognitiveServices": ("POST", "language/:analyze-text?api-version=2023-04-01", LANGUAGE_BODY),
    "TextAnalytics": ("POST", "language/:analyze-text?api-version=2023-04-01", LANGUAGE_BODY),
    "OpenAI": ("GET", "openai/models?api-version=2024-10-21", None),
    "FormRecognizer": ("GET", "documentintelligence/info?api-version=2024-11-30", None),
    "SpeechServices": ("POST", "sts/v1.0/issueToken", None),
}


def credential(emulator: AzureEmulator) -> ClientSecretCredential:
    return ClientSecretCredential(emulator.tenant_id, emulator.client_id, emulator.client_secret,
                                  authority=emulator.authority_host, disable_instance_discovery=True,
                                  connection_verify=emulator.ca_file)


def token(emulator: AzureEmulator, scope: str) -> str:
    return credential(emulator).get_token(scope).token


def probe(emulator: AzureEmulator, kind: str, headers: dict[str, str]) -> requests.Response:
    method, path, body = PROBES[kind]
    return requests.request(method, emulator.endpoint(kind) + path, json=body, headers=headers,
                            verify=emulator.ca_file, timeout=5)


def key_headers(emulator: AzureEmulator, kind: str, key: str | None = None) -> dict[str, str]:
    name = "api-key" if kind == "OpenAI" else "Ocp-Apim-Subscription-Key"
    return {name: key if key is not None else emulator.keys["key1"]}


def bearer(emulator: AzureEmulator, scope: str = COGNITIVE_SCOPE) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(emulator, scope)}"}


def error_code(response: requests.Response) -> str:
    return response.json()["error"]["code"]


def wait_past(deadline: float) -> None:
    time.sleep(max(0.0, deadline - time.monotonic()) + 0.05)


# --- Entra ID -----------------------------------------------------------------

def test_openid_configuration_has_https_endpoints(azure_emulator: AzureEmulator) -> None:
    url = f"{azure_emulator.authority_host}/{azure_emulator.tenant_id}/v2.0/.well-known/openid-configuration"
    document = requests.get(url, verify=azure_emulator.ca_file, timeout=5).json()
    assert document["authorization_endpoint"].startswith("https://")
    assert document["token_endpoint"].startswith(azure_emulator.authority_host + "/")


def test_token_endpoint_issues_bearer_tokens_for_client_credentials(azure_emulator: AzureEmulator) -> None:
    access = credential(azure_emulator).get_token(VAULT_SCOPE)
    assert access.token and access.expires_on > time.time() + 3000
    assert azure_emulator.state.token_scope(access.token) == VAULT_SCOPE


def test_token_endpoint_rejects_a_wrong_client_secret(azure_emulator: AzureEmulator) -> None:
    url = f"{azure_emulator.authority_host}/{azure_emulator.tenant_id}/oauth2/v2.0/token"
    response = requests.post(url, data={"client_id": azure_emulator.client_id, "client_secret": "nope",
                                        "grant_type": "client_credentials", "scope": VAULT_SCOPE},
                             verify=azure_emulator.ca_file, timeout=5)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


# --- Key Vault ----------------------------------------------------------------

def secret_client(emulator: AzureEmulator, verify_challenge_resource: bool = False) -> SecretClient:
    return SecretClient(emulator.vault_url, credential(emulator), verify_challenge_resource=verify_challenge_resource,
                        connection_verify=emulator.ca_file, retry_total=0)


def test_vault_challenges_an_unauthenticated_request(azure_emulator: AzureEmulator) -> None:
    response = requests.get(f"{azure_emulator.vault_url}secrets/ai-services-key/?api-version=2026-04-01",
                            verify=azure_emulator.ca_file, timeout=5)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer authorization="https://login.microsoftonline.com/{azure_emulator.tenant_id}", '
        'resource="https://vault.azure.net"')
    assert response.json() == {"error": {"code": "Unauthorized",
                                         "message": "AKV10000: Request is missing a Bearer or PoP token."}}


def test_sdk_reads_a_secret_after_the_challenge(azure_emulator: AzureEmulator) -> None:
    secret = secret_client(azure_emulator).get_secret("ai-services-key")
    assert secret.value == azure_emulator.keys["key1"]
    assert secret.properties.tags == {"CredentialId": "key1"}
    assert secret.id is not None and secret.id.startswith(f"{azure_emulator.vault_url}secrets/ai-services-key/")
    statuses = [(record.status, record.auth) for record in azure_emulator.requests(role="vault")]
    assert statuses == [(401, "none"), (200, "bearer")]


def test_sdk_refuses_the_emulator_host_when_verifying_the_challenge_resource(azure_emulator: AzureEmulator) -> None:
    with pytest.raises(ValueError, match="verify_challenge_resource"):
        secret_client(azure_emulator, verify_challenge_resource=True).get_secret("ai-services-key")


def test_sdk_sets_a_secret_through_the_data_plane(azure_emulator: AzureEmulator) -> None:
    secret_client(azure_emulator).set_secret("app-key", "s3cret-value", tags={"CredentialId": "key2"})
    stored = azure_emulator.get_secret("app-key")
    assert stored is not None and stored.value == "s3cret-value" and stored.tags == {"CredentialId": "key2"}
    first_put = azure_emulator.requests(role="vault", method="PUT")[0]
    assert first_put.status == 401 and first_put.auth == "none"


def test_missing_secret_is_secret_not_found(azure_emulator: AzureEmulator) -> None:
    with pytest.raises(ResourceNotFoundError) as raised:
        secret_client(azure_emulator).get_secret("no-such-secret")
    assert raised.value.error is not None and raised.value.error.code == "SecretNotFound"


def test_rbac_forbidden_until_the_delay_then_ok(azure_emulator: AzureEmulator) -> None:
    ready = azure_emulator.forbid_vault_for(1.0)
    client = secret_client(azure_emulator)
    with pytest.raises(HttpResponseError) as raised:
        client.get_secret("ai-services-key")
    assert raised.value.status_code == 403
    assert raised.value.response is not None
    body = json.loads(raised.value.response.text())["error"]
    assert body["code"] == "Forbidden" and body["innererror"] == {"code": "ForbiddenByRbac"}
    assert "Microsoft.KeyVault/vaults/secrets/getSecret/action" in body["message"]
    wait_past(ready)
    assert client.get_secret("ai-services-key").value == azure_emulator.keys["key1"]


def test_vault_firewall_is_forbidden_by_firewall(azure_emulator: AzureEmulator) -> None:
    azure_emulator.set_vault_firewall(True)
    with pytest.raises(HttpResponseError) as raised:
        secret_client(azure_emulator).get_secret("ai-services-key")
    assert raised.value.response is not None
    assert json.loads(raised.value.response.text())["error"]["innererror"]["code"] == "ForbiddenByFirewall"


# --- AI services data plane ---------------------------------------------------

@pytest.mark.parametrize("kind", sorted(PROBES))
def test_probe_succeeds_with_the_kinds_key_header_and_with_a_token(azure_emulator: AzureEmulator, kind: str) -> None:
    for headers in (key_headers(azure_emulator, kind), bearer(azure_emulator)):
        response = probe(azure_emulator, kind, headers)
        assert response.status_code == 200, response.text
    if kind in ("AIServices", "CognitiveServices", "TextAnalytics"):
        document = response.json()
        assert document["kind"] == "LanguageDetectionResults"
        assert document["results"]["documents"][0]["detectedLanguage"]["iso6391Name"] == "en"
    elif kind == "OpenAI":
        assert response.json()["object"] == "list"
    elif kind == "FormRecognizer":
        assert response.json()["customDocumentModels"]["count"] == 0
    else:
        assert response.text and response.headers["Content-Type"].startswith("text/plain")


def test_openai_takes_api_key_not_the_subscription_key_header(azure_emulator: AzureEmulator) -> None:
    wrong_header = {"Ocp-Apim-Subscription-Key": azure_emulator.keys["key1"]}
    assert probe(azure_emulator, "OpenAI", wrong_header).status_code == 401


@pytest.mark.parametrize("kind", ["AIServices", "OpenAI"])
def test_wrong_key_is_401_with_code_401(azure_emulator: AzureEmulator, kind: str) -> None:
    response = probe(azure_emulator, kind, key_headers(azure_emulator, kind, "0" * 32))
    assert response.status_code == 401 and error_code(response) == "401"
    assert response.json()["error"]["message"].startswith("Access denied due to invalid subscription key")


def test_token_for_another_scope_is_rejected(azure_emulator: AzureEmulator) -> None:
    assert probe(azure_emulator, "AIServices", bearer(azure_emulator, VAULT_SCOPE)).status_code == 401


def test_permission_denied_until_the_delay_then_ok(azure_emulator: AzureEmulator) -> None:
    ready = azure_emulator.deny_permission_for(1.0)
    headers = bearer(azure_emulator)
    response = probe(azure_emulator, "AIServices", headers)
    assert response.status_code == 401 and error_code(response) == "PermissionDenied"
    assert "lacks the required data action" in response.json()["error"]["message"]
    assert probe(azure_emulator, "AIServices", key_headers(azure_emulator, "AIServices")).status_code == 200
    wait_past(ready)
    assert probe(azure_emulator, "AIServices", headers).status_code == 200


def test_unmapped_subdomain_is_404_until_the_delay(azure_emulator: AzureEmulator) -> None:
    ready = azure_emulator.unmap_subdomain_for(1.0)
    response = probe(azure_emulator, "OpenAI", key_headers(azure_emulator, "OpenAI"))
    assert response.status_code == 404 and error_code(response) == "ResourceNotFound"
    assert "Subdomain does not map to a resource" in response.json()["error"]["message"]
    wait_past(ready)
    assert probe(azure_emulator, "OpenAI", key_headers(azure_emulator, "OpenAI")).status_code == 200


def test_throttling_answers_429_with_retry_after_n_times(azure_emulator: AzureEmulator) -> None:
    azure_emulator.throttle(2, retry_after=3)
    headers = key_headers(azure_emulator, "AIServices")
    answers = [probe(azure_emulator, "AIServices", headers) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "3"


def test_server_errors_n_times(azure_emulator: AzureEmulator) -> None:
    azure_emulator.fail_server(1, status=500)
    headers = key_headers(azure_emulator, "FormRecognizer")
    assert [probe(azure_emulator, "FormRecognizer", headers).status_code for _ in range(2)] == [500, 200]


def test_key_with_local_auth_disabled_is_authentication_type_disabled(azure_emulator: AzureEmulator) -> None:
    azure_emulator.set_local_auth(False)
    response = probe(azure_emulator, "AIServices", key_headers(azure_emulator, "AIServices"))
    assert response.status_code == 403 and error_code(response) == "AuthenticationTypeDisabled"
    assert response.json()["error"]["message"] == "Key based authentication is disabled for this resource."
    assert probe(azure_emulator, "AIServices", bearer(azure_emulator)).status_code == 200


@pytest.mark.parametrize("kind", [kind for kind, (_, path, _) in PROBES.items() if "api-version" in path])
def test_probe_with_another_api_version_is_not_served(azure_emulator: AzureEmulator, kind: str) -> None:
    method, path, body = PROBES[kind]
    url = azure_emulator.endpoint(kind) + path.replace("api-version=", "api-version=1999-")
    response = requests.request(method, url, json=body, headers=key_headers(azure_emulator, kind),
                                verify=azure_emulator.ca_file, timeout=5)
    assert response.status_code == 404 and error_code(response) == "404"
    assert probe(azure_emulator, kind, key_headers(azure_emulator, kind)).status_code == 200


@pytest.mark.parametrize(("mode", "message"), [
    ("ip", "Access denied due to Virtual Network/Firewall rules."),
    ("public-disabled", "Public access is disabled. Please configure private endpoint."),
])
def test_firewall_answers_403(azure_emulator: AzureEmulator, mode: str, message: str) -> None:
    azure_emulator.set_firewall(mode)  # type: ignore[arg-type]
    response = probe(azure_emulator, "AIServices", bearer(azure_emulator))
    assert response.status_code == 403 and response.json()["error"]["message"] == message


def test_other_kinds_accept_any_authenticated_call_and_log_it(azure_emulator: AzureEmulator) -> None:
    url = azure_emulator.endpoint("ContentSafety") + "contentsafety/text:analyze?api-version=2024-09-01"
    ok = requests.post(url, json={"text": "hi"}, headers=key_headers(azure_emulator, "ContentSafety"),
                       verify=azure_emulator.ca_file, timeout=5)
    anonymous = requests.post(url, json={}, verify=azure_emulator.ca_file, timeout=5)
    assert (ok.status_code, anonymous.status_code) == (200, 401)
    assert azure_emulator.requests(role="ai", path_contains="text:analyze")[0].path == "/ContentSafety/contentsafety/text:analyze"


# --- ARM ----------------------------------------------------------------------

def arm_client(emulator: AzureEmulator) -> CognitiveServicesManagementClient:
    return CognitiveServicesManagementClient(credential(emulator), emulator.subscription_id,
                                             base_url=emulator.arm_endpoint, connection_verify=emulator.ca_file,
                                             retry_total=0)


def test_list_keys_returns_both_keys(azure_emulator: AzureEmulator) -> None:
    keys = arm_client(azure_emulator).accounts.list_keys(azure_emulator.resource_group, azure_emulator.account_name)
    assert (keys.key1, keys.key2) == (azure_emulator.keys["key1"], azure_emulator.keys["key2"])
    assert azure_emulator.requests(role="arm")[0].path == azure_emulator.account_id + "/listKeys"


def test_regenerate_key_replaces_it_and_the_old_value_stops_working_at_once(azure_emulator: AzureEmulator) -> None:
    old = azure_emulator.keys["key1"]
    keys = arm_client(azure_emulator).accounts.regenerate_key(
        azure_emulator.resource_group, azure_emulator.account_name, "Key1")
    assert keys.key1 != old and keys.key1 == azure_emulator.keys["key1"]
    assert probe(azure_emulator, "AIServices", key_headers(azure_emulator, "AIServices", old)).status_code == 401
    assert probe(azure_emulator, "AIServices", key_headers(azure_emulator, "AIServices", keys.key1)).status_code == 200


def test_list_keys_fails_when_local_auth_is_off(azure_emulator: AzureEmulator) -> None:
    azure_emulator.set_local_auth(False)
    with pytest.raises(HttpResponseError, match="disableLocalAuth is set to be true") as raised:
        arm_client(azure_emulator).accounts.list_keys(azure_emulator.resource_group, azure_emulator.account_name)
    assert raised.value.status_code == 400


@pytest.mark.parametrize("scope", [None, COGNITIVE_SCOPE])
def test_arm_needs_a_management_token(azure_emulator: AzureEmulator, scope: str | None) -> None:
    headers = bearer(azure_emulator, scope) if scope else {}
    url = f"{azure_emulator.arm_endpoint}{azure_emulator.account_id}/listKeys?api-version=2024-10-01"
    response = requests.post(url, headers=headers, verify=azure_emulator.ca_file, timeout=5)
    assert response.status_code == 401 and "WWW-Authenticate" in response.headers
    assert token(azure_emulator, ARM_SCOPE)  # and the right scope is obtainable


# --- helpers for other tests ----------------------------------------------------

def test_env_points_a_subprocess_at_the_emulator_only(azure_emulator: AzureEmulator) -> None:
    env = azure_emulator.env(base={"PATH": "/bin", "AZURE_USERNAME": "someone", "MSI_ENDPOINT": "http://x"})
    assert env["AZURE_TOKEN_CREDENTIALS"] == "EnvironmentCredential"
    assert env["AZURE_AUTHORITY_HOST"] == azure_emulator.authority_host
    assert env["REQUESTS_CA_BUNDLE"] == env["SSL_CERT_FILE"] == azure_emulator.ca_file
    assert env["AISVC_ARM_ENDPOINT"] == azure_emulator.arm_endpoint
    assert "AZURE_USERNAME" not in env and "MSI_ENDPOINT" not in env and env["PATH"] == "/bin"


def test_stack_outputs_follow_the_contract(azure_emulator: AzureEmulator) -> None:
    outputs = azure_emulator.stack_outputs(kind="OpenAI")
    assert outputs["endpoint"] == azure_emulator.endpoint("OpenAI") and outputs["endpoint"].endswith("/")
    assert outputs["keyVaultUri"] == azure_emulator.vault_url and outputs["localAuthEnabled"] is True
    assert outputs["keySecretNames"] == {"key1": "ai-services-key1", "key2": "ai-services-key2"}
    entra_only = azure_emulator.stack_outputs(local_auth=False)
    assert "keySecretName" not in entra_only and "keySecretNames" not in entra_only
    assert azure_emulator.state.local_auth_enabled is False


def test_request_log_holds_no_secret_values(azure_emulator: AzureEmulator) -> None:
    secret_client(azure_emulator).get_secret("ai-services-key")
    probe(azure_emulator, "AIServices", key_headers(azure_emulator, "AIServices"))
    log = repr(azure_emulator.requests())
    assert all(value not in log for value in azure_emulator.secret_values())
