"""A local HTTPS emulator of the Azure endpoints the toolkit talks to.

Four roles, each its own https://127.0.0.1:<port> server (separate "hosts"),
sharing one thread-safe EmulatorState:

- entra: openid discovery + client-credentials token endpoint
- vault: Key Vault secrets data plane with challenge auth
- ai:    the AI services data plane; one endpoint per kind at /<Kind>/
- arm:   account GET, listKeys and regenerateKey
- github: GitHub Actions' ID token endpoint (github_oidc.py); entra accepts its tokens as client assertions

Answers follow docs/azure-wire.md. Each role has its module (entra, vault, dataplane, arm + arm_reads,
github_oidc) over the shared HTTP plumbing in http.py; this module starts them and holds the knobs.
"""
from __future__ import annotations

import os
import re
import ssl
import threading
import time
from collections.abc import Mapping
from typing import Any

from .arm import ArmRoutes
from .arm_reads import ArmReads
from .certs import CertFiles, make_cert_files
from .dataplane import AiRoutes
from .entra import EntraRoutes
from .github_oidc import GitHubOidc
from .http import Reply, Request, Server
from .state import (
    CredentialId,
    EmulatorState,
    FirewallMode,
    RequestRecord,
    SecretVersion,
)
from .vault import VaultRoutes

DEFAULT_SECRET_NAMES = {"key1": "ai-services-key1", "key2": "ai-services-key2", "current": "ai-services-key"}


