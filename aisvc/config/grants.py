"""Who the program grants roles to, decided from the stack config and how the provider signs in.

The components take plain principals; this module derives the deployer's from the
settings, the environment and the provider config, so the components never read either.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from aisvc.config.settings import DeployerPrincipalType, Principal, Settings

# Environment variables that make the azure-native provider sign in as an application.
SERVICE_PRINCIPAL_ENV = ("ARM_CLIENT_ID", "AZURE_CLIENT_ID")


def deployer_principal_type(configured: DeployerPrincipalType, env: Mapping[str, str],
                            provider_client_id: str | None) -> Literal["User", "ServicePrincipal"]:
    """User or ServicePrincipal: who runs `pulumi up`.

    It must be right: the SDK would otherwise send ARM's default ``User`` and a
    service principal's assignment fails with UnmatchedPrincipalType. ``auto``:
    a service principal / managed identity when the provider is configured with
    a client id (ARM_CLIENT_ID, AZURE_CLIENT_ID, azure-native:clientId) or
    ARM_USE_MSI, else a user signed in with `az login`.
    """
    if configured != "auto":
        return configured
    if provider_client_id or any(env.get(name) for name in SERVICE_PRINCIPAL_ENV):
        return "ServicePrincipal"
    return "ServicePrincipal" if env.get("ARM_USE_MSI", "").lower() == "true" else "User"


def deployer_principal(
    settings: Settings, object_id: str | None, env: Mapping[str, str], provider_client_id: str | None,
) -> Principal | None:
    """The deployer as a principal to grant both roles to, or None (``grantDeployer: false`` or no object id).

    ``deployerPrincipalId`` pins it: the grants (and their Pulumi names) then stay the same whoever runs
    `pulumi up`, instead of moving to each new runner and deleting the previous one's (issue 10, item 3).
    """
    if not settings.grant_deployer:
        return None
    if settings.deployer_principal_id and settings.deployer_principal_type != "auto":
        return Principal(principal_id=settings.deployer_principal_id, principal_type=settings.deployer_principal_type)
    if not object_id:
        return None
    principal_type = deployer_principal_type(settings.deployer_principal_type, env, provider_client_id)
    return Principal(principal_id=object_id.lower(), principal_type=principal_type)
