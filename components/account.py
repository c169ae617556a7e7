"""The Azure AI services account: custom subdomain, managed identity, network rules,
model deployments (one after another), optional lock.

Secure defaults follow Azure Verified Modules (avm/res/cognitive-services/account):
local (key) auth off unless asked for, a custom subdomain (needed for Entra ID
tokens), a system-assigned identity, and public network access / ACLs exactly as
given. TLS 1.2+ is enforced by the service itself; the account has no setting to
weaken it.
"""
from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict, cast

import pulumi
from pulumi_azure_native import authorization, cognitiveservices

from components.inputs import DEFAULT_KIND, Kind, LockLevel, ModelDeploymentArgs, NetworkAclsArgs, PublicNetworkAccess
from components.locks import lock_if_asked


class AiServicesAccountArgs(TypedDict):
    """Inputs of one AI services account."""

    resource_group_name: pulumi.Input[str]
    """The resource group the account lives in."""
    location: pulumi.Input[str]
    """Azure region."""
    account_name: str
    """Account name; plain because it names the lock."""
    custom_sub_domain_name: str
    """The endpoint's DNS label (<name>.cognitiveservices.azure.com); plain because the endpoint is built from it."""
    kind: NotRequired[Kind]
    """Account kind. Default: AIServices."""
    sku: NotRequired[pulumi.Input[str]]
    """Pricing tier. Default: S0."""
    disable_local_auth: NotRequired[bool]
    """True: Entra ID only, no keys. Default: true (Azure Verified Modules' secure default)."""
    public_network_access: NotRequired[pulumi.Input[PublicNetworkAccess]]
    """Default: Enabled (this component creates no private endpoint; restrict with network_acls)."""
    network_acls: NotRequired[NetworkAclsArgs]
    """Network rules; none by default."""
    deployments: NotRequired[list[ModelDeploymentArgs]]
    """Model deployments, created one after another (Azure rejects concurrent writes on one account)."""
    restore: NotRequired[pulumi.Input[bool]]
    """Recover a soft-deleted account of the same name. Default: false (never sent unless true).

    Azure refuses ``restore: true`` on every update: pass true only for the `pulumi up` that creates the
    account (the program reads its own stack's outputs for that, see __main__.py)."""
    lock: NotRequired[LockLevel]
    """CanNotDelete adds a management lock. Default: none."""
    tags: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Tags on the account."""


def account_network_acls(acls: NetworkAclsArgs | None) -> cognitiveservices.NetworkRuleSetArgs | None:
    if acls is None:
        return None
    return cognitiveservices.NetworkRuleSetArgs(
        default_action=acls["default_action"],
        bypass=acls.get("bypass", "AzureServices"),
        ip_rules=[cognitiveservices.IpRuleArgs(value=rule) for rule in acls.get("ip_rules", [])],
    )


def _principal_id(identity: cognitiveservices.outputs.IdentityResponse | None) -> str:
    # Always set once the account exists: it asks for a system-assigned identity.
    return cast(str, identity.principal_id if identity else None)


def _restore(wanted: pulumi.Input[bool]) -> pulumi.Input[bool | None]:
    """True or left out (an explicit false is never sent); an Output is decided when it resolves."""
    if isinstance(wanted, bool):
        return True if wanted else None
    decided: pulumi.Output[bool] = pulumi.Output.from_input(wanted)
    return decided.apply(_true_or_none)


def _true_or_none(value: bool) -> bool | None:
    return True if value else None


def _endpoint(properties: cognitiveservices.outputs.AccountPropertiesResponse) -> str:
    # Always set once the account exists with a custom subdomain; the contract promises a trailing '/'.
    endpoint = properties.endpoint
    return endpoint if endpoint.endswith("/") else endpoint + "/"


class AiServicesAccount(pulumi.ComponentResource):
    """An Azure AI services account with its model deployments."""

    TYPE = "ai-services:account:AiServicesAccount"

    id: pulumi.Output[str]
    """The account's resource id."""
    name: pulumi.Output[str]
    """The account's name."""
    endpoint: pulumi.Output[str]
    """The endpoint Azure reports (properties.endpoint), e.g. https://<customSubDomainName>.openai.azure.com/ for OpenAI."""
    principal_id: pulumi.Output[str]
    """Object id of the account's system-assigned identity."""

    def __init__(self, name: str, args: AiServicesAccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.account = self._account(name, args)
        self.id = self.account.id
        self.name = self.account.name
        # The contract's endpoint is what Azure reports: the custom subdomain host on the kind's domain
        # (cognitiveservices.azure.com, or openai.azure.com for OpenAI); the only host that takes Entra ID tokens.
        self.endpoint = self.account.properties.apply(_endpoint)
        self.principal_id = self.account.identity.apply(_principal_id)
        self.deployments = self._deployments(name, args)
        self._name, self._account_name = name, args["account_name"]
        self.lock = self.add_lock(args.get("lock"))
        self.register_outputs({
            "id": self.id, "name": self.name, "endpoint": self.endpoint, "principalId": self.principal_id,
        })

    def add_lock(
        self, level: LockLevel | None, children: Sequence[pulumi.Resource] = (),
    ) -> authorization.ManagementLockByScope | None:
        """The account's lock, after (and on destroy before) its deployments and ``children`` under the account.

        A composite that adds role assignments on the account leaves ``lock`` out of the args and calls this
        once they exist (AiServices does); the lock keeps its URN either way.
        """
        return lock_if_asked(
            level, self, self._name, self.account.id, self._account_name,
            "Deleting this account soft-deletes it and breaks every app that reads its key. Remove the lock first.",
            [*self.deployments, *children],
        )

    def _account(self, name: str, args: AiServicesAccountArgs) -> cognitiveservices.Account:
        tags = args.get("tags") or {}
        return cognitiveservices.Account(
            name,
            account_name=args["account_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            kind=str(args.get("kind", DEFAULT_KIND)),
            sku=cognitiveservices.SkuArgs(name=args.get("sku", "S0")),
            identity=cognitiveservices.IdentityArgs(type=cognitiveservices.ResourceIdentityType.SYSTEM_ASSIGNED),
            properties=cognitiveservices.AccountPropertiesArgs(
                custom_sub_domain_name=args["custom_sub_domain_name"],
                disable_local_auth=args.get("disable_local_auth", True),
                public_network_access=args.get("public_network_access", PublicNetworkAccess.ENABLED),
                network_acls=account_network_acls(args.get("network_acls")),
                # Only sent when asked: re-creating a soft-deleted name otherwise fails with
                # FlagMustBeSetForRestore, which is the safe default.
                restore=_restore(args.get("restore", False)),
            ),
            tags=dict(tags) or None,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _deployments(self, name: str, args: AiServicesAccountArgs) -> list[cognitiveservices.Deployment]:
        """One after another: Azure rejects concurrent deployment writes on one account."""
        created: list[cognitiveservices.Deployment] = []
        for spec in args.get("deployments") or []:
            created.append(cognitiveservices.Deployment(
                f"{name}-{spec['name']}",
                account_name=self.account.name,
                resource_group_name=args["resource_group_name"],
                deployment_name=spec["name"],
                properties=cognitiveservices.DeploymentPropertiesArgs(
                    model=cognitiveservices.DeploymentModelArgs(
                        format=spec["model_format"], name=spec["model_name"], version=spec.get("model_version"),
                    ),
                ),
                sku=cognitiveservices.SkuArgs(name=spec.get("sku_name", "Standard"), capacity=spec.get("capacity", 1)),
                opts=pulumi.ResourceOptions(parent=self, depends_on=created[-1:]),
            ))
        return created
