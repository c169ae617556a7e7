"""The Key Vault that holds the account keys: a new one, or an existing one by id.

Secure defaults follow Azure Verified Modules (avm/res/key-vault/vault): RBAC
authorization (no access policies), soft delete with 90 days retention, purge
protection on, no VM/ARM-template/disk-encryption access, public network access
and ACLs as given. TLS 1.2+ is enforced by the service.
"""
from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import authorization, keyvault

from aisvc.contract import VAULT_ID_RE
from components.inputs import LockLevel, NetworkAclsArgs, PublicNetworkAccess, VaultSku
from components.locks import lock_if_asked


class KeyVaultArgs(TypedDict):
    """Inputs of the vault: a new one (vault_name), or an existing one (existing_vault_id)."""

    resource_group_name: pulumi.Input[str]
    """The resource group of a new vault."""
    location: pulumi.Input[str]
    """Azure region of a new vault."""
    tenant_id: pulumi.Input[str]
    """Entra ID tenant of a new vault."""
    vault_name: NotRequired[str]
    """Name of a new vault; plain because it names the lock."""
    existing_vault_id: NotRequired[str]
    """Resource id of an existing vault (RBAC authorization) to use instead; plain: it decides whether a vault is created."""
    sku: NotRequired[VaultSku]
    """Default: standard."""
    soft_delete_retention_in_days: NotRequired[pulumi.Input[int]]
    """7-90. Default: 90."""
    enable_purge_protection: NotRequired[bool]
    """Default: true. Plain: false is left out, ARM rejects an explicit false."""
    public_network_access: NotRequired[pulumi.Input[PublicNetworkAccess]]
    """Default: Enabled."""
    network_acls: NotRequired[NetworkAclsArgs]
    """Network rules; none by default."""
    lock: NotRequired[LockLevel]
    """CanNotDelete adds a management lock on a new vault. Default: none."""
    tags: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Tags on a new vault."""


def vault_network_acls(acls: NetworkAclsArgs | None) -> keyvault.NetworkRuleSetArgs | None:
    if acls is None:
        return None
    return keyvault.NetworkRuleSetArgs(
        default_action=acls["default_action"],
        bypass=acls.get("bypass", "AzureServices"),
        ip_rules=[keyvault.IPRuleArgs(value=rule) for rule in acls.get("ip_rules", [])],
    )


def existing_vault_parts(vault_id: str) -> tuple[str, str]:
    """(resource group, name) of a vault resource id; ValueError naming the id otherwise."""
    match = VAULT_ID_RE.match(vault_id)
    if not match:
        raise ValueError(f"existing_vault_id {vault_id!r} is not a Key Vault resource id")
    return match["group"], match["name"]


class KeyVault(pulumi.ComponentResource):
    """The Key Vault the account keys are written to."""

    TYPE = "ai-services:key_vault:KeyVault"

    id: pulumi.Output[str]
    """The vault's resource id."""
    name: pulumi.Output[str]
    """The vault's name."""
    resource_group_name: pulumi.Output[str]
    """The vault's resource group."""
    uri: pulumi.Output[str]
    """https://<name>.vault.azure.net/"""

    def __init__(self, name: str, args: KeyVaultArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.vault: keyvault.Vault | None = None
        self.lock: authorization.ManagementLockByScope | None = None
        existing_id = args.get("existing_vault_id")
        if existing_id:
            # An existing vault must already use RBAC authorization (the role assignments rely on it).
            group, vault_name = existing_vault_parts(existing_id)
            self.id = pulumi.Output.from_input(existing_id)
            self.name = pulumi.Output.from_input(vault_name)
            self.resource_group_name = pulumi.Output.from_input(group)
            self.uri = pulumi.Output.from_input(f"https://{vault_name}.vault.azure.net/")
        else:
            vault_name = args.get("vault_name") or ""
            if not vault_name:
                raise ValueError(f"KeyVault {name}: give vault_name (a new vault) or existing_vault_id")
            self.vault = vault = self._vault(name, vault_name, args)
            self.id = vault.id
            self.name = vault.name
            self.resource_group_name = pulumi.Output.from_input(args["resource_group_name"])
            self.uri = vault.properties.apply(lambda props: props.vault_uri)
            self._name, self._vault_name = name, vault_name
            self.lock = self.add_lock(args.get("lock"))
        self.register_outputs({"id": self.id, "name": self.name, "uri": self.uri})

    def add_lock(
        self, level: LockLevel | None, children: Sequence[pulumi.Resource] = (),
    ) -> authorization.ManagementLockByScope | None:
        """A new vault's lock, after (and on destroy before) ``children`` under the vault; None for an existing vault.

        A composite that adds role assignments on the vault leaves ``lock`` out of the args and calls this
        once they exist (AiServices does); the lock keeps its URN either way.
        """
        if self.vault is None:
            return None
        return lock_if_asked(
            level, self, self._name, self.vault.id, self._vault_name,
            "Apps read the AI services key from this vault. Remove the lock first.", children,
        )

    def _vault(self, name: str, vault_name: str, args: KeyVaultArgs) -> keyvault.Vault:
        tags = args.get("tags") or {}
        return keyvault.Vault(
            name,
            vault_name=vault_name,
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=args["tenant_id"],
                sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName(args.get("sku", VaultSku.STANDARD))),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=args.get("soft_delete_retention_in_days", 90),
                # ARM rejects an explicit false: purge protection is either on or absent.
                enable_purge_protection=True if args.get("enable_purge_protection", True) else None,
                enabled_for_deployment=False,
                enabled_for_disk_encryption=False,
                enabled_for_template_deployment=False,
                public_network_access=args.get("public_network_access", PublicNetworkAccess.ENABLED),
                network_acls=vault_network_acls(args.get("network_acls")),
            ),
            tags=dict(tags) or None,
            opts=pulumi.ResourceOptions(parent=self),
        )
