"""The ai-services Pulumi program: read settings, build components, export outputs.

Everything is decided in plain Python first (settings, names, ids), so a bad
stack config stops the run before any resource is registered. `aisvc plan` runs
this same file under the Pulumi SDK mock engine.
"""
import os

import pulumi
from pulumi_azure_native import authorization

from aisvc.config import naming
from aisvc.config.settings import SettingsError, load
from components.account import AiServicesAccount, AiServicesAccountArgs
from components.key_export import KeyExport, KeyExportArgs
from components.key_vault import ExistingVault, KeyVault, KeyVaultArgs
from components.resource_group import ResourceGroup, ResourceGroupArgs
from components.role_assignments import RoleAssignments, RoleAssignmentsArgs, deployer_principal_type, grants_for

try:
    settings = load()
    client = authorization.get_client_config()  # synchronous: plain strings for names and ids
    names = naming.derive_names(settings, client.subscription_id, pulumi.get_project(), pulumi.get_stack())
except SettingsError as error:
    raise pulumi.RunError(str(error)) from None  # a clean one-line message, no traceback

prefix = settings.name_prefix
tags = dict(settings.tags)
subscription = client.subscription_id

if settings.resource_group_name:
    group_name: pulumi.Input[str] = settings.resource_group_name
else:
    group_name = ResourceGroup(prefix, ResourceGroupArgs(names.resource_group, settings.location, tags)).name

# The vault and the account do not depend on each other: they are created in parallel.
existing = settings.key_vault.existing
vault = KeyVault(prefix, KeyVaultArgs(
    resource_group_name=group_name,
    location=settings.location,
    vault_name=names.vault,
    tenant_id=client.tenant_id,
    sku=settings.key_vault.sku,
    soft_delete_retention_in_days=settings.key_vault.soft_delete_retention_in_days,
    enable_purge_protection=settings.key_vault.enable_purge_protection,
    public_network_access=settings.vault_public_network_access,
    network_acls=settings.vault_network_acls,
    lock=settings.lock,
    tags=tags,
    existing=ExistingVault(settings.key_vault.existing_id, existing["name"], existing["group"]) if existing else None,
))
account = AiServicesAccount(prefix, AiServicesAccountArgs(
    resource_group_name=group_name,
    location=settings.location,
    account_name=names.account,
    custom_sub_domain_name=names.custom_sub_domain,
    kind=settings.kind,
    sku=settings.sku,
    disable_local_auth=settings.disable_local_auth,
    public_network_access=settings.public_network_access,
    network_acls=settings.network_acls,
    deployments=settings.deployments,
    restore=settings.restore,
    lock=settings.lock,
    tags=tags,
))

key_export = None
if settings.local_auth_enabled:
    key_export = KeyExport(prefix, KeyExportArgs(
        account_name=account.name,
        account_resource_group_name=group_name,
        vault_name=vault.name,
        vault_resource_group_name=vault.resource_group_name,
        secrets=settings.secrets,
        tags=tags,
    ))

deployer_type = deployer_principal_type(
    settings.deployer_principal_type, os.environ, pulumi.Config("azure-native").get("clientId"))
grants = grants_for(settings, client.object_id, deployer_type)
roles = None
if grants:
    roles = RoleAssignments(prefix, RoleAssignmentsArgs(
        subscription_id=subscription,
        grants=tuple(grants),
        vault_id=vault.id,
        vault_id_text=settings.key_vault.existing_id or naming.vault_id(subscription, names.resource_group, names.vault),
        account_id=account.id,
        account_id_text=naming.account_id(subscription, names.resource_group, names.account),
    ))

pulumi.export("endpoint", account.endpoint)
pulumi.export("accountName", account.name)
pulumi.export("accountId", account.id)
pulumi.export("resourceGroupName", group_name)
pulumi.export("location", settings.location)
pulumi.export("kind", settings.kind)
pulumi.export("customSubDomainName", names.custom_sub_domain)
pulumi.export("localAuthEnabled", settings.local_auth_enabled)
pulumi.export("keyVaultName", vault.name)
pulumi.export("keyVaultUri", vault.uri)
if settings.local_auth_enabled:  # keys themselves are never exported
    pulumi.export("keySecretName", settings.secrets.current_name)
    pulumi.export("keySecretNames", {"key1": settings.secrets.key1_name, "key2": settings.secrets.key2_name})
pulumi.export("activeKey", settings.secrets.active_key)
pulumi.export("principalId", account.principal_id)
