"""The stack outputs the commands read (docs/contract.md, "Stack outputs"), parsed and validated once.

Sources: a JSON file, stdin (`-`), or `pulumi stack output --json --stack NAME`
(needs the Pulumi CLI and a logged-in backend; not available on the test machine).
Every problem is an InputError (exit 2) that names the output at fault.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aisvc.contract import SECRET_NAME_RE, SECRET_PLACEHOLDER, CredentialId, OutputName
from aisvc.errors import InputError
from aisvc.services.console import redact
from aisvc.services.interrupts import run_supervised

PULUMI_TIMEOUT_SECONDS = 120
# A DNS name or an IPv4 address (the emulator's 127.0.0.1): labels of letters, digits and '-'.
HOST_RE = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$")


@dataclass(frozen=True)
class StackOutputs:
    endpoint: str
    kind: str
    local_auth_enabled: bool
    key_vault_uri: str | None = None
    key_secret_name: str | None = None
    active_key: CredentialId | None = None
    account_name: str | None = None
    account_id: str | None = None
    resource_group_name: str | None = None
    # Where the data plane answers from (added with private endpoints): named when a firewall refuses.
    public_network_access: str | None = None
    private_endpoint_subnet_id: str | None = None
    network_acl_ip_rules: tuple[str, ...] = ()
    source: str = "stack outputs"  # where they came from, for error messages

    def require(self, *fields: str, why: str = "") -> None:
        """InputError naming every contract output (camelCase) that is missing."""
        missing = [name for name in fields if getattr(self, _SNAKE[OutputName(name)]) in (None, "")]
        if missing:
            reason = f" ({why})" if why else ""
            raise InputError(f"{self.source}: missing output{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(missing)}{reason}")


# contract name -> attribute, for the outputs the commands read
_SNAKE = {
    OutputName.ENDPOINT: "endpoint", OutputName.KIND: "kind", OutputName.LOCAL_AUTH_ENABLED: "local_auth_enabled",
    OutputName.KEY_VAULT_URI: "key_vault_uri", OutputName.KEY_SECRET_NAME: "key_secret_name",
    OutputName.ACTIVE_KEY: "active_key", OutputName.ACCOUNT_NAME: "account_name", OutputName.ACCOUNT_ID: "account_id",
    OutputName.RESOURCE_GROUP_NAME: "resource_group_name",
}
REQUIRED = ("endpoint", "kind", "localAuthEnabled")


def parse_outputs(document: Any, source: str = "stack outputs") -> StackOutputs:
    """Validate the JSON document of `pulumi stack output --json`."""
    if not isinstance(document, dict):
        raise InputError(f"{source}: expected a JSON object of stack outputs, got {type(document).__name__}")
    _reject_hidden_secrets(document, source)
    missing = [name for name in REQUIRED if document.get(name) is None]
    if missing:
        raise InputError(f"{source}: missing output{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    outputs = StackOutputs(
        endpoint=_required(_https_url(document, "endpoint", source)),
        kind=_required(_string(document, "kind", source)),
        local_auth_enabled=_bool(document, "localAuthEnabled", source),
        key_vault_uri=_https_url(document, "keyVaultUri", source, optional=True),
        key_secret_name=_secret_name(document, "keySecretName", source),
        active_key=_active_key(document, source),
        account_name=_string(document, "accountName", source, optional=True),
        account_id=_string(document, "accountId", source, optional=True),
        resource_group_name=_string(document, "resourceGroupName", source, optional=True),
        public_network_access=_string(document, OutputName.PUBLIC_NETWORK_ACCESS, source, optional=True),
        private_endpoint_subnet_id=_string(document, OutputName.PRIVATE_ENDPOINT_SUBNET_ID, source, optional=True),
        network_acl_ip_rules=tuple(str(rule) for rule in document.get(OutputName.NETWORK_ACL_IP_RULES) or ()
                                   if isinstance(rule, str)),
        source=source,
    )
    if outputs.local_auth_enabled:
        outputs.require("keyVaultUri", "keySecretName", why="localAuthEnabled is true")
    return outputs


def load_outputs_file(path: str) -> StackOutputs:
    """From a file holding `pulumi stack output --json`, or `-` for stdin."""
    source = "stdin" if path == "-" else f"outputs file {path}"
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"{source}: cannot read it ({err.strerror or err})") from None
    except UnicodeDecodeError:
        raise InputError(f"{source}: not UTF-8 text (save the JSON of `pulumi stack output --json` as UTF-8)") from None
    return parse_outputs(_json(text, source), source)


def load_outputs_from_stack(stack: str, cwd: str | Path | None = None) -> StackOutputs:
    """Run `pulumi stack output --json --stack NAME` (the Pulumi CLI must be installed and logged in)."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise InputError("the Pulumi CLI is not installed (no `pulumi` on PATH): install it "
                         "(https://www.pulumi.com/docs/install/) or pass --outputs FILE")
    source = f"pulumi stack output --stack {stack}"
    try:
        # Supervised: an interrupted check signals `pulumi` and waits for it (contract: Signals).
        done = run_supervised([pulumi, "stack", "output", "--json", "--stack", stack], cwd=cwd,
                              timeout=PULUMI_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise InputError(f"{source}: no answer within {PULUMI_TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        detail = _last_line(done.stderr) or f"exit {done.returncode}"
        raise InputError(f"{source} failed: {redact(detail)}")
    return parse_outputs(_json(done.stdout, source), source)


# --- field checks -------------------------------------------------------------

def _json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as err:
        raise InputError(f"{source}: not valid JSON ({err})") from None
    except RecursionError:
        raise InputError(f"{source}: JSON nested too deeply to be stack outputs") from None


def _reject_hidden_secrets(document: Mapping[str, Any], source: str) -> None:
    hidden = sorted(name for name in OutputName if document.get(name) == SECRET_PLACEHOLDER)
    if hidden:
        raise InputError(f"{source}: output {', '.join(hidden)} is a Pulumi secret ([secret]); "
                         "these outputs are plain in this toolkit's stacks")


def _string(document: Mapping[str, Any], name: str, source: str, optional: bool = False) -> str | None:
    value = document.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{source}: output {name} must be a non-empty string, got {json.dumps(value)}")
    return value.strip()


def _required(value: str | None) -> str:
    assert value is not None, "REQUIRED outputs were checked above"
    return value


def _bool(document: Mapping[str, Any], name: str, source: str) -> bool:
    value = document.get(name)
    if not isinstance(value, bool):
        raise InputError(f"{source}: output {name} must be true or false, got {json.dumps(value)}")
    return value


def _https_url(document: Mapping[str, Any], name: str, source: str, optional: bool = False) -> str | None:
    value = _string(document, name, source, optional)
    if value is None:
        return None
    if not _is_https_url(value):
        # Not "DNS not ready yet": a URL no request can reach would be retried until --timeout.
        raise InputError(f"{source}: output {name} must be an https:// URL (a host name, no spaces, query or "
                         f"fragment), got {value!r}")
    return value if value.endswith("/") else value + "/"


def _is_https_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        return False
    return (parts.scheme == "https" and bool(parts.hostname) and HOST_RE.match(parts.hostname or "") is not None
            and not parts.query and not parts.fragment and not parts.username and not any(c.isspace() for c in value))


def _secret_name(document: Mapping[str, Any], name: str, source: str) -> str | None:
    value = _string(document, name, source, optional=True)
    if value is not None and not SECRET_NAME_RE.fullmatch(value):
        raise InputError(f"{source}: output {name} {value!r} is not a Key Vault secret name "
                         "(1-127 letters, digits and -)")
    return value


def _active_key(document: Mapping[str, Any], source: str) -> CredentialId | None:
    value = document.get("activeKey")
    if value is None:
        return None
    if value == "key1" or value == "key2":
        return value
    raise InputError(f"{source}: output activeKey must be key1 or key2, got {json.dumps(value)}")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""
