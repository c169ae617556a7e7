"""AiServices: an Azure AI services account whose keys live in Key Vault, with least-privilege roles.

It composes the pieces in this package: the account (with model deployments and
an optional lock), a new or existing vault, the key export (only with local auth
on) and the role assignments. Other Python programs use it directly; programs in
any other Pulumi language use it through the component package (`pulumi package
add`, see components/__main__.py).

Secure defaults follow Azure Verified Modules (avm/res/cognitive-services/account
and avm/res/key-vault/vault): local auth off (Entra ID only) unless asked for, a
system-assigned identity, a vault with RBAC authorization, soft delete 90 days and
purge protection. Keys are never outputs: they exist only as secret Outputs that
go straight into Key Vault.
"""
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

import pulumi

from aisvc.contract import (
    ACCOUNT_PE_GROUP,
    DEFAULT_SECRET_NAMES,
    VAULT_DNS_ZONE,
    VAULT_PE_GROUP,
    account_dns_zones,
    secret_scope,
    vault_grant_scope,
)
from components.account import AiServicesAccount, AiServicesAccountArgs
from components.diagnostics import Diagnostics, DiagnosticsArgs
from components.inputs import (
    DEFAULT_ACTIVE_KEY,
    DEFAULT_KIND,
    GrantTarget,
    Kind,
    LockLevel,
    ModelDeploymentArgs,
    NetworkAclsArgs,
    PrincipalArgs,
    PrivateEndpointsArgs,
    PublicNetworkAccess,
    SecretNamesArgs,
    VaultSku,
)
from components.key_export import KeyExport, KeyExportArgs
from components.key_vault import KeyVault, KeyVaultArgs
from components.private_endpoint import PrivateEndpoint, PrivateEndpointArgs
from components.role_assignments import RoleAssignments, RoleAssignmentsArgs, grants_for


class VaultSettingsArgs(TypedDict, total=False):
    """The vault the keys go to: a new one (name) or an existing one (existing_id)."""

    name: str
    """Name of a new vault (3-24 characters, globally unique)."""
    existing_id: str
    """Resource id of an existing vault with RBAC authorization; nothing is created."""
    sku: VaultSku
    """Default: standard."""
    soft_delete_retention_in_days: pulumi.Input[int]
    """7-90. Default: 90."""
    enable_purge_protection: bool
    """Default: true."""
    public_network_access: pulumi.Input[PublicNetworkAccess]
    """Default: the account's."""
    network_acls: NetworkAclsArgs
    """Default: the account's."""


