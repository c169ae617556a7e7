"""The real parts `aisvc rotate` runs with: Automation API, ARM, Key Vault, the check.

Kept apart from aisvc/rotate.py so the orchestration stays pure and the heavy
SDK imports happen only when a rotation really runs. This path needs the
Pulumi CLI and Azure; tests exercise the parts one by one (stack driver with a
fake CLI, ARM and Key Vault against the local emulator).
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.keyvault.secrets import SecretClient

from aisvc.check import CheckReport, run_check
from aisvc.check.network import must_run_from, refused_by_network
from aisvc.contract import CREDENTIAL_ID_TAG
from aisvc.errors import OperationFailed
from aisvc.rotate.account_keys import AccountKeys, ArmAccountKeys
from aisvc.rotate.parts import AppSecret, RotationParts
from aisvc.services.answers import answer_from_exception
from aisvc.services.console import Output, register_secret
from aisvc.services.credentials import build_credential, transport_kwargs
from aisvc.services.stack_driver import PulumiStackDriver
from aisvc.services.stack_outputs import StackOutputs

CHECK_TIMEOUT_SECONDS = 600.0


def live_rotation_parts(
    stack: str, project_dir: Path, output: Output, *, verify_challenge_resource: bool = True,
) -> RotationParts:
    """The parts a `Rotation` runs with: Automation API, ARM, Key Vault, the check.

    One credential serves ARM, Key Vault and the check, so tokens are fetched once;
    the check shows its progress (waits of up to minutes) like `aisvc check`.
    """
    credential = build_credential()
    transport = transport_kwargs()
    arm_clients: dict[str, ArmAccountKeys] = {}  # one pipeline per account for the whole rotation

    def account_keys(outputs: StackOutputs) -> AccountKeys:
        account = str(outputs.account_id)
        if account not in arm_clients:
            arm_clients[account] = ArmAccountKeys(account, credential, **transport)
        return arm_clients[account]

    def close() -> None:
        for client in arm_clients.values():
            client.close()
        credential.close()

    def app_secret(outputs: StackOutputs) -> AppSecret:
        return read_app_secret(outputs, credential, verify_challenge_resource, transport)

    def check(outputs: StackOutputs) -> CheckReport:
        return run_check(outputs, auth="auto", timeout=CHECK_TIMEOUT_SECONDS,
                         verify_challenge_resource=verify_challenge_resource, output=output, credential=credential)

    driver = PulumiStackDriver(stack, project_dir,
                               on_output=lambda line: output.progress(f"      {line}") if line else None)
    return RotationParts(driver=driver, account_keys=account_keys, run_check=check, app_secret=app_secret, close=close)


def read_app_secret(outputs: StackOutputs, credential: Any, verify_challenge_resource: bool,
                    transport: Mapping[str, Any]) -> AppSecret:
    """The app-facing secret's value and CredentialId tag (needs Key Vault Secrets User)."""
    client = SecretClient(str(outputs.key_vault_uri), credential,
                          verify_challenge_resource=verify_challenge_resource, **transport)
    name = str(outputs.key_secret_name)
    try:
        with client:
            secret = client.get_secret(name)
    except ResourceNotFoundError:
        raise OperationFailed(f"the app-facing secret {name} does not exist in {outputs.key_vault_uri}: "
                              "run `pulumi up` to restore it before rotating") from None
    except AzureError as err:
        if refused_by_network(answer_from_exception(err)):
            raise OperationFailed(must_run_from("aisvc rotate", f"the Key Vault firewall refuses reading {name}",
                                                outputs)) from None
        raise OperationFailed(f"could not read the app-facing secret {name}: {type(err).__name__}: "
                              f"{getattr(err, 'message', err)}") from None
    register_secret(secret.value)
    return AppSecret(secret.value or "", (secret.properties.tags or {}).get(CREDENTIAL_ID_TAG))
