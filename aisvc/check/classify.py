"""Every answer of the endpoint or the vault is OK, TRANSIENT (wait and retry) or DEFINITIVE (stop now),
with a message that says what to fix (docs/azure-wire.md, "Transient or definitive")."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal
from urllib.parse import urlsplit

from aisvc.check.network import must_run_from, refused_by_network
from aisvc.check.probes import Probe
from aisvc.services.answers import Answer
from aisvc.services.stack_outputs import StackOutputs

AuthMode = Literal["key", "entra"]
UNMAPPED_MARKERS = ("Subdomain does not map", "ResourceNotFound")


class Verdict(Enum):
    OK = "ok"
    TRANSIENT = "transient"
    DEFINITIVE = "definitive"


@dataclass(frozen=True)
class Classification:
    verdict: Verdict
    reason: str  # what happened, and for failures what to fix


def _transport_failure(answer: Answer, host: str) -> Classification:
    if answer.failure == "tls":
        return Classification(Verdict.DEFINITIVE, f"TLS verification failed for {host}: {answer.message}; set "
                                                  "REQUESTS_CA_BUNDLE or SSL_CERT_FILE to the CA bundle that signs it")
    if answer.failure == "auth":
        return Classification(Verdict.DEFINITIVE, f"could not get an Entra ID token: {answer.message}; check "
                                                  "AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET, the "
                                                  "managed identity or `az login`")
    if answer.failure == "connection":
        return Classification(Verdict.TRANSIENT, f"cannot reach {host} ({answer.message}); a new name can take "
                                                 "minutes to resolve")
    return Classification(Verdict.DEFINITIVE, f"request to {host} failed: {answer.message}")


def _common(answer: Answer, host: str, success: str) -> Classification | None:
    """What every service answers alike: no answer, success, throttling, 5xx; None for the rest."""
    if answer.status is None:
        return _transport_failure(answer, host)
    if 200 <= answer.status < 300:
        return Classification(Verdict.OK, success)
    if answer.status in (408, 429):
        return Classification(Verdict.TRANSIENT, f"throttled ({answer.status}); waiting as Retry-After asks")
    if answer.status >= 500:
        return Classification(Verdict.TRANSIENT, f"service error {answer.describe()}: {answer.message}")
    return None


def classify_endpoint(answer: Answer, *, auth: AuthMode, probe: Probe, endpoint: str, secret_name: str | None,
                      key_grace_over: bool, outputs: StackOutputs | None = None) -> Classification:
    """An answer from the AI services endpoint (docs/azure-wire.md, "AI services data plane" and "Transient or definitive")."""
    common = _common(answer, urlsplit(endpoint).netloc, f"{probe.describe()} answered {answer.status}")
    if common:
        return common
    text = f"{answer.code or ''} {answer.message}"
    if answer.status == 404 and any(marker in text for marker in UNMAPPED_MARKERS):
        return Classification(Verdict.TRANSIENT, "the custom subdomain does not map to the account yet (404); "
                                                 "new subdomains take minutes to route")
    if answer.status == 403 and answer.code == "AuthenticationTypeDisabled":
        return Classification(Verdict.DEFINITIVE, "key authentication is disabled on the account "
                                                  "(disableLocalAuth: true): use --auth entra, or set "
                                                  "disableLocalAuth false and run pulumi up")
    if refused_by_network(answer):  # the vault path, rotate and preflight decide by the same test
        what = f"the account's network rules block this caller ({answer.message})"
        return Classification(Verdict.DEFINITIVE, must_run_from("aisvc check", what, outputs)
                              + ", or add this machine's IP to networkAcls.ipRules")
    if answer.status == 401 and answer.code == "PermissionDenied":
        return Classification(Verdict.TRANSIENT, "the calling identity has no data-plane role on the account yet "
                                                 "(401 PermissionDenied): it needs Cognitive Services User (for "
                                                 "OpenAI also Cognitive Services OpenAI User); role assignments take "
                                                 "up to 5-10 minutes")
    if answer.status == 401 and auth == "key":
        secret = f"the secret {secret_name}" if secret_name else "the secret"
        verdict = Verdict.DEFINITIVE if key_grace_over else Verdict.TRANSIENT
        return Classification(verdict, f"key rejected: {secret} holds a key the account does not accept; "
                                       "run aisvc rotate or pulumi up")
    if answer.status == 401:
        return Classification(Verdict.DEFINITIVE, f"token rejected (401 {answer.code}: {answer.message}); Entra ID "
                                                  "works only on the custom subdomain endpoint "
                                                  "https://<subdomain>.cognitiveservices.azure.com/")
    if answer.status == 404:
        return Classification(Verdict.DEFINITIVE, f"{probe.describe()} answered 404 {answer.code}: {answer.message}; "
                                                  "check the endpoint, or pass --probe with a call this kind serves")
    return Classification(Verdict.DEFINITIVE, f"{probe.describe()} answered {answer.describe()}: {answer.message}")


def classify_vault(answer: Answer, *, vault_url: str, secret_name: str,
                   outputs: StackOutputs | None = None) -> Classification:
    """An answer from Key Vault reading the key secret (docs/azure-wire.md, "Key Vault secrets data plane")."""
    host = urlsplit(vault_url).netloc
    common = _common(answer, host, f"read secret {secret_name}")
    if common:
        return common
    if answer.status == 403 and answer.inner_code == "ForbiddenByRbac":
        return Classification(Verdict.TRANSIENT, f"Key Vault denies reading {secret_name} (403 ForbiddenByRbac): "
                                                 "the calling identity needs Key Vault Secrets User on the vault; "
                                                 "role assignments take up to 10 minutes")
    if refused_by_network(answer):
        what = f"the Key Vault firewall blocks this caller ({host}: {answer.message})"
        return Classification(Verdict.DEFINITIVE, must_run_from("aisvc check", what, outputs)
                              + ", or add this machine's IP to keyVault.networkAcls.ipRules")
    if answer.status == 404 and answer.code == "SecretNotFound":
        return Classification(Verdict.DEFINITIVE, f"secret {secret_name} not found in {vault_url}: run pulumi up "
                                                  "(the stack writes it while local auth is enabled)")
    if answer.status == 403:
        return Classification(Verdict.DEFINITIVE, f"Key Vault denies reading {secret_name} ({answer.describe()}: "
                                                  f"{answer.message}): grant the calling identity Key Vault Secrets "
                                                  "User on the vault")
    return Classification(Verdict.DEFINITIVE, f"Key Vault answered {answer.describe()} reading {secret_name}: "
                                              f"{answer.message}")