class AiServicesArgs(TypedDict):
    """Inputs of AiServices. Plain (non-Input) values must be known when the component is registered."""

    subscription_id: str
    """Subscription the role definitions are read from (getClientConfig's subscriptionId)."""
    tenant_id: pulumi.Input[str]
    """Entra ID tenant of a new vault (getClientConfig's tenantId)."""
    resource_group_name: pulumi.Input[str]
    """Resource group of the account and of a new vault."""
    location: pulumi.Input[str]
    """Azure region."""
    account_name: str
    """Account name (2-64 characters); plain because it names the lock."""
    key_vault: VaultSettingsArgs
    """The vault the keys are written to and secret readers are granted on."""
    custom_sub_domain_name: NotRequired[str]
    """The endpoint's DNS label. Default: account_name."""
    kind: NotRequired[Kind]
    """Account kind. Default: AIServices. Plain: OpenAI adds the OpenAI User role."""
    sku: NotRequired[pulumi.Input[str]]
    """Account pricing tier. Default: S0."""
    disable_local_auth: NotRequired[bool]
    """True: Entra ID only; no key is listed or stored. Default: true. Plain: it decides whether the keys are exported."""
    public_network_access: NotRequired[pulumi.Input[PublicNetworkAccess]]
    """Default: Enabled (no private endpoint is created; restrict with network_acls)."""
    network_acls: NotRequired[NetworkAclsArgs]
    """Network rules of the account (and of a new vault unless key_vault has its own)."""
    deployments: NotRequired[list[ModelDeploymentArgs]]
    """Model deployments, created one after another."""
    restore: NotRequired[pulumi.Input[bool]]
    """Recover a soft-deleted account of the same name: true only for the `pulumi up` that creates it. Default: false."""
    secrets: NotRequired[SecretNamesArgs]
    """Names of the key secrets and which key is active."""
    secret_readers: NotRequired[list[PrincipalArgs]]
    """Principals that get Key Vault Secrets User on the vault."""
    service_users: NotRequired[list[PrincipalArgs]]
    """Principals that get Cognitive Services User (and OpenAI User for kind OpenAI) on the account."""
    deployer: NotRequired[PrincipalArgs]
    """The principal running the deployment: gets both roles, so a post-deploy check can run."""
    lock: NotRequired[LockLevel]
    """CanNotDelete locks the account and a new vault. Default: none."""
    tags: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Tags on every resource created."""
    private_endpoints: NotRequired[PrivateEndpointsArgs]
    """Private endpoints for the account and a new vault; public network access then defaults to Disabled."""
    diagnostics_workspace_id: NotRequired[pulumi.Input[str]]
    """Log Analytics workspace that gets all logs and metrics of the account and a new vault."""


class AiServices(pulumi.ComponentResource):
    """An Azure AI services account with its keys in Key Vault and least-privilege role assignments."""

    TYPE = "ai-services:index:AiServices"

    endpoint: pulumi.Output[str]
    """The endpoint Azure reports: https://<customSubDomainName>.cognitiveservices.azure.com/ (openai.azure.com for OpenAI)"""
    account_name: pulumi.Output[str]
    """The account's name."""
    account_id: pulumi.Output[str]
    """The account's resource id."""
    resource_group_name: pulumi.Output[str]
    """The account's resource group."""
    location: pulumi.Output[str]
    """Azure region."""
    kind: pulumi.Output[str]
    """The account kind."""
    custom_sub_domain_name: pulumi.Output[str]
    """The endpoint's DNS label."""
    local_auth_enabled: pulumi.Output[bool]
    """Whether the account takes keys (and they are in Key Vault)."""
    key_vault_name: pulumi.Output[str]
    """The vault holding the keys."""
    key_vault_uri: pulumi.Output[str]
    """https://<keyVaultName>.vault.azure.net/"""
    key_secret_name: pulumi.Output[str] | None
    """The secret apps read (the active key); absent without local auth."""
    key_secret_names: pulumi.Output[dict[str, str]] | None
    """{key1: <secret>, key2: <secret>}; absent without local auth."""
    active_key: pulumi.Output[str]
    """key1 or key2: the key the current secret holds."""
    principal_id: pulumi.Output[str]
    """Object id of the account's system-assigned identity."""
    public_network_access: pulumi.Output[str]
    """Enabled or Disabled: whether the account's public endpoint answers at all."""
    private_endpoint_subnet_id: pulumi.Output[str] | None
    """Subnet of the private endpoints (callers must run in its network); absent without private endpoints."""
    network_acl_ip_rules: pulumi.Output[list[str]] | None
    """IP ranges the account's network rules let in; absent without network_acls."""

    def __init__(self, name: str, args: AiServicesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        local_auth = not args.get("disable_local_auth", True)
        # The vault and the account do not depend on each other: they are created in parallel.
        self.vault = vault = KeyVault(name, _vault_args(args), self._child_options())
        self.account = account = AiServicesAccount(name, _account_args(args), self._child_options())
        secrets = args.get("secrets") or SecretNamesArgs()
        self.key_export: KeyExport | None = None
        if local_auth:
            self.key_export = KeyExport(name, KeyExportArgs(
                account_name=account.name, account_resource_group_name=args["resource_group_name"],
                vault_name=vault.name, vault_resource_group_name=vault.resource_group_name,
                secrets=secrets, tags=args.get("tags") or {}, account_id=account.id,
            ), self._child_options())
        self.role_assignments = self._role_assignments(name, args, account, vault)

        self.private_endpoints = self._private_endpoints(name, args, account, vault)
        self.diagnostics: Diagnostics | None = None
        if "diagnostics_workspace_id" in args:
            diagnostics = DiagnosticsArgs(workspace_id=args["diagnostics_workspace_id"], account_id=account.id)
            if vault.vault is not None:
                diagnostics["vault_id"] = vault.id
            self.diagnostics = Diagnostics(name, diagnostics, pulumi.ResourceOptions(parent=self))
        # The locks come last: each depends on the deployments and grants under its scope, so `destroy`
        # (or `lock: none`) removes it before them; ARM refuses deletes under a lock (ScopeLocked).
        granted = self.role_assignments.by_target if self.role_assignments else {}
        lock = args.get("lock", LockLevel.NONE)
        # Diagnostic settings are extension resources of the account and the vault, and a private endpoint's
        # connection is a child of what it serves: under the lock too.
        logged = [self.diagnostics] if self.diagnostics is not None else []
        account.lock = account.add_lock(lock, [*granted.get(GrantTarget.ACCOUNT, []), *logged, *self.private_endpoints])
        vault.lock = vault.add_lock(lock, [*granted.get(GrantTarget.VAULT, []), *logged, *self.private_endpoints])

        self.endpoint, self.account_name, self.account_id = account.endpoint, account.name, account.id
        self.principal_id = account.principal_id
        self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
        self.location = pulumi.Output.from_input(args["location"])
        self.kind = pulumi.Output.from_input(str(args.get("kind", DEFAULT_KIND)))
        self.custom_sub_domain_name = pulumi.Output.from_input(_subdomain(args))
        self.local_auth_enabled = pulumi.Output.from_input(local_auth)
        self.key_vault_name, self.key_vault_uri = vault.name, vault.uri
        self.active_key = pulumi.Output.from_input(str(secrets.get("active_key", DEFAULT_ACTIVE_KEY)))
        self.public_network_access = pulumi.Output.from_input(
            args.get("public_network_access", _default_public_access(args))).apply(str)
        endpoints, acls = args.get("private_endpoints"), args.get("network_acls")
        self.private_endpoint_subnet_id = pulumi.Output.from_input(endpoints["subnet_id"]) if endpoints else None
        self.network_acl_ip_rules = pulumi.Output.all(*acls.get("ip_rules", [])) if acls else None
        self.key_secret_name = self.key_secret_names = None
        if local_auth:  # the names only; the keys themselves are never outputs
            self.key_secret_name = pulumi.Output.from_input(secrets.get("current_name", DEFAULT_SECRET_NAMES["current"]))
            self.key_secret_names = pulumi.Output.all(
                key1=secrets.get("key1_name", DEFAULT_SECRET_NAMES["key1"]),
                key2=secrets.get("key2_name", DEFAULT_SECRET_NAMES["key2"]),
            )
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, pulumi.Input[Any]]:
        """The outputs by their schema (camelCase) names; keySecretName(s) only with local auth."""
        outputs: dict[str, pulumi.Input[Any] | None] = {
            "endpoint": self.endpoint, "accountName": self.account_name, "accountId": self.account_id,
            "resourceGroupName": self.resource_group_name, "location": self.location, "kind": self.kind,
            "customSubDomainName": self.custom_sub_domain_name, "localAuthEnabled": self.local_auth_enabled,
            "keyVaultName": self.key_vault_name, "keyVaultUri": self.key_vault_uri,
            "keySecretName": self.key_secret_name, "keySecretNames": self.key_secret_names,
            "activeKey": self.active_key, "principalId": self.principal_id,
            "publicNetworkAccess": self.public_network_access, "privateEndpointSubnetId": self.private_endpoint_subnet_id,
            "networkAclIpRules": self.network_acl_ip_rules,
        }
        return {key: value for key, value in outputs.items() if value is not None}

    def _role_assignments(self, name: str, args: AiServicesArgs, account: AiServicesAccount,
                          vault: KeyVault) -> RoleAssignments | None:
        """The grants; on a shared vault at the app-facing secret, each waiting for that secret."""
        shared = "existing_id" in args["key_vault"]
        grants = grants_for(args.get("kind", DEFAULT_KIND), args.get("secret_readers") or [],
                            args.get("service_users") or [], args.get("deployer"),
                            vault_grant_scope(shared, keys_exported=self.key_export is not None))
        if not grants:
            return None
        assignments = RoleAssignmentsArgs(subscription_id=args["subscription_id"], grants=grants, vault_id=vault.id,
                                          account_id=account.id)
        if self.key_export is not None and shared:
            assignments["secret_id"] = pulumi.Output.all(vault.id, self.key_export.current.name).apply(
                lambda parts: secret_scope(parts[0], parts[1]))
        return RoleAssignments(name, assignments, self._child_options())

    def _private_endpoints(self, name: str, args: AiServicesArgs, account: AiServicesAccount,
                           vault: KeyVault) -> list[PrivateEndpoint]:
        """One endpoint for the account and one for a new vault, each waiting for what it serves.

        The account's waits for the whole account component (model deployments too): connecting
        an endpoint writes to the account, and Azure refuses a write while another one runs.
        """
        settings = args.get("private_endpoints")
        if settings is None:
            return []
        kind = str(args.get("kind", DEFAULT_KIND))
        # Each endpoint waits for the resources it serves, not their components: a component's children
        # include its lock, which must instead wait for the endpoints (destroy removes the lock first).
        targets: list[tuple[str, str, pulumi.Output[str], str, list[str], list[pulumi.Resource]]] = [
            (f"{name}-account", f"pe-{args['account_name']}", account.id, ACCOUNT_PE_GROUP,
             list(account_dns_zones(kind)), [account.account, *account.deployments])]
        vault_name = args["key_vault"].get("name")
        if vault.vault is not None and vault_name:
            targets.append((f"{name}-vault", f"pe-{vault_name}", vault.id, VAULT_PE_GROUP, [VAULT_DNS_ZONE],
                            [vault.vault]))
        endpoints = []
        for resource_name, endpoint_name, target_id, group, zones, serves in targets:
            endpoint = PrivateEndpointArgs(
                resource_group_name=args["resource_group_name"], location=args["location"],
                endpoint_name=endpoint_name, subnet_id=settings["subnet_id"], target_id=target_id, group_id=group,
                zones=zones, dns_zone_ids=settings.get("dns_zone_ids") or {}, tags=args.get("tags") or {},
            )
            if "virtual_network_id" in settings:
                endpoint["virtual_network_id"] = settings["virtual_network_id"]
            endpoints.append(PrivateEndpoint(resource_name, endpoint,
                                             pulumi.ResourceOptions(parent=self, depends_on=serves)))
        return endpoints

    def _child_options(self) -> pulumi.ResourceOptions:
        """Before AiServices existed the pieces were children of the stack; the alias keeps their URNs.

        Without it, every resource of a stack deployed then would be replaced on the next `pulumi up`.
        Children of the pieces inherit the alias.
        """
        return pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])


