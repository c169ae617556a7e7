"""Push the account keys into Key Vault (two-key pattern).

Three secrets: key 1, key 2, and the *current* key (the one named by
``active_key``, tagged ``CredentialId``). Apps read the current secret; rotation
regenerates the inactive key, flips ``activeKey`` and re-runs ``pulumi up``.

The provider does not mark ``listAccountKeys`` results secret, so the values are
wrapped in ``pulumi.Output.secret`` and every Secret resource also marks its
``properties`` output secret: no key reaches state, plan output or logs in clear.
Secrets are never deleted by Pulumi (``retain_on_delete``): see docs/day2.md.
Only used when local auth is on; with ``disable_local_auth`` this component
is never built, so ``listAccountKeys`` (which Azure then rejects) is never called.

With ``rotated_at`` every key secret expires ``expires_after_days`` later (Key Vault
``attributes.expires``, so Azure Policy baselines and near-expiry events see it), and the
current secret carries the tags of Microsoft's dual-credential rotation pattern
(``CredentialId``, ``ProviderAddress`` = the account id, ``ValidityPeriodDays``).
Without it nothing expires and the secrets keep the tags they always had.
"""
from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import cognitiveservices, keyvault

from aisvc.contract import (
    CREDENTIAL_ID_TAG,
    DEFAULT_SECRET_NAMES,
    PROVIDER_ADDRESS_TAG,
    VALIDITY_PERIOD_DAYS_TAG,
    secret_expiry,
)
from components.inputs import DEFAULT_ACTIVE_KEY, SecretNamesArgs


class KeyExportArgs(TypedDict):
    """Where the keys come from and where they go."""

    account_name: pulumi.Input[str]
    """The account's name (its Output: keys are listed once it exists)."""
    account_resource_group_name: pulumi.Input[str]
    """The account's resource group."""
    vault_name: pulumi.Input[str]
    """The vault's name (its Output: secrets are written once it exists)."""
    vault_resource_group_name: pulumi.Input[str]
    """The vault's resource group."""
    secrets: NotRequired[SecretNamesArgs]
    """Secret names and the active key. Default: ai-services-key1/-key2/-key, key1."""
    tags: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Tags on the secrets (the current one also gets CredentialId)."""
    account_id: NotRequired[pulumi.Input[str]]
    """The account's resource id: the current secret's ProviderAddress tag once secrets.rotated_at is set."""


class KeyExport(pulumi.ComponentResource):
    """The account's two keys and the current key as Key Vault secrets."""

    TYPE = "ai-services:key_export:KeyExport"

    key1_secret_name: pulumi.Output[str]
    """Secret holding key 1."""
    key2_secret_name: pulumi.Output[str]
    """Secret holding key 2."""
    current_secret_name: pulumi.Output[str]
    """Secret holding the active key: the one apps read."""

    def __init__(self, name: str, args: KeyExportArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        keys = cognitiveservices.list_account_keys_output(
            account_name=args["account_name"],
            resource_group_name=args["account_resource_group_name"],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        # "key1"/"key2" -> the key, always a secret Output.
        self.key_values: dict[str, pulumi.Output[str]] = {
            "key1": pulumi.Output.secret(keys.key1),
            "key2": pulumi.Output.secret(keys.key2),
        }
        names = args.get("secrets") or SecretNamesArgs()
        active = str(names.get("active_key", DEFAULT_ACTIVE_KEY))
        rotated_at, days = names.get("rotated_at"), names.get("expires_after_days", 90)
        self.expires = secret_expiry(rotated_at, days) if rotated_at else None
        current_tags: dict[str, pulumi.Input[str]] = {CREDENTIAL_ID_TAG: active}
        if rotated_at and "account_id" in args:
            current_tags.update({PROVIDER_ADDRESS_TAG: args["account_id"], VALIDITY_PERIOD_DAYS_TAG: str(days)})
        self.key1 = self._secret(f"{name}-key1", names.get("key1_name", DEFAULT_SECRET_NAMES["key1"]),
                                 self.key_values["key1"], args, {})
        self.key2 = self._secret(f"{name}-key2", names.get("key2_name", DEFAULT_SECRET_NAMES["key2"]),
                                 self.key_values["key2"], args, {})
        self.current = self._secret(f"{name}-current", names.get("current_name", DEFAULT_SECRET_NAMES["current"]),
                                    self.key_values[active], args, current_tags)
        self.key1_secret_name = self.key1.name
        self.key2_secret_name = self.key2.name
        self.current_secret_name = self.current.name
        self.register_outputs({
            "key1SecretName": self.key1_secret_name,
            "key2SecretName": self.key2_secret_name,
            "currentSecretName": self.current_secret_name,
        })

    def _secret(
        self, resource_name: str, secret_name: pulumi.Input[str], value: pulumi.Output[str], args: KeyExportArgs,
        extra_tags: Mapping[str, pulumi.Input[str]],
    ) -> keyvault.Secret:
        tags = {**(args.get("tags") or {}), **extra_tags}
        attributes = keyvault.SecretAttributesArgs(expires=self.expires) if self.expires is not None else None
        return keyvault.Secret(
            resource_name,
            secret_name=secret_name,
            vault_name=args["vault_name"],
            resource_group_name=args["vault_resource_group_name"],
            properties=keyvault.SecretPropertiesArgs(value=value, content_type="text/plain", attributes=attributes),
            tags=tags or None,
            # Retained: the provider deletes a secret through the vault's data plane, which the deployer
            # (Key Vault Secrets User) may not do and a vault firewall blocks; a deleted name also stays
            # reserved under purge protection. Removing a secret from the stack (disableLocalAuth, a new
            # name, another vault, destroy) only forgets it; see docs/day2.md.
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["properties"], retain_on_delete=True),
        )
