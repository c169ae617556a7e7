"""Stack outputs: parsing, validation messages that name the output, and the loaders."""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from aisvc.errors import InputError
from aisvc.services.stack_outputs import load_outputs_file, load_outputs_from_stack, parse_outputs

FULL: dict[str, Any] = {
    "endpoint": "https://acct.cognitiveservices.azure.com",
    "accountName": "acct", "accountId": "/subscriptions/s/resourceGroups/rg/providers/"
                                        "Microsoft.CognitiveServices/accounts/acct",
    "resourceGroupName": "rg", "location": "westeurope", "kind": "OpenAI", "customSubDomainName": "acct",
    "localAuthEnabled": True, "keyVaultName": "kv", "keyVaultUri": "https://kv.vault.azure.net/",
    "keySecretName": "ai-services-key", "keySecretNames": {"key1": "ai-services-key1", "key2": "ai-services-key2"},
    "activeKey": "key2", "principalId": "p",
}


def test_full_outputs_parse() -> None:
    outputs = parse_outputs(FULL)
    assert outputs.endpoint == "https://acct.cognitiveservices.azure.com/"  # trailing slash added
    assert (outputs.kind, outputs.local_auth_enabled, outputs.active_key) == ("OpenAI", True, "key2")
    assert (outputs.key_secret_name, outputs.account_name, outputs.resource_group_name) == ("ai-services-key", "acct", "rg")
    assert outputs.account_id is not None and outputs.account_id.endswith("/accounts/acct")


def test_entra_only_outputs_need_no_key_outputs() -> None:
    outputs = parse_outputs({"endpoint": "https://a/", "kind": "AIServices", "localAuthEnabled": False})
    assert outputs.key_secret_name is None and outputs.key_vault_uri is None


@pytest.mark.parametrize(("change", "message"), [
    ({"endpoint": None}, "missing output endpoint"),
    ({"endpoint": None, "kind": None}, "missing outputs endpoint, kind"),
    ({"keySecretName": None}, "missing output keySecretName (localAuthEnabled is true)"),
    ({"endpoint": "ftp://x/"}, "output endpoint must be an https:// URL"),
    ({"localAuthEnabled": "true"}, "output localAuthEnabled must be true or false"),
    ({"keySecretName": "bad_name!"}, "output keySecretName 'bad_name!' is not a Key Vault secret name"),
    ({"accountId": 7}, "output accountId must be a non-empty string"),
    ({"activeKey": "key3"}, "output activeKey must be key1 or key2"),
    ({"endpoint": "[secret]"}, "output endpoint is a Pulumi secret"),
    ({"kind": ""}, "output kind must be a non-empty string"),
])
def test_invalid_outputs_name_the_output(change: dict[str, Any], message: str) -> None:
    document = {name: value for name, value in {**FULL, **change}.items() if value is not None}
    with pytest.raises(InputError) as raised:
        parse_outputs(document, "outputs file o.json")
    assert str(raised.value).startswith("outputs file o.json: ") and message in str(raised.value)


def test_require_names_missing_outputs() -> None:
    outputs = parse_outputs({"endpoint": "https://a/", "kind": "AIServices", "localAuthEnabled": False})
    with pytest.raises(InputError, match="missing outputs accountId, activeKey"):
        outputs.require("accountId", "activeKey", "endpoint")


def test_load_from_file_and_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "out.json"
    path.write_text(json.dumps(FULL))
    assert load_outputs_file(str(path)).kind == "OpenAI"
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(FULL)))
    assert load_outputs_file("-").source == "stdin"
    with pytest.raises(InputError, match="cannot read it"):
        load_outputs_file(str(tmp_path / "missing.json"))
    path.write_text("{")
    with pytest.raises(InputError, match="not valid JSON"):
        load_outputs_file(str(path))


def fake_pulumi(folder: Path, body: str) -> None:
    script = folder / "pulumi"
    script.write_text(f"#!{sys.executable}\nimport sys\n{body}\n")
    script.chmod(0o755)


def test_load_from_stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_pulumi(tmp_path, "assert sys.argv[1:] == ['stack', 'output', '--json', '--stack', 'dev']\n"
                          f"print({json.dumps(json.dumps(FULL))})")
    monkeypatch.setenv("PATH", str(tmp_path))
    outputs = load_outputs_from_stack("dev")
    assert outputs.endpoint.startswith("https://acct") and "pulumi stack output" in outputs.source


def test_stack_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InputError, match="Pulumi CLI is not installed"):
        load_outputs_from_stack("dev")
    fake_pulumi(tmp_path, "sys.stderr.write('error: no stack named dev found\\n'); sys.exit(255)")
    with pytest.raises(InputError, match="failed: error: no stack named dev found"):
        load_outputs_from_stack("dev")
