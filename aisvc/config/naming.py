"""Physical names and ids, derived in plain Python before anything is registered.

Names follow Bicep's ``uniqueString(subscription().id, project, stack)`` idea: a
short hash of subscription + project + stack, so the same stack always gets the
same names (no random provider, nothing stored), two stacks never collide, and
a name that breaks Azure's rules is reported before ``pulumi up`` touches Azure.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from aisvc.config.settings import Settings, SettingsError
from aisvc.contract import SUBDOMAIN_RE, VAULT_NAME_RE, account_id, resource_group_id, vault_id

SUFFIX_LENGTH = 13  # uniqueString() length
ACCOUNT_NAME_MAX = 64


def unique_suffix(subscription_id: str, project: str, stack: str) -> str:
    """13 lowercase base32 characters, stable for one subscription/project/stack."""
    digest = hashlib.sha256(f"{subscription_id.lower()}/{project}/{stack}".encode()).digest()
    return base64.b32encode(digest).decode().lower()[:SUFFIX_LENGTH]


@dataclass(frozen=True)
class Names:
    resource_group: str
    account: str
    custom_sub_domain: str
    vault: str


def derive_names(settings: Settings, subscription_id: str, project: str, stack: str) -> Names:
    """Explicit names win; the rest is namePrefix + the stable suffix, within Azure's rules."""
    suffix = unique_suffix(subscription_id, project, stack)
    prefix = settings.name_prefix
    existing_vault = settings.key_vault.existing
    names = Names(
        resource_group=settings.resource_group_name or f"rg-{prefix}-{suffix}",
        account=f"{prefix}-{suffix}",
        custom_sub_domain=settings.custom_sub_domain_name or f"{prefix}-{suffix}",
        # Vault names are global and at most 24 characters: keep 9 suffix characters.
        vault=(existing_vault["name"] if existing_vault else settings.key_vault.name)
        or f"kv-{prefix[:10].rstrip('-')}-{suffix[:9]}",
    )
    _check(names)
    return names


def _check(names: Names) -> None:
    """Derived names are valid by construction; this guards future edits of the rules above."""
    problems = []
    if not 2 <= len(names.account) <= ACCOUNT_NAME_MAX:
        problems.append(f"account name {names.account!r} must be 2-{ACCOUNT_NAME_MAX} characters")
    if not SUBDOMAIN_RE.match(names.custom_sub_domain):
        problems.append(f"custom subdomain {names.custom_sub_domain!r} breaks the subdomain rules")
    if not VAULT_NAME_RE.match(names.vault):
        problems.append(f"vault name {names.vault!r} breaks the vault name rules (3-24, letters, digits, single hyphens)")
    if problems:
        raise SettingsError(problems)


__all__ = ["Names", "account_id", "derive_names", "resource_group_id", "unique_suffix", "vault_id"]
