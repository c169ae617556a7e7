"""Every ARM read preflight makes (docs/azure-wire.md, "ARM reads for `aisvc preflight`"), each made once.

`Reads.start(keys)` starts the reads the checks will need all at once (so the
run takes about as long as the slowest single call); a check asking for a read
waits for the call already under way, or starts it, within the deadline.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future

from aisvc.preflight.arm import ArmAnswer, ArmClient
from aisvc.preflight.grants import scope_ids
from aisvc.preflight.jobs import Jobs
from aisvc.preflight.target import Target

# Newest stable api-versions in the Azure REST API specs (docs/azure-wire.md).
COGNITIVE_API = "2026-03-01"
KEYVAULT_API = "2026-02-01"
AUTHORIZATION_API = "2022-04-01"
RESOURCES_API = "2025-04-01"

COGNITIVE = "Microsoft.CognitiveServices"
KEYVAULT = "Microsoft.KeyVault"
NETWORK = "Microsoft.Network"


def _calls(arm: ArmClient, target: Target) -> dict[str, Callable[[], ArmAnswer]]:
    sub, group, location, names = target.subscription_path, target.group_id, target.location, target.names
    cognitive = f"{sub}/providers/{COGNITIVE}"
    domain = {"subdomainName": names.custom_sub_domain, "type": f"{COGNITIVE}/accounts", "kind": target.settings.kind}
    vault_name = {"name": names.vault, "type": f"{KEYVAULT}/vaults"}
    calls: dict[str, Callable[[], ArmAnswer]] = {
        "group": lambda: arm.get(group, RESOURCES_API),
        "permissions:group": lambda: arm.list(f"{group}/providers/Microsoft.Authorization/permissions",
                                              AUTHORIZATION_API),
        "permissions:subscription": lambda: arm.list(f"{sub}/providers/Microsoft.Authorization/permissions",
                                                     AUTHORIZATION_API),
        "account": lambda: arm.get(target.account_id, COGNITIVE_API),
        "deployments": lambda: arm.list(f"{target.account_id}/deployments", COGNITIVE_API),
        # A POST outside */read: Reader does not carry it (docs/preflight.md, roles).
        "domain": lambda: arm.post(f"{cognitive}/checkDomainAvailability", COGNITIVE_API, domain, needs=(
            "Microsoft.CognitiveServices/checkDomainAvailability/action on the subscription: Cognitive Services "
            "Contributor, Contributor, or the custom role in docs/roles/preview.json")),
        "deleted-account": lambda: arm.get(
            f"{cognitive}/locations/{location}/resourceGroups/{names.resource_group}/deletedAccounts/{names.account}",
            COGNITIVE_API),
        "models": lambda: arm.list(f"{cognitive}/locations/{location}/models", COGNITIVE_API),
        "usages": lambda: arm.list(f"{cognitive}/locations/{location}/usages", COGNITIVE_API),
        # The vault the stack names: its own new one, or keyVault.existingId.
        "vault": lambda: arm.get(target.vault_id, KEYVAULT_API),
        "vault-name": lambda: arm.post(f"{sub}/providers/{KEYVAULT}/checkNameAvailability", KEYVAULT_API, vault_name),
        "deleted-vault": lambda: arm.get(
            f"{sub}/providers/{KEYVAULT}/locations/{location}/deletedVaults/{names.vault}", KEYVAULT_API),
        "assignments:account": lambda: _assignments(arm, target.account_id),
        "assignments:vault": lambda: _assignments(arm, target.vault_id),
        # A shared vault's grants are on the stack's app-facing secret (aisvc.contract.vault_grant_scope).
        "assignments:secret": lambda: _assignments(arm, scope_ids(target)["secret"]),
    }
    for namespace in (COGNITIVE, KEYVAULT, NETWORK):
        calls[f"provider:{namespace}"] = lambda namespace=namespace: arm.get(  # type: ignore[misc]
            f"{sub}/providers/{namespace}", RESOURCES_API)
    return calls


def _assignments(arm: ArmClient, scope: str) -> ArmAnswer:
    return arm.list(f"{scope}/providers/Microsoft.Authorization/roleAssignments", AUTHORIZATION_API,
                    **{"$filter": "atScope()"})


class Reads:
    def __init__(self, arm: ArmClient, target: Target, jobs: Jobs) -> None:
        self.jobs = jobs
        self._calls = _calls(arm, target)
        self._started: dict[str, Future[ArmAnswer]] = {}
        self._lock = threading.Lock()

    def _future(self, key: str) -> Future[ArmAnswer]:
        with self._lock:
            if key not in self._started:
                self._started[key] = self.jobs.submit(self._calls[key])
            return self._started[key]

    def start(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._future(key)

    def read(self, key: str) -> ArmAnswer:
        """The answer of read `key` (see `_calls`); DeadlineExceeded when --timeout runs out first."""
        return self.jobs.wait(self._future(key))

    def provider(self, namespace: str) -> ArmAnswer:
        return self.read(f"provider:{namespace}")
