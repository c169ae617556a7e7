"""The ARM reads of `aisvc preflight` (docs/azure-wire.md, "ARM reads for `aisvc preflight`"), emulated.

`ArmReads` is one emulated subscription (`EmulatorState.subscription_id`):
resource providers, resource groups, accounts and their deployments,
soft-deleted accounts and vaults, vaults, the model catalogue and usages of
every location, the caller's permissions and role assignments. Every list is
pageable (`page_size` items a page, `nextLink` with `$skiptoken`).

Knobs for every ARM call (preflight's and the account routes'): `latency`
seconds added to each answer, `throttle(n, retry_after)` (429
SubscriptionRequestsThrottled + Retry-After) and `fail_server(n, status)`.
The defaults are a healthy subscription in which any stack deploys.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .state import EmulatorState

if TYPE_CHECKING:
    from collections.abc import Callable

    from .http import Reply, Request

OWNER = [{"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []}]
CONTRIBUTOR = [{"actions": ["*"], "notActions": ["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
                                                 "Microsoft.Authorization/elevateAccess/Action"],
                "dataActions": [], "notDataActions": []}]


def catalogue_entry(name: str, version: str, skus: dict[str, str], *, model_format: str = "OpenAI",
                    lifecycle: str = "GenerallyAvailable", retires: str | None = None) -> dict[str, Any]:
    """One entry of `locations/{location}/models`; `skus` maps SKU name -> usageName."""
    model: dict[str, Any] = {
        "format": model_format, "name": name, "version": version, "lifecycleStatus": lifecycle,
        "skus": [{"name": sku, "usageName": usage, "capacity": {"default": 10, "maximum": 5000}}
                 for sku, usage in skus.items()],
    }
    if retires:
        model["deprecation"] = {"inference": retires}
    return {"kind": "OpenAI", "skuName": "S0", "model": model}


def default_catalogue() -> list[dict[str, Any]]:
    return [
        catalogue_entry("gpt-4o-mini", "2024-07-18", {"GlobalStandard": "OpenAI.GlobalStandard.gpt-4o-mini",
                                                      "Standard": "OpenAI.Standard.gpt-4o-mini"}),
        catalogue_entry("gpt-4o", "2024-11-20", {"GlobalStandard": "OpenAI.GlobalStandard.gpt-4o"}),
        catalogue_entry("gpt-4o", "2024-08-06", {"GlobalStandard": "OpenAI.GlobalStandard.gpt-4o",
                                                 "Standard": "OpenAI.Standard.gpt-4o"}),
        catalogue_entry("text-embedding-3-small", "1", {"Standard": "OpenAI.Standard.text-embedding-3-small"}),
    ]


def usage_entry(name: str, limit: float, current: float = 0) -> dict[str, Any]:
    # ARM spells usage names with other casing than the catalogue: join case-insensitively.
    return {"name": {"value": name, "localizedValue": f"Tokens Per Minute (thousands) - {name}"},
            "currentValue": current, "limit": limit, "unit": "Count"}


def default_usages() -> list[dict[str, Any]]:
    return [usage_entry("OpenAI.GlobalStandard.GPT-4o-mini", 450, 30), usage_entry("OpenAI.Standard.gpt-4o-mini", 100),
            usage_entry("OpenAI.GlobalStandard.gpt-4o", 450), usage_entry("OpenAI.Standard.gpt-4o", 100),
            usage_entry("OpenAI.Standard.text-embedding-3-small", 350)]


@dataclass
class ArmWorld:
    """The emulated subscription. Keys of the dicts are lowercased resource ids (or paths)."""

    providers: dict[str, str] = field(default_factory=lambda: {
        "microsoft.cognitiveservices": "Registered", "microsoft.keyvault": "Registered",
        "microsoft.network": "Registered"})
    resource_groups: set[str] = field(default_factory=set)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    deployments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # account id -> deployments
    subdomains_taken: set[str] = field(default_factory=set)  # by accounts elsewhere
    forbidden_paths: set[str] = field(default_factory=set)  # path endings answered 403 AuthorizationFailed
    deleted_accounts: dict[str, dict[str, Any]] = field(default_factory=dict)  # "location/group/name" -> properties
    vaults: dict[str, dict[str, Any]] = field(default_factory=dict)  # vault id -> properties
    vault_names_taken: set[str] = field(default_factory=set)  # by vaults elsewhere
    deleted_vaults: dict[str, dict[str, Any]] = field(default_factory=dict)  # "location/name" -> properties
    models: list[dict[str, Any]] = field(default_factory=default_catalogue)
    usages: list[dict[str, Any]] = field(default_factory=default_usages)
    permissions: list[dict[str, Any]] = field(default_factory=lambda: [dict(entry) for entry in OWNER])
    role_assignments: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    latency: float = 0.0
    throttle_left: int = 0
    throttle_retry_after: int = 1
    server_errors_left: int = 0
    server_error_status: int = 503


class ArmReads:
    """Route (`__call__`) plus knobs; one per emulator (`emulator.arm`)."""

    def __init__(self, state: EmulatorState, base_url: Callable[[], str]) -> None:
        self.state, self.base_url = state, base_url
        self.world = ArmWorld()
        self._lock = threading.RLock()

    # --- knobs ----------------------------------------------------------------------------
    def set_latency(self, seconds: float) -> None:
        self.world.latency = seconds

    def throttle(self, times: int, retry_after: int = 1) -> None:
        with self._lock:
            self.world.throttle_left, self.world.throttle_retry_after = times, retry_after

    def fail_server(self, times: int, status: int = 503) -> None:
        with self._lock:
            self.world.server_errors_left, self.world.server_error_status = times, status

    def set_provider(self, namespace: str, state: str) -> None:
        self.world.providers[namespace.lower()] = state

    def forbid(self, path_ending: str) -> None:
        """ARM answers 403 AuthorizationFailed to calls whose path ends so (an action the caller lacks)."""
        self.world.forbidden_paths.add(path_ending.lower())

    def take_subdomain(self, name: str) -> None:
        self.world.subdomains_taken.add(name.lower())

    def take_vault_name(self, name: str) -> None:
        self.world.vault_names_taken.add(name.lower())

    def soft_delete_account(self, location: str, group: str, name: str, purge_on: str = "2030-01-03T00:00:00Z") -> None:
        self.world.deleted_accounts[f"{location}/{group}/{name}".lower()] = {
            "deletionDate": "2030-01-01T00:00:00Z", "scheduledPurgeDate": purge_on}

    def soft_delete_vault(self, location: str, name: str, purge_protection: bool = True,
                          purge_on: str = "2030-03-31T00:00:00Z") -> None:
        self.world.deleted_vaults[f"{location}/{name}".lower()] = {
            "location": location, "deletionDate": "2030-01-01T00:00:00Z", "scheduledPurgeDate": purge_on,
            "purgeProtectionEnabled": purge_protection}

    def add_group(self, group_id: str) -> None:
        self.world.resource_groups.add(group_id.lower())

    def add_vault(self, vault_id: str, rbac: bool = True, location: str = "swedencentral") -> None:
        self.add_group(vault_id.split("/providers/")[0])
        self.world.vaults[vault_id.lower()] = {"id": vault_id, "location": location,
                                               "enableRbacAuthorization": rbac}

    def add_account(self, account_id: str, subdomain: str, kind: str = "AIServices",
                    location: str = "swedencentral") -> None:
        self.add_group(account_id.split("/providers/")[0])
        self.world.accounts[account_id.lower()] = {"id": account_id, "subdomain": subdomain, "kind": kind,
                                                   "location": location}

    def add_deployment(self, account_id: str, name: str, model: str, version: str, sku: str, capacity: int,
                       model_format: str = "OpenAI") -> None:
        """A deployment the account holds; its capacity is added to the usage's currentValue, as Azure counts it."""
        self.world.deployments.setdefault(account_id.lower(), []).append({
            "id": f"{account_id}/deployments/{name}", "name": name, "type": "Microsoft.CognitiveServices/accounts/deployments",
            "sku": {"name": sku, "capacity": capacity},
            "properties": {"model": {"format": model_format, "name": model, "version": version},
                           "provisioningState": "Succeeded"}})
        usage_name = next((s["usageName"] for entry in self.world.models for s in entry["model"]["skus"]
                           if entry["model"]["name"] == model and entry["model"]["version"] == version
                           and s["name"] == sku), None)
        for usage in self.world.usages:
            if usage_name and usage["name"]["value"].lower() == usage_name.lower():
                usage["currentValue"] += capacity

    def set_usage(self, name: str, limit: float, current: float) -> None:
        self.world.usages = [u for u in self.world.usages if u["name"]["value"].lower() != name.lower()]
        self.world.usages.append(usage_entry(name, limit, current))

    def assign_role(self, scope: str, role_guid: str, principal_id: str, name: str,
                    principal_type: str = "ServicePrincipal") -> str:
        assignment_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
        self.world.role_assignments.append({
            "id": assignment_id, "name": name, "type": "Microsoft.Authorization/roleAssignments",
            "properties": {"roleDefinitionId": f"/subscriptions/{self.state.subscription_id}/providers/"
                                               f"Microsoft.Authorization/roleDefinitions/{role_guid}",
                           "principalId": principal_id, "principalType": principal_type, "scope": scope}})
        return assignment_id

    # --- routing ----------------------------------------------------------------------------
    def __call__(self, request: Request) -> Reply | None:
        """The answer for a preflight read, None for any other path. Raises Reply for the failure knobs."""
        self._knobs()
        sub = f"/subscriptions/{self.state.subscription_id}".lower()
        path = request.path.rstrip("/")
        lower = path.lower()
        if any(lower.endswith(ending) for ending in self.world.forbidden_paths):
            raise _error(403, "AuthorizationFailed", f"The client does not have authorization to perform action "
                                                     f"over scope '{path}' or the scope is invalid.")
        if not lower.startswith("/subscriptions/"):
            return None
        if not lower.startswith(sub + "/") and lower != sub:
            raise _error(404, "SubscriptionNotFound", f"The subscription '{path.split('/')[2]}' could not be found.")
        for pattern, method, handler in self._routes():
            match = re.fullmatch(pattern, lower[len(sub):])
            if match and request.method == method:
                return handler(request, path, *match.groups())
        return None

    def _knobs(self) -> None:
        if self.world.latency:
            time.sleep(self.world.latency)
        with self._lock:
            world = self.world
            if world.throttle_left > 0:
                world.throttle_left -= 1
                raise _error(429, "SubscriptionRequestsThrottled",
                             "Number of read requests for subscription exceeded the limit.",
                             headers={"Retry-After": str(world.throttle_retry_after)})
            if world.server_errors_left > 0:
                world.server_errors_left -= 1
                raise _error(world.server_error_status, "InternalServerError" if world.server_error_status == 500
                             else "ServiceUnavailable", "The service is temporarily unavailable.")

    def _routes(self) -> list[tuple[str, str, Callable[..., Reply | None]]]:
        group = r"/resourcegroups/([^/]+)"
        cognitive = "/providers/microsoft.cognitiveservices"
        keyvault = "/providers/microsoft.keyvault"
        return [
            (cognitive + "/checkdomainavailability", "POST", self._domain),
            (keyvault + "/checknameavailability", "POST", self._vault_name),
            (cognitive + r"/locations/([^/]+)/resourcegroups/([^/]+)/deletedaccounts/([^/]+)", "GET",
             self._deleted_account),
            (cognitive + "/deletedaccounts", "GET", self._deleted_accounts),
            (cognitive + r"/locations/[^/]+/models", "GET", lambda r, p: self._page(r, p, self.world.models)),
            (cognitive + r"/locations/[^/]+/usages", "GET", lambda r, p: self._page(r, p, self.world.usages)),
            (keyvault + r"/locations/([^/]+)/deletedvaults/([^/]+)", "GET", self._deleted_vault),
            (r"/providers/([^/]+)", "GET", self._provider),
            (r"(/.*)?/providers/microsoft\.authorization/permissions", "GET", self._permissions),
            (r"(/.*)?/providers/microsoft\.authorization/roleassignments", "GET", self._assignments),
            (group, "GET", self._group),
            (group + cognitive + r"/accounts/([^/]+)", "GET", self._account),
            (group + cognitive + r"/accounts/([^/]+)/deployments", "GET", self._deployments),
            (group + keyvault + r"/vaults/([^/]+)", "GET", self._vault),
        ]

    def _page(self, request: Request, path: str, items: list[dict[str, Any]]) -> Reply:
        start = int(request.query.get("$skiptoken", "0"))
        size = max(1, self.world.page_size)
        body: dict[str, Any] = {"value": items[start:start + size], "nextLink": None}
        if start + size < len(items):
            query = {name: value for name, value in request.query.items() if name != "$skiptoken"}
            body["nextLink"] = f"{self.base_url()}{path}?{urlencode({**query, '$skiptoken': start + size})}"
        return _ok(body)

    def _provider(self, request: Request, path: str, namespace: str) -> Reply:
        state = self.world.providers.get(namespace, "NotRegistered")
        return _ok({"id": path, "namespace": path.rsplit("/", 1)[-1], "registrationState": state,
                    "resourceTypes": []})

    def _domain(self, request: Request, path: str) -> Reply:
        body = request.json() or {}
        name = str(body.get("subdomainName", ""))
        taken = name.lower() in self.world.subdomains_taken or any(
            account["subdomain"].lower() == name.lower() for account in self.world.accounts.values())
        reason = f"Sub domain name '{name}' is already used. Please pick a different name." if taken else None
        return _ok({"isSubdomainAvailable": not taken, "reason": reason, "subdomainName": name,
                    "type": "Microsoft.CognitiveServices/accounts", "kind": body.get("kind")})

    def _vault_name(self, request: Request, path: str) -> Reply:
        name = str((request.json() or {}).get("name", ""))
        taken = name.lower() in self.world.vault_names_taken or any(
            vault_id.rsplit("/", 1)[-1] == name.lower() for vault_id in self.world.vaults)
        if not taken:
            return _ok({"nameAvailable": True})
        return _ok({"nameAvailable": False, "reason": "AlreadyExists",
                    "message": f"The vault name '{name}' is already in use."})

    def _deleted_account(self, request: Request, path: str, location: str, group: str, name: str) -> Reply:
        properties = self.world.deleted_accounts.get(f"{location}/{group}/{name}")
        if properties is None:
            raise _error(404, "ResourceNotFound", f"The Resource '{path}' was not found.")
        return _ok({"id": path, "name": path.rsplit("/", 1)[-1], "type": "Microsoft.CognitiveServices/deletedAccounts",
                    "location": location, "properties": dict(properties)})

    def _deleted_accounts(self, request: Request, path: str) -> Reply:
        items = [{"name": key.rsplit("/", 1)[-1], "properties": dict(value)}
                 for key, value in self.world.deleted_accounts.items()]
        return self._page(request, path, items)

    def _deleted_vault(self, request: Request, path: str, location: str, name: str) -> Reply:
        properties = self.world.deleted_vaults.get(f"{location}/{name}")
        if properties is None:
            raise _error(404, "DeletedVaultNotFound", f"Deleted vault '{name}' not found.")
        vault_id = f"/subscriptions/{self.state.subscription_id}/resourceGroups/rg-gone/providers/Microsoft.KeyVault/vaults/{name}"
        return _ok({"id": path, "name": path.rsplit("/", 1)[-1], "type": "Microsoft.KeyVault/deletedVaults",
                    "properties": {"vaultId": vault_id, **properties}})

    def _group_id(self, path: str) -> str:
        return "/".join(path.split("/")[:5]).lower()

    def _group(self, request: Request, path: str, group: str) -> Reply:
        if path.lower() not in self.world.resource_groups:
            raise _error(404, "ResourceGroupNotFound", f"Resource group '{path.split('/')[-1]}' could not be found.")
        return _ok({"id": path, "name": path.rsplit("/", 1)[-1], "location": "swedencentral",
                    "properties": {"provisioningState": "Succeeded"}})

    def _permissions(self, request: Request, path: str, scope: str | None) -> Reply:
        if scope and scope.startswith("/resourcegroups/") and self._group_id(path) not in self.world.resource_groups:
            raise _error(404, "ResourceGroupNotFound", f"Resource group '{path.split('/')[4]}' could not be found.")
        return self._page(request, path, [dict(entry) for entry in self.world.permissions])

    def _assignments(self, request: Request, path: str, scope: str | None) -> Reply:
        at = path[: path.lower().index("/providers/microsoft.authorization")].lower()
        # atScope(): assignments at this scope and above it.
        items = [item for item in self.world.role_assignments
                 if at == item["properties"]["scope"].lower() or at.startswith(item["properties"]["scope"].lower() + "/")]
        return self._page(request, path, items)

    def _account(self, request: Request, path: str, group: str, name: str) -> Reply | None:
        account = self.world.accounts.get(path.lower())
        if account is None:
            return None  # the emulator's own account route (server.py) or 404
        return _ok({"id": account["id"], "name": name, "type": "Microsoft.CognitiveServices/accounts",
                    "kind": account["kind"], "location": account["location"], "sku": {"name": "S0"},
                    "properties": {"customSubDomainName": account["subdomain"], "provisioningState": "Succeeded",
                                   "endpoint": f"https://{account['subdomain']}.cognitiveservices.azure.com/"}})

    def _deployments(self, request: Request, path: str, group: str, name: str) -> Reply:
        account_id = path.lower().removesuffix("/deployments")
        if account_id not in self.world.accounts:
            raise _error(404, "ResourceNotFound", f"The Resource '{path.rsplit('/', 1)[0]}' was not found.")
        return self._page(request, path, self.world.deployments.get(account_id, []))

    def _vault(self, request: Request, path: str, group: str, name: str) -> Reply:
        vault = self.world.vaults.get(path.lower())
        if vault is None:
            raise _error(404, "ResourceNotFound", f"The Resource 'Microsoft.KeyVault/vaults/{name}' was not found.")
        return _ok({"id": vault["id"], "name": vault["id"].rsplit("/", 1)[-1], "type": "Microsoft.KeyVault/vaults",
                    "location": vault["location"],
                    "properties": {"enableRbacAuthorization": vault["enableRbacAuthorization"],
                                   "vaultUri": f"https://{name}.vault.azure.net/"}})


def _ok(body: Any) -> Reply:
    from .http import Reply

    return Reply(200, body, auth="bearer")


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    from .http import azure_error

    return azure_error(status, code, message, headers=headers, auth="bearer")
