"""The Azure AI services account: custom subdomain, managed identity, network rules,
model deployments (one after another), optional lock.

Secure defaults follow Azure Verified Modules (avm/res/cognitive-services/account):
a custom subdomain (needed for Entra ID tokens), a system-assigned identity, and
public network access / ACLs exactly as configured. TLS 1.2+ is enforced by the
service itself; the account has no setting to weaken it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import cognitiveservices

from aisvc.config.settings import ModelDeployment, NetworkAcls
from components.locks import do_not_delete_lock


@dataclass(frozen=True)
class AiServicesAccountArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    account_name: str
    custom_sub_domain_name: str
    kind: str = "AIServices"
    sku: str = "S0"
    disable_local_auth: bool = False
    public_network_access: str = "Enabled"
    network_acls: NetworkAcls | None = None
    deployments: tuple[ModelDeployment, ...] = ()
    restore: bool = False
    lock: str = "none"
    tags: Mapping[str, str] = field(default_factory=dict)


def account_network_acls(acls: NetworkAcls | None) -> cognitiveservices.NetworkRuleSetArgs | None:
    if acls is None:
        return None
    return cognitiveservices.NetworkRuleSetArgs(
        default_action=acls.default_action,
        bypass=acls.bypass,
        ip_rules=[cognitiveservices.IpRuleArgs(value=rule) for rule in acls.ip_rules],
    )


class AiServicesAccount(pulumi.ComponentResource):
    """``ai-services:account:AiServicesAccount``."""

    TYPE = "ai-services:account:AiServicesAccount"

    account: cognitiveservices.Account
    id: pulumi.Output[str]
    name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    principal_id: pulumi.Output[str]
    deployments: list[cognitiveservices.Deployment]

    def __init__(self, name: str, args: AiServicesAccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.account = self._account(name, args)
        self.id = self.account.id
        self.name = self.account.name
        # The contract's endpoint: the custom subdomain host, the only one that takes Entra ID tokens.
        subdomain = args.custom_sub_domain_name
        self.endpoint = self.account.id.apply(lambda _: f"https://{subdomain}.cognitiveservices.azure.com/")
        self.principal_id = self.account.identity.apply(lambda identity: identity.principal_id if identity else None)
        self.deployments = self._deployments(name, args)
        if args.lock == "CanNotDelete":
            do_not_delete_lock(
                self, name, self.account.id, args.account_name,
                "Deleting this account soft-deletes it and breaks every app that reads its key. Remove the lock first.",
            )
        self.register_outputs({
            "id": self.id, "name": self.name, "endpoint": self.endpoint, "principalId": self.principal_id,
        })

    def _account(self, name: str, args: AiServicesAccountArgs) -> cognitiveservices.Account:
        return cognitiveservices.Account(
            name,
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind=args.kind,
            sku=cognitiveservices.SkuArgs(name=args.sku),
            identity=cognitiveservices.IdentityArgs(type="SystemAssigned"),
            properties=cognitiveservices.AccountPropertiesArgs(
                custom_sub_domain_name=args.custom_sub_domain_name,
                disable_local_auth=args.disable_local_auth,
                public_network_access=args.public_network_access,
                network_acls=account_network_acls(args.network_acls),
                # Only sent when asked: re-creating a soft-deleted name otherwise fails with
                # FlagMustBeSetForRestore, which is the safe default.
                restore=True if args.restore else None,
            ),
            tags=dict(args.tags) or None,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _deployments(self, name: str, args: AiServicesAccountArgs) -> list[cognitiveservices.Deployment]:
        """One after another: Azure rejects concurrent deployment writes on one account."""
        created: list[cognitiveservices.Deployment] = []
        for spec in args.deployments:
            created.append(cognitiveservices.Deployment(
                f"{name}-{spec.name}",
                account_name=self.account.name,
                resource_group_name=args.resource_group_name,
                deployment_name=spec.name,
                properties=cognitiveservices.DeploymentPropertiesArgs(
                    model=cognitiveservices.DeploymentModelArgs(
                        format=spec.model_format, name=spec.model_name, version=spec.model_version,
                    ),
                ),
                sku=cognitiveservices.SkuArgs(name=spec.sku_name, capacity=spec.capacity),
                opts=pulumi.ResourceOptions(parent=self, depends_on=created[-1:]),
            ))
        return created
