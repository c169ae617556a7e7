"""aisvc.client: app-facing helpers that keep key-based apps working through key rotation.

    from aisvc.client import KeyVaultKeyCredential, key_refresh_policy, connect

    credential = KeyVaultKeyCredential(vault_uri, secret_name, token_credential)
    client = TextAnalyticsClient(endpoint, credential,
                                 authentication_policy=key_refresh_policy(credential, header="Ocp-Apim-Subscription-Key"))

    conn = connect(outputs)   # stack outputs mapping, or the path of `pulumi stack output --json`
    client = TextAnalyticsClient(conn.endpoint, conn.credential, authentication_policy=conn.authentication_policy)

Depends only on azure-core, azure-identity and azure-keyvault-secrets (the
async twins also need an async transport such as aiohttp). See docs/apps.md.
"""
from ._async import (
    AsyncKeyRefreshPolicy,
    AsyncKeyVaultKeyCredential,
    async_key_refresh_policy,
)
from ._connect import Connection, OutputsError, connect, key_header
from ._credential import KeyVaultKeyCredential, SecretValueError
from ._policy import KeyRefreshPolicy, KeyRejectedError, key_refresh_policy

__all__ = [
    "AsyncKeyRefreshPolicy", "AsyncKeyVaultKeyCredential", "Connection", "KeyRefreshPolicy", "KeyRejectedError",
    "KeyVaultKeyCredential", "OutputsError", "SecretValueError", "async_key_refresh_policy", "connect",
    "key_header", "key_refresh_policy",
]
