"""Push the account keys into Key Vault (two-key pattern).

Three secrets: key 1, key 2, and the *current* key (the one named by
``activeKey``, tagged ``CredentialId``). Apps read the current secret; rotation
regenerates the inactive key, flips ``activeKey`` and re-runs ``pulumi up``.

The provider does not mark ``listAccountKeys`` results secret, so the values are
wrapped in ``pulumi.Output.secret`` and every Secret resource also marks its
``properties`` output secret: no key reaches state, plan output or logs in clear.
Only used when local (key) auth is on; with ``disableLocalAuth`` this component
is never built, so ``listAccountKeys`` (which Azure then rejects) is never called.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import cognitiveservices, keyvault

from aisvc.config.settings import SecretNames
from aisvc.contract import CREDENTIAL_ID_TAG


@dataclass(frozen=True)
class KeyExportArgs:
    account_name: pulumi.Input[str]  # the account's name Output: keys are listed once it exists
    account_resource_group_name: pulumi.Input[str]
    vault_name: pulumi.Input[str]  # the vault's name Output: secrets are written once it exists
    vault_resource_group_name: pulumi.Input[str]
    secrets: SecretNames = field(default_factory=SecretNames)
    tags: Mapping[str, str] = field(default_factory=dict)


class KeyExport(pulumi.ComponentResource):
    """``ai-services:key_export:KeyExport``."""

    TYPE = "ai-services:key_export:KeyExport"

    key_values: dict[str, pulumi.Output[str]]  # "key1"/"key2" -> the key, always a secret Output
    key1: keyvault.Secret
    key2: keyvault.Secret
    current: keyvault.Secret

    def __init__(self, name: str, args: KeyExportArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        keys = cognitiveservices.list_account_keys_output(
            account_name=args.account_name,
            resource_group_name=args.account_resource_group_name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.key_values = {
            "key1": pulumi.Output.secret(keys.key1),
            "key2": pulumi.Output.secret(keys.key2),
        }
        names = args.secrets
        self.key1 = self._secret(f"{name}-key1", names.key1_name, self.key_values["key1"], args, {})
        self.key2 = self._secret(f"{name}-key2", names.key2_name, self.key_values["key2"], args, {})
        self.current = self._secret(
            f"{name}-current", names.current_name, self.key_values[names.active_key], args,
            {CREDENTIAL_ID_TAG: names.active_key},
        )
        self.register_outputs({
            "key1SecretName": self.key1.name,
            "key2SecretName": self.key2.name,
            "currentSecretName": self.current.name,
        })

    def _secret(
        self, resource_name: str, secret_name: str, value: pulumi.Output[str], args: KeyExportArgs,
        extra_tags: Mapping[str, str],
    ) -> keyvault.Secret:
        return keyvault.Secret(
            resource_name,
            secret_name=secret_name,
            vault_name=args.vault_name,
            resource_group_name=args.vault_resource_group_name,
            properties=keyvault.SecretPropertiesArgs(value=value, content_type="text/plain"),
            tags={**args.tags, **extra_tags} or None,
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["properties"]),
        )
