"""What preflight checks: the stack's settings and the names `pulumi up` would use in the real subscription.

The stack file is read and validated exactly as `aisvc plan` reads it; names
come from `aisvc.config.naming.derive_names`, the code the program runs, with
the subscription `pulumi up` will deploy to.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from aisvc.config.naming import Names, derive_names
from aisvc.config.settings import Settings, SettingsError, from_config
from aisvc.contract import GUID_RE, NAMESPACE, account_id, resource_group_id, vault_id
from aisvc.errors import InputError
from aisvc.services.project import default_project_dir, load_project, stack_config, stack_name

SUBSCRIPTION_ENVS = ("AZURE_SUBSCRIPTION_ID", "ARM_SUBSCRIPTION_ID")
SUBSCRIPTION_CONFIG = "azure-native:subscriptionId"
K = f"{NAMESPACE}:"  # config keys in messages carry the namespace, as the stack file spells them


@dataclass(frozen=True)
class Target:
    stack: str
    project: str
    stack_file: Path
    subscription_id: str
    settings: Settings
    names: Names

    @property
    def location(self) -> str:
        return self.settings.location

    @property
    def group_id(self) -> str:
        return resource_group_id(self.subscription_id, self.names.resource_group)

    @property
    def account_id(self) -> str:
        return account_id(self.subscription_id, self.names.resource_group, self.names.account)

    @property
    def new_vault(self) -> bool:
        return not self.settings.key_vault.existing_id

    @property
    def vault_id(self) -> str:
        return self.settings.key_vault.existing_id or vault_id(
            self.subscription_id, self.names.resource_group, self.names.vault)

    @property
    def subscription_path(self) -> str:
        return f"/subscriptions/{self.subscription_id}"


def subscription_from(environ: dict[str, str] | os._Environ[str], config: dict[str, str]) -> str:
    """AZURE_SUBSCRIPTION_ID, else ARM_SUBSCRIPTION_ID, else the stack's azure-native:subscriptionId."""
    for source, value in [*((name, environ.get(name, "")) for name in SUBSCRIPTION_ENVS),
                          (SUBSCRIPTION_CONFIG, config.get(SUBSCRIPTION_CONFIG, ""))]:
        value = value.strip()
        if value:
            if not GUID_RE.match(value):
                raise InputError(f"{source} = {value!r} is not a subscription id (a GUID)")
            return value.lower()
    raise InputError(f"no subscription: set {SUBSCRIPTION_ENVS[0]} or {SUBSCRIPTION_ENVS[1]}, "
                     f"or {SUBSCRIPTION_CONFIG} in the stack file")


def load_target(stack: str, project_dir: Path | None = None,
                environ: dict[str, str] | os._Environ[str] | None = None) -> Target:
    """Read and validate the stack file like `aisvc plan`; InputError (exit 2) for any problem."""
    stack = stack_name(stack)
    project = load_project((project_dir or default_project_dir()).resolve())
    config, _secret_keys = stack_config(project, stack)
    stack_file = project.stack_file(stack)
    try:
        settings = from_config(config)
        subscription = subscription_from(os.environ if environ is None else environ, config)
        names = derive_names(settings, subscription, project.name, stack)
    except SettingsError as err:
        raise InputError(f"{stack_file}: {err}") from None
    return Target(stack=stack, project=project.name, stack_file=stack_file, subscription_id=subscription,
                  settings=settings, names=names)
