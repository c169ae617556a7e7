"""The ai-services Pulumi program: read settings, build the AiServices component, export outputs.

Everything is decided in plain Python first (settings, names, principals), so a bad
stack config stops the run before any resource is registered. `aisvc plan` runs
this same file under the Pulumi SDK mock engine.
"""
import os

import pulumi
from pulumi_azure_native import authorization

from aisvc.config import naming
from aisvc.config.grants import deployer_principal
from aisvc.config.settings import NetworkAcls, Principal, Settings, SettingsError, load
from aisvc.contract import NAMESPACE, OutputName
from components import (
    AiServices,
    AiServicesArgs,
    Bypass,
    CredentialKey,
    DefaultAction,
    Kind,
    LockLevel,
    ModelDeploymentArgs,
    NetworkAclsArgs,
    PrincipalArgs,
    PrincipalType,
    PrivateEndpointsArgs,
    PublicNetworkAccess,
    ResourceGroup,
    ResourceGroupArgs,
    SecretNamesArgs,
    VaultSettingsArgs,
    VaultSku,
)


def network_acls(acls: NetworkAcls) -> NetworkAclsArgs:
    return NetworkAclsArgs(default_action=DefaultAction(acls.default_action), bypass=Bypass(acls.bypass),
                           ip_rules=list(acls.ip_rules))


def principals(items: tuple[Principal, ...]) -> list[PrincipalArgs]:
    return [PrincipalArgs(principal_id=p.principal_id, principal_type=PrincipalType(p.principal_type)) for p in items]


def vault_settings(settings: Settings, vault_name: str) -> VaultSettingsArgs:
    vault = settings.key_vault
    if vault.existing_id:
        return VaultSettingsArgs(existing_id=vault.existing_id)
    chosen = VaultSettingsArgs(
        name=vault_name, sku=VaultSku(vault.sku), soft_delete_retention_in_days=vault.soft_delete_retention_in_days,
        enable_purge_protection=vault.enable_purge_protection,
        public_network_access=PublicNetworkAccess(settings.vault_public_network_access),
    )
    if settings.vault_network_acls:
        chosen["network_acls"] = network_acls(settings.vault_network_acls)
    return chosen


def secret_names(settings: Settings) -> SecretNamesArgs:
    secrets = settings.secrets
    chosen = SecretNamesArgs(key1_name=secrets.key1_name, key2_name=secrets.key2_name, current_name=secrets.current_name,
                             active_key=CredentialKey(secrets.active_key), expires_after_days=secrets.expires_after_days)
    if secrets.rotated_at:
        chosen["rotated_at"] = secrets.rotated_at
    return chosen


def private_endpoints(settings: Settings) -> PrivateEndpointsArgs | None:
    given = settings.private_endpoints
    if given is None:
        return None
    chosen = PrivateEndpointsArgs(subnet_id=given.subnet_id, dns_zone_ids=dict(given.dns_zone_ids))
    if given.virtual_network_id:
        chosen["virtual_network_id"] = given.virtual_network_id
    return chosen


def deployments(settings: Settings) -> list[ModelDeploymentArgs]:
    chosen = []
    for spec in settings.deployments:
        deployment = ModelDeploymentArgs(name=spec.name, model_format=spec.model_format, model_name=spec.model_name,
                                         sku_name=spec.sku_name, capacity=spec.capacity)
        if spec.model_version is not None:
            deployment["model_version"] = spec.model_version
        chosen.append(deployment)
    return chosen


def check_vault_subscription(settings: Settings, subscription_id: str) -> None:
    """An existing vault must be in the deploying subscription: the provider writes the secrets through it.

    Refused here, before any resource is registered, instead of a late and confusing 404 from ARM.
    """
    existing = settings.key_vault.existing
    if existing and existing["subscription"].lower() != subscription_id.lower():
        raise SettingsError([
            f"{NAMESPACE}:keyVault.existingId is in subscription {existing['subscription']}, but this stack deploys to"
            f" {subscription_id}: use a vault in the deploying subscription (the key secrets are written through it)"])


try:
    settings = load()
    client = authorization.get_client_config()  # synchronous: plain strings for names and ids
    check_vault_subscription(settings, client.subscription_id)
    names = naming.derive_names(settings, client.subscription_id, pulumi.get_project(), pulumi.get_stack())
except SettingsError as error:
    raise pulumi.RunError(str(error)) from None  # a clean one-line message, no traceback

def restore_on_create(wanted: bool) -> pulumi.Input[bool]:
    """``restore: true`` sent only while the stack has no account yet (new, or after `destroy`).

    Azure refuses restore on every update (nothing soft-deleted), and ignoreChanges cannot help: it
    would keep sending the value stored at create. The stack's own last outputs tell whether the
    account exists: no ``accountId`` means this `pulumi up` creates it. One read, only with restore.
    """
    if not wanted:
        return False
    own = pulumi.StackReference(f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}")
    return own.get_output(OutputName.ACCOUNT_ID).apply(lambda existing: not existing)


prefix = settings.name_prefix
tags = dict(settings.tags)
if settings.resource_group_name:
    group_name: pulumi.Input[str] = settings.resource_group_name
else:
    group_name = ResourceGroup(prefix, ResourceGroupArgs(name=names.resource_group, location=settings.location, tags=tags)).name

args = AiServicesArgs(
    subscription_id=client.subscription_id,
    tenant_id=client.tenant_id,
    resource_group_name=group_name,
    location=settings.location,
    account_name=names.account,
    custom_sub_domain_name=names.custom_sub_domain,
    key_vault=vault_settings(settings, names.vault),
    kind=Kind(settings.kind),
    sku=settings.sku,
    disable_local_auth=settings.disable_local_auth,
    public_network_access=PublicNetworkAccess(settings.public_network_access),
    deployments=deployments(settings),
    restore=restore_on_create(settings.restore),
    secrets=secret_names(settings),
    secret_readers=principals(settings.secret_readers),
    service_users=principals(settings.service_users),
    lock=LockLevel(settings.lock),
    tags=tags,
)
if settings.network_acls:
    args["network_acls"] = network_acls(settings.network_acls)
endpoints = private_endpoints(settings)
if endpoints:
    args["private_endpoints"] = endpoints
if settings.diagnostics:
    args["diagnostics_workspace_id"] = settings.diagnostics.workspace_id
deployer = deployer_principal(settings, client.object_id, os.environ, pulumi.Config("azure-native").get("clientId"))
if deployer:
    args["deployer"] = principals((deployer,))[0]
ai = AiServices(prefix, args)

outputs = ai.outputs()
outputs[OutputName.RESOURCE_GROUP_NAME] = group_name  # the group's Output when the program created it
for name in OutputName:
    if name in outputs:  # keySecretName(s) only with local auth; keys themselves are never exported
        pulumi.export(name, outputs[name])