class AzureEmulator:
    """Start with ``with AzureEmulator() as emulator:`` (or the ``azure_emulator`` fixture)."""

    def __init__(self, certs: CertFiles | None = None) -> None:
        self.certs = certs or make_cert_files()
        self.state = EmulatorState()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certs.cert_file, self.certs.key_file)
        # The ARM resources `aisvc preflight` reads, with their scenario knobs (arm_reads.py).
        self.arm = ArmReads(self.state, lambda: self.arm_endpoint)
        self._arm_routes = ArmRoutes(self.state, self.endpoint, self.arm)
        self.github = GitHubOidc()  # GitHub Actions' ID tokens (github_oidc.py)
        self._servers = {
            "entra": Server("entra", EntraRoutes(self.state, lambda: self.authority_host, self.github), self.state,
                             context),
            "vault": Server("vault", VaultRoutes(self.state, lambda: self.vault_url), self.state, context),
            "ai": Server("ai", AiRoutes(self.state), self.state, context),
            "arm": Server("arm", self._arm_routes, self.state, context),
            "github": Server("github", self._github_route, self.state, context),
        }
        self._threads: list[threading.Thread] = []
        self.sync_key_secrets()

    def _github_route(self, request: Request) -> Reply:
        status, body, auth = self.github.answer(request)
        return Reply(status, body, auth=auth)

    # lifecycle
    def start(self) -> AzureEmulator:
        for server in self._servers.values():
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> AzureEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # where things are
    @property
    def ca_file(self) -> str:
        return str(self.certs.ca_file)

    @property
    def authority_host(self) -> str:
        return self._servers["entra"].base_url

    @property
    def vault_url(self) -> str:
        return self._servers["vault"].base_url + "/"

    @property
    def arm_endpoint(self) -> str:
        return self._servers["arm"].base_url

    @property
    def ai_base_url(self) -> str:
        return self._servers["ai"].base_url

    def base_urls(self) -> dict[str, str]:
        return {role: server.base_url for role, server in self._servers.items()}

    def endpoint(self, kind: str = "AIServices") -> str:
        """The data-plane endpoint of the account, answering as an account of ``kind``."""
        if not re.fullmatch(r"[A-Za-z]+", kind):
            raise ValueError(f"kind must be letters only, got {kind!r}")
        return f"{self.ai_base_url}/{kind}/"

    tenant_id = property(lambda self: self.state.tenant_id)
    client_id = property(lambda self: self.state.client_id)
    client_secret = property(lambda self: self.state.client_secret)
    subscription_id = property(lambda self: self.state.subscription_id)
    object_id = property(lambda self: self.state.object_id)
    resource_group = property(lambda self: self.state.resource_group)
    account_name = property(lambda self: self.state.account_name)
    vault_name = property(lambda self: self.state.vault_name)

    @property
    def account_id(self) -> str:
        return self._arm_routes.account_id()

    # account keys
    @property
    def keys(self) -> dict[str, str]:
        return self.state.key_values()

    def regenerate_key(self, which: CredentialId) -> dict[str, str]:
        """What ARM regenerateKey does: the old value stops working on the data plane at once."""
        return self.state.regenerate(which)

    def set_local_auth(self, enabled: bool) -> None:
        with self.state.lock:
            self.state.local_auth_enabled = enabled

    # vault secrets
    def set_secret(self, name: str, value: str, tags: dict[str, str] | None = None,
                   expires: int | None = None) -> SecretVersion:
        """`expires`: Key Vault's attributes.exp (unix seconds); None: the secret never expires."""
        return self.state.set_secret(name, value, tags, expires=expires)

    def get_secret(self, name: str) -> SecretVersion | None:
        return self.state.get_secret(name)

    def delete_secret(self, name: str) -> None:
        self.state.delete_secret(name)

    def sync_key_secrets(self, active: CredentialId = "key1",
                         names: Mapping[str, str] = DEFAULT_SECRET_NAMES) -> None:
        """Write key1/key2/current secrets from the account's keys, as `pulumi up` would."""
        keys = self.keys
        self.set_secret(names["key1"], keys["key1"])
        self.set_secret(names["key2"], keys["key2"])
        self.set_secret(names["current"], keys[active], {"CredentialId": active})

    # scenario knobs (deadlines are time.monotonic(); each returns when it clears)
    def _until(self, attribute: str, seconds: float) -> float:
        deadline = time.monotonic() + seconds
        with self.state.lock:
            setattr(self.state.scenario, attribute, deadline)
        return deadline

    def forbid_vault_for(self, seconds: float) -> float:
        """Key Vault answers 403 ForbiddenByRbac (role not yet effective) for `seconds`."""
        return self._until("vault_forbidden_until", seconds)

    def deny_permission_for(self, seconds: float) -> float:
        """Bearer calls get 401 PermissionDenied (role not yet effective) for `seconds`."""
        return self._until("ai_permission_denied_until", seconds)

    def unmap_subdomain_for(self, seconds: float) -> float:
        """The data plane answers 404 'Subdomain does not map to a resource' for `seconds`."""
        return self._until("ai_unmapped_until", seconds)

    def lag_old_keys_for(self, seconds: float) -> float:
        """Regenerated keys keep working for `seconds` (propagation lag; real Azure: none)."""
        return self._until("ai_key_lag_until", seconds)

    def throttle(self, times: int, retry_after: int = 1) -> None:
        with self.state.lock:
            self.state.scenario.ai_throttle_left = times
            self.state.scenario.ai_throttle_retry_after = retry_after

    def fail_server(self, times: int, status: int = 503) -> None:
        with self.state.lock:
            self.state.scenario.ai_server_errors_left = times
            self.state.scenario.ai_server_error_status = status

    def set_firewall(self, mode: FirewallMode | None) -> None:
        """'ip' (IP/VNet rules), 'public-disabled', or None."""
        with self.state.lock:
            self.state.scenario.ai_firewall = mode

    def break_token_endpoint(self, status: int = 503) -> None:
        """The token endpoint answers `status` (401 invalid_client, or a 5xx outage); 0 repairs it."""
        with self.state.lock:
            self.state.scenario.entra_token_error = status

    def set_vault_firewall(self, enabled: bool) -> None:
        with self.state.lock:
            self.state.scenario.vault_firewall = enabled

    # observation
    def requests(self, role: str | None = None, method: str | None = None,
                 path_contains: str | None = None) -> list[RequestRecord]:
        return [record for record in self.state.records()
                if (role is None or record.role == role) and (method is None or record.method == method)
                and (path_contains is None or path_contains in record.path)]

    def secret_values(self) -> list[str]:
        """Every value that must never appear in output: keys (current and old), client secret, tokens."""
        with self.state.lock:
            values = [*self.state.keys.values(), *self.state.previous_keys.values(), self.state.client_secret,
                      *self.state.tokens]
            values += [version.value for versions in self.state.secrets.values() for version in versions]
        return values + self.github.secret_values()

    # what a subprocess / aisvc needs
    def env(self, base: Mapping[str, str] | None = None, no_verify_challenge_resource: bool = True) -> dict[str, str]:
        """A full environment for a subprocess that talks only to this emulator."""
        env = {name: value for name, value in (os.environ if base is None else base).items()
               if not name.startswith(("AZURE_", "MSI_", "IDENTITY_", "IMDS_", "ACTIONS_ID_TOKEN_"))
               and name != "AISVC_ARM_ENDPOINT"}
        env.update({
            "AZURE_TENANT_ID": self.tenant_id,
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_CLIENT_SECRET": self.client_secret,
            "AZURE_AUTHORITY_HOST": self.authority_host,
            "AZURE_TOKEN_CREDENTIALS": "EnvironmentCredential",
            "REQUESTS_CA_BUNDLE": self.ca_file,
            "SSL_CERT_FILE": self.ca_file,
            "AISVC_ARM_ENDPOINT": self.arm_endpoint,
            "NO_COLOR": "1",
        })
        env.pop("AISVC_NO_VERIFY_CHALLENGE_RESOURCE", None)
        if no_verify_challenge_resource:
            env["AISVC_NO_VERIFY_CHALLENGE_RESOURCE"] = "1"
        return env

    def github_actions_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """env() as a GitHub Actions job with `id-token: write` sees it: the ID token request
        variables and the app's ids, no client secret (AZURE_TOKEN_CREDENTIALS stays EnvironmentCredential,
        which then has nothing to use: the fallback behind the GitHub credential probes nothing)."""
        env = self.env(base)
        env.pop("AZURE_CLIENT_SECRET")
        return env | self.github.env(self._servers["github"].base_url)

    def stack_outputs(self, kind: str = "AIServices", local_auth: bool = True, active_key: CredentialId = "key1",
                      names: Mapping[str, str] = DEFAULT_SECRET_NAMES) -> dict[str, Any]:
        """The contract's stack outputs for this emulated deployment.

        Side effect, to keep the emulator consistent with the document: the
        account's local auth is set to ``local_auth``.
        """
        self.set_local_auth(local_auth)
        outputs: dict[str, Any] = {
            "endpoint": self.endpoint(kind),
            "accountName": self.account_name,
            "accountId": self.account_id,
            "resourceGroupName": self.resource_group,
            "location": "westeurope",
            "kind": kind,
            "customSubDomainName": self.account_name,
            "localAuthEnabled": local_auth,
            "keyVaultName": self.vault_name,
            "keyVaultUri": self.vault_url,
            "activeKey": active_key,
            "principalId": "00000000-0000-0000-0000-0000000000aa",
        }
        if local_auth:
            outputs["keySecretName"] = names["current"]
            outputs["keySecretNames"] = {"key1": names["key1"], "key2": names["key2"]}
        return outputs
