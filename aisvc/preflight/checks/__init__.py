"""The nine preflight checks, in the contract's order (docs/contract.md, `aisvc preflight`)."""
from aisvc.preflight.checks import existing_vault, providers
from aisvc.preflight.checks.access import PERMISSIONS, ROLE_ASSIGNMENTS
from aisvc.preflight.checks.context import Check, Context
from aisvc.preflight.checks.models import MODELS, QUOTA
from aisvc.preflight.checks.names import DELETED_ACCOUNT, SUBDOMAIN, VAULT_NAME

CHECKS: tuple[Check, ...] = (providers.CHECK, SUBDOMAIN, DELETED_ACCOUNT, VAULT_NAME, MODELS, QUOTA, PERMISSIONS,
                             ROLE_ASSIGNMENTS, existing_vault.CHECK)

__all__ = ["CHECKS", "Check", "Context"]
