"""Pulumi components for an Azure AI services account with its keys in Key Vault.

``AiServices`` composes the rest; the pieces stay usable on their own. Python
programs import them from here (with the project directory on ``sys.path``);
other languages use the component package (``pulumi package add``, see __main__.py).
"""
from components.account import AiServicesAccount, AiServicesAccountArgs
from components.ai_services import AiServices, AiServicesArgs, VaultSettingsArgs
from components.diagnostics import Diagnostics, DiagnosticsArgs
from components.inputs import (
    Bypass,
    CredentialKey,
    DefaultAction,
    GrantArgs,
    GrantTarget,
    Kind,
    LockLevel,
    ModelDeploymentArgs,
    NetworkAclsArgs,
    PrincipalArgs,
    PrincipalType,
    PrivateEndpointsArgs,
    PublicNetworkAccess,
    SecretNamesArgs,
    VaultSku,
)
from components.key_export import KeyExport, KeyExportArgs
from components.key_vault import KeyVault, KeyVaultArgs
from components.private_endpoint import PrivateEndpoint, PrivateEndpointArgs
from components.resource_group import ResourceGroup, ResourceGroupArgs
from components.role_assignments import RoleAssignments, RoleAssignmentsArgs, grants_for

__all__ = [
    "AiServices", "AiServicesAccount", "AiServicesAccountArgs", "AiServicesArgs", "Bypass", "CredentialKey",
    "DefaultAction", "Diagnostics", "DiagnosticsArgs", "GrantArgs", "GrantTarget", "Kind", "KeyExport", "KeyExportArgs",
    "KeyVault", "KeyVaultArgs",
    "LockLevel", "ModelDeploymentArgs", "NetworkAclsArgs", "PrincipalArgs", "PrincipalType", "PrivateEndpoint",
    "PrivateEndpointArgs", "PrivateEndpointsArgs", "PublicNetworkAccess",
    "ResourceGroup", "ResourceGroupArgs", "RoleAssignments", "RoleAssignmentsArgs", "SecretNamesArgs",
    "VaultSettingsArgs", "VaultSku", "grants_for",
]
