"""The Key Vault that holds the account keys: a new one, or an existing one by id.

Secure defaults follow Azure Verified Modules (avm/res/key-vault/vault): RBAC
authorization (no access policies), soft delete with 90 days retention, purge
protection on, no VM/ARM-template/disk-encryption access, public network access
and ACLs as configured. TLS 1.2+ is enforced by the service.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import keyvault

from aisvc.config.settings import NetworkAcls
from components.locks import do_not_delete_lock


@dataclass(frozen=True)
class ExistingVault:
    id: str
    name: str
    resource_group_name: str


@dataclass(frozen=True)
class KeyVaultArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    vault_name: str
    tenant_id: str
    sku: str = "standard"
    soft_delete_retention_in_days: int = 90
    enable_purge_protection: bool = True
    public_network_access: str = "Enabled"
    network_acls: NetworkAcls | None = None
    lock: str = "none"
    tags: Mapping[str, str] = field(default_factory=dict)
    existing: ExistingVault | None = None  # use this vault, create nothing


def vault_network_acls(acls: NetworkAcls | None) -> keyvault.NetworkRuleSetArgs | None:
    if acls is None:
        return None
    return keyvault.NetworkRuleSetArgs(
        default_action=acls.default_action,
        bypass=acls.bypass,
        ip_rules=[keyvault.IPRuleArgs(value=rule) for rule in acls.ip_rules],
    )


class KeyVault(pulumi.ComponentResource):
    """``ai-services:key_vault:KeyVault``."""

    TYPE = "ai-services:key_vault:KeyVault"

    vault: keyvault.Vault | None
    id: pulumi.Output[str]
    name: pulumi.Output[str]
    resource_group_name: pulumi.Output[str]
    uri: pulumi.Output[str]

    def __init__(self, name: str, args: KeyVaultArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        if args.existing:
            # An existing vault must already use RBAC authorization (the role assignments rely on it).
            self.vault = None
            self.id = pulumi.Output.from_input(args.existing.id)
            self.name = pulumi.Output.from_input(args.existing.name)
            self.resource_group_name = pulumi.Output.from_input(args.existing.resource_group_name)
            self.uri = pulumi.Output.from_input(f"https://{args.existing.name}.vault.azure.net/")
        else:
            self.vault = self._vault(name, args)
            self.id = self.vault.id
            self.name = self.vault.name
            self.resource_group_name = pulumi.Output.from_input(args.resource_group_name)
            self.uri = self.vault.properties.apply(lambda props: props.vault_uri)
            if args.lock == "CanNotDelete":
                do_not_delete_lock(
                    self, name, self.vault.id, args.vault_name,
                    "Apps read the AI services key from this vault. Remove the lock first.",
                )
        self.register_outputs({"id": self.id, "name": self.name, "uri": self.uri})

    def _vault(self, name: str, args: KeyVaultArgs) -> keyvault.Vault:
        return keyvault.Vault(
            name,
            vault_name=args.vault_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=args.tenant_id,
                sku=keyvault.SkuArgs(family="A", name=args.sku),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=args.soft_delete_retention_in_days,
                # ARM rejects an explicit false: purge protection is either on or absent.
                enable_purge_protection=True if args.enable_purge_protection else None,
                enabled_for_deployment=False,
                enabled_for_disk_encryption=False,
                enabled_for_template_deployment=False,
                public_network_access=args.public_network_access,
                network_acls=vault_network_acls(args.network_acls),
            ),
            tags=dict(args.tags) or None,
            opts=pulumi.ResourceOptions(parent=self),
        )
