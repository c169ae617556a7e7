"""aisvc.rotate.account_keys: the ARM listKeys / regenerateKey client, against the emulator."""
from __future__ import annotations

import pytest
from azure.identity import ClientSecretCredential

from aisvc.contract import other_key
from aisvc.errors import InputError, OperationFailed
from aisvc.rotate.account_keys import ArmAccountKeys, KeyPair, arm_scope, validate_account_id
from aisvc.services.console import redact
from tests.support.emulator import AzureEmulator


def client(emulator: AzureEmulator, account_id: str | None = None) -> ArmAccountKeys:
    credential = ClientSecretCredential(
        emulator.tenant_id, emulator.client_id, emulator.client_secret,
        authority=emulator.authority_host, disable_instance_discovery=True, connection_verify=emulator.ca_file,
    )
    return ArmAccountKeys(account_id or emulator.account_id, credential, endpoint=emulator.arm_endpoint,
                          connection_verify=emulator.ca_file, retry_total=0)


def test_list_and_regenerate(azure_emulator: AzureEmulator, emulator_env: dict[str, str]) -> None:
    keys = client(azure_emulator)
    before = azure_emulator.keys
    assert keys.list_keys() == KeyPair(before["key1"], before["key2"])

    after = keys.regenerate("key2")

    assert after.key1 == before["key1"] and after.key2 != before["key2"]
    assert azure_emulator.keys == {"key1": after.key1, "key2": after.key2}
    posts = azure_emulator.requests(role="arm", method="POST")
    assert [record.path.rsplit("/", 1)[-1] for record in posts] == ["listKeys", "regenerateKey"]
    # Key values are registered for redaction as soon as they arrive.
    assert redact(f"x {after.key2} y") == "x [redacted] y"
    assert after.key1 not in repr(after) and after.key2 not in repr(after)


def test_arm_error_is_one_clear_line(azure_emulator: AzureEmulator, emulator_env: dict[str, str]) -> None:
    keys = client(azure_emulator, azure_emulator.account_id + "-gone")
    with pytest.raises(OperationFailed, match=r"could not regenerate Key1: HTTP 404 ResourceNotFound"):
        keys.regenerate("key1")


def test_local_auth_off_is_reported(azure_emulator: AzureEmulator, emulator_env: dict[str, str]) -> None:
    azure_emulator.set_local_auth(False)
    with pytest.raises(OperationFailed, match="disableLocalAuth is set to be true"):
        client(azure_emulator).regenerate("key2")


def test_connection_refused_is_operation_failed(azure_emulator: AzureEmulator, emulator_env: dict[str, str]) -> None:
    keys = client(azure_emulator)
    keys.endpoint = "https://127.0.0.1:9"  # closed port: stands in for an unreachable ARM
    with pytest.raises(OperationFailed, match="could not list the account keys: ServiceRequestError"):
        keys.list_keys()


@pytest.mark.parametrize("endpoint, scope", [
    ("https://management.azure.com", "https://management.azure.com/.default"),
    ("https://management.chinacloudapi.cn/", "https://management.chinacloudapi.cn/.default"),
    ("https://management.usgovcloudapi.net", "https://management.usgovcloudapi.net/.default"),
    ("https://127.0.0.1:8443", "https://management.azure.com/.default"),
])
def test_arm_scope_follows_the_cloud(endpoint: str, scope: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AISVC_ARM_SCOPE", raising=False)
    assert arm_scope(endpoint) == scope


def test_arm_scope_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AISVC_ARM_SCOPE", "https://management.example/.default")
    assert arm_scope("https://management.azure.com") == "https://management.example/.default"


def test_account_id_must_be_an_account() -> None:
    with pytest.raises(InputError, match="not an AI services account resource ID"):
        validate_account_id("/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv")
    assert other_key("key1") == "key2" and other_key("key2") == "key1"
