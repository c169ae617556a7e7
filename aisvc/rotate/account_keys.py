"""The two access keys of an AI services account, through ARM.

`listKeys` and `regenerateKey` are management-plane POSTs on the account
(docs/azure-wire.md, "ARM operations"). They go through an azure-core pipeline:
bearer token for the ARM audience, RetryPolicy (honours Retry-After on 429/5xx),
and the same TLS / transport settings as the rest of aisvc. The ARM endpoint is
configurable (`AISVC_ARM_ENDPOINT`) for sovereign clouds and the test emulator.

Every key value that passes through here is registered with
`aisvc.services.console.register_secret` before anything else can see it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError
from azure.core.pipeline.policies import RetryPolicy
from azure.core.rest import HttpRequest

from aisvc.contract import ACCOUNT_ID_RE, CredentialId
from aisvc.errors import InputError, OperationFailed
from aisvc.services.arm import arm_endpoint, arm_error, arm_pipeline, arm_scope
from aisvc.services.console import register_secret

# GA api-version that has both listKeys and regenerateKey for accounts.
API_VERSION = "2024-10-01"


def arm_key_name(key: CredentialId) -> str:
    """ARM spells the key names `Key1` / `Key2` in the regenerateKey body."""
    return "Key1" if key == "key1" else "Key2"


@dataclass(frozen=True)
class KeyPair:
    key1: str
    key2: str

    def __repr__(self) -> str:  # never let a key reach a log line via repr()
        return "KeyPair(key1=[secret], key2=[secret])"

    def value(self, key: CredentialId) -> str:
        return self.key1 if key == "key1" else self.key2


class AccountKeys(Protocol):
    """What rotation needs from the account: read both keys, regenerate one."""

    def list_keys(self) -> KeyPair: ...

    def regenerate(self, key: CredentialId) -> KeyPair: ...


def validate_account_id(account_id: str) -> str:
    if not ACCOUNT_ID_RE.match(account_id or ""):
        raise InputError(
            f"stack output accountId {account_id!r} is not an AI services account resource ID "
            "(/subscriptions/.../resourceGroups/.../providers/Microsoft.CognitiveServices/accounts/NAME)"
        )
    return account_id


class ArmAccountKeys:
    """`AccountKeys` over ARM with azure-core; one instance per account."""

    def __init__(
        self,
        account_id: str,
        credential: TokenCredential,
        *,
        endpoint: str | None = None,
        scope: str | None = None,
        retry_total: int = 5,
        **transport_kwargs: Any,
    ) -> None:
        self.account_id = validate_account_id(account_id)
        self.endpoint = (endpoint or arm_endpoint()).rstrip("/")
        self._client: PipelineClient = arm_pipeline(
            credential, endpoint=self.endpoint, scope=scope or arm_scope(self.endpoint),
            retry_policy=RetryPolicy(retry_total=retry_total, retry_backoff_max=30), sdk_moniker="aisvc-rotate",
            **transport_kwargs,
        )

    def list_keys(self) -> KeyPair:
        return self._post("listKeys", None, "list the account keys")

    def regenerate(self, key: CredentialId) -> KeyPair:
        return self._post("regenerateKey", {"keyName": arm_key_name(key)}, f"regenerate {arm_key_name(key)}")

    def close(self) -> None:
        self._client.close()

    def _post(self, action: str, body: dict[str, str] | None, what: str) -> KeyPair:
        request = HttpRequest(
            "POST",
            f"{self.endpoint}{self.account_id}/{action}",
            params={"api-version": API_VERSION},
            json=body,
        )
        try:
            response = self._client.send_request(request)
        except AzureError as err:
            raise OperationFailed(f"could not {what}: {type(err).__name__}: {err}") from None
        if response.status_code != 200:
            raise OperationFailed(f"could not {what}: HTTP {response.status_code} {arm_error(response.text())}")
        return _key_pair(response.text(), what)


def _key_pair(text: str, what: str) -> KeyPair:
    try:
        data = json.loads(text)
        pair = KeyPair(key1=str(data["key1"]), key2=str(data["key2"]))
    except (ValueError, KeyError, TypeError):
        raise OperationFailed(f"could not {what}: ARM answered without key1/key2") from None
    register_secret(pair.key1)
    register_secret(pair.key2)
    return pair
