"""connect(): endpoint, credential and authentication policy from the stack outputs."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union
from urllib.parse import urlsplit

from azure.core.credentials import TokenCredential
from azure.identity import AzureAuthorityHosts, DefaultAzureCredential

from aisvc.contract import SECRET_NAME_RE, key_header

from ._credential import KeyVaultKeyCredential
from ._policy import KeyRefreshPolicy

KNOWN_AUTHORITY_HOSTS = frozenset(
    urlsplit(f"https://{host}").hostname
    for host in (AzureAuthorityHosts.AZURE_PUBLIC_CLOUD, AzureAuthorityHosts.AZURE_CHINA,
                 AzureAuthorityHosts.AZURE_GOVERNMENT))

Outputs = Union[Mapping[str, Any], str, "os.PathLike[str]"]


class OutputsError(ValueError):
    """The stack outputs cannot be used: unreadable, not JSON, or an output missing or malformed."""


@dataclass(frozen=True)
class Connection:
    """What an Azure SDK client needs: ``Client(conn.endpoint, conn.credential, authentication_policy=...)``.

    ``close()`` (or ``with connect(...) as conn:``) releases the clients ``connect`` made: the
    KeyVaultKeyCredential's SecretClient and a DefaultAzureCredential it built; a token credential
    the app passed in stays the app's to close.
    """

    endpoint: str
    credential: KeyVaultKeyCredential | TokenCredential
    authentication_policy: KeyRefreshPolicy | None
    kind: str
    owned: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    def close(self) -> None:
        for client in self.owned:
            client.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(outputs: Outputs, token_credential: TokenCredential | None = None, *,
            min_refresh_seconds: float = 5.0, **client_kwargs: Any) -> Connection:
    """Connect an app to the stack's account.

    ``outputs``: the stack outputs as a mapping, or the path of the JSON file
    ``pulumi stack output --json`` wrote. With ``localAuthEnabled`` the
    credential is a ``KeyVaultKeyCredential`` (it reads ``keySecretName`` now)
    and the policy refreshes it on a 401; otherwise the credential is
    ``token_credential`` (default ``DefaultAzureCredential``) and the policy is
    None, so the SDK uses Entra ID. ``client_kwargs`` go to the ``SecretClient``.
    """
    document, source = _load(outputs)
    endpoint = _https_url(document, "endpoint", source)
    kind = _string(document, "kind", source)
    local_auth = _bool(document, "localAuthEnabled", source)
    vault_uri = _https_url(document, "keyVaultUri", source) if local_auth else ""
    secret_name = _secret_name(document, source) if local_auth else ""
    token = token_credential or default_token_credential()
    built: tuple[Any, ...] = () if token is token_credential else (token,)
    if not local_auth:
        return Connection(endpoint, token, None, kind, owned=built)
    try:
        credential = KeyVaultKeyCredential(vault_uri, secret_name, token, min_refresh_seconds=min_refresh_seconds,
                                           **client_kwargs)
    except BaseException:  # the first Key Vault read failed: release the credential made here
        for client in built:
            client.close()
        raise
    return Connection(endpoint, credential, KeyRefreshPolicy(credential, key_header(kind)), kind,
                      owned=(credential, *built))


def default_token_credential() -> DefaultAzureCredential:
    """DefaultAzureCredential; instance discovery off for an authority host outside the known clouds."""
    authority = os.environ.get("AZURE_AUTHORITY_HOST", "").strip()
    host = urlsplit(authority if "://" in authority else f"https://{authority}").hostname
    # msal would otherwise ask login.microsoftonline.com about an Azure Stack / ADFS host first.
    return DefaultAzureCredential(disable_instance_discovery=bool(authority) and host not in KNOWN_AUTHORITY_HOSTS)


def _load(outputs: Outputs) -> tuple[Mapping[str, Any], str]:
    if isinstance(outputs, Mapping):
        return outputs, "stack outputs"
    if not isinstance(outputs, (str, os.PathLike)):
        raise OutputsError(f"outputs must be a mapping or a file path, got {type(outputs).__name__}")
    source = f"outputs file {os.fspath(outputs)}"
    try:
        document = json.loads(Path(outputs).read_text(encoding="utf-8"))
    except OSError as err:
        raise OutputsError(f"{source}: cannot read it ({err.strerror or err})") from None
    except ValueError as err:
        raise OutputsError(f"{source}: not JSON ({err})") from None
    if not isinstance(document, dict):
        raise OutputsError(f"{source}: expected a JSON object of stack outputs, got {type(document).__name__}")
    return document, source


def _require(document: Mapping[str, Any], name: str, source: str) -> Any:
    value = document.get(name)
    if value is None:
        why = " (localAuthEnabled is true)" if name in ("keyVaultUri", "keySecretName") else ""
        raise OutputsError(f"{source}: missing output {name}{why}")
    return value


def _string(document: Mapping[str, Any], name: str, source: str) -> str:
    value = _require(document, name, source)
    if not isinstance(value, str) or not value.strip():
        raise OutputsError(f"{source}: output {name} must be a non-empty string, got {value!r}")
    return value


def _bool(document: Mapping[str, Any], name: str, source: str) -> bool:
    value = _require(document, name, source)
    if not isinstance(value, bool):
        raise OutputsError(f"{source}: output {name} must be true or false, got {value!r}")
    return value


def _https_url(document: Mapping[str, Any], name: str, source: str) -> str:
    value = _string(document, name, source)
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise OutputsError(f"{source}: output {name} must be an https URL, got {value!r}")
    return value


def _secret_name(document: Mapping[str, Any], source: str) -> str:
    value = _string(document, "keySecretName", source)
    if not SECRET_NAME_RE.fullmatch(value):
        raise OutputsError(f"{source}: output keySecretName must match ^[0-9a-zA-Z-]{{1,127}}$, got {value!r}")
    return value