def _default_public_access(args: AiServicesArgs) -> PublicNetworkAccess:
    """Behind private endpoints the public endpoint is off unless asked for."""
    return PublicNetworkAccess.DISABLED if "private_endpoints" in args else PublicNetworkAccess.ENABLED


def _subdomain(args: AiServicesArgs) -> str:
    return args.get("custom_sub_domain_name") or args["account_name"]


def _account_args(args: AiServicesArgs) -> AiServicesAccountArgs:
    account = AiServicesAccountArgs(
        resource_group_name=args["resource_group_name"],
        location=args["location"],
        account_name=args["account_name"],
        custom_sub_domain_name=_subdomain(args),
        kind=args.get("kind", DEFAULT_KIND),
        sku=args.get("sku", "S0"),
        disable_local_auth=args.get("disable_local_auth", True),
        public_network_access=args.get("public_network_access", _default_public_access(args)),
        deployments=args.get("deployments") or [],
        restore=args.get("restore", False),
        lock=LockLevel.NONE,  # added by AiServices once the grants exist
        tags=args.get("tags") or {},
    )
    if "network_acls" in args:
        account["network_acls"] = args["network_acls"]
    return account


def _vault_args(args: AiServicesArgs) -> KeyVaultArgs:
    settings = args["key_vault"]
    vault = KeyVaultArgs(
        resource_group_name=args["resource_group_name"],
        location=args["location"],
        tenant_id=args["tenant_id"],
        sku=settings.get("sku", VaultSku.STANDARD),
        soft_delete_retention_in_days=settings.get("soft_delete_retention_in_days", 90),
        enable_purge_protection=settings.get("enable_purge_protection", True),
        public_network_access=settings.get(
            "public_network_access", args.get("public_network_access", _default_public_access(args))),
        lock=LockLevel.NONE,  # added by AiServices once the grants exist
        tags=args.get("tags") or {},
    )
    if "existing_id" in settings:
        vault["existing_vault_id"] = settings["existing_id"]
    if "name" in settings:
        vault["vault_name"] = settings["name"]
    acls = settings.get("network_acls") or args.get("network_acls")
    if acls:
        vault["network_acls"] = acls
    return vault
