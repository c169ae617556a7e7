"""Zero downtime, proven against the local Azure emulator.

Client threads behave like well-written apps: read `keySecretName` from Key Vault
(azure-keyvault-secrets), cache it, call the endpoint continuously and re-read
the secret on a 401. Two full rotations run meanwhile: regenerate through ARM
(aisvc.rotate.account_keys), `up` through a StackDriver that does what the Pulumi
program does (listKeys + the three secrets, over the wire), then the real check.
No app request may fail.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.keyvault.secrets import SecretClient

from aisvc.check import CheckReport, run_check
from aisvc.rotate import AppSecret, Rotation
from aisvc.rotate.account_keys import ArmAccountKeys
from aisvc.services.stack_outputs import StackOutputs
from tests.support.emulator import AzureEmulator
from tests.support.fakes.rotation import CREDENTIAL_TAG, SECRET_NAMES, ProgramStackDriver, SecretView

PROBE = "language/:analyze-text?api-version=2023-04-01"
PROBE_BODY = {"kind": "LanguageDetection", "analysisInput": {"documents": [{"id": "1", "text": "Hello world"}]}}
CLIENT_THREADS = 4


def credential_for(emulator: AzureEmulator) -> ClientSecretCredential:
    return ClientSecretCredential(
        emulator.tenant_id, emulator.client_id, emulator.client_secret,
        authority=emulator.authority_host, disable_instance_discovery=True, connection_verify=emulator.ca_file,
    )


def secret_client(emulator: AzureEmulator) -> SecretClient:
    return SecretClient(emulator.vault_url, credential_for(emulator), verify_challenge_resource=False,
                        connection_verify=emulator.ca_file)


def call_endpoint(session: requests.Session, emulator: AzureEmulator, key: str) -> int:
    response = session.post(emulator.endpoint() + PROBE, json=PROBE_BODY,
                            headers={"Ocp-Apim-Subscription-Key": key}, verify=emulator.ca_file, timeout=10)
    return response.status_code


class App(threading.Thread):
    """One app instance: cached key, re-read on 401, one retry."""

    def __init__(self, emulator: AzureEmulator, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.emulator, self.stop = emulator, stop
        self.secrets = secret_client(emulator)
        self.requests_done = 0
        self.rereads = 0
        self.failures: list[str] = []

    def read_key(self) -> str:
        return self.secrets.get_secret(SECRET_NAMES["current"]).value or ""

    def run(self) -> None:
        with requests.Session() as session:
            key = self.read_key()
            while not self.stop.is_set():
                status = call_endpoint(session, self.emulator, key)
                if status == 401:
                    self.rereads += 1
                    key = self.read_key()
                    status = call_endpoint(session, self.emulator, key)
                if status != 200:
                    self.failures.append(f"HTTP {status}")
                self.requests_done += 1


def wait_for_progress(apps: list[App], calls: int = 3, timeout: float = 30.0) -> None:
    """Every app makes `calls` more requests (so each one has seen the new state)."""
    targets = [app.requests_done + calls for app in apps]
    deadline = time.monotonic() + timeout
    while any(app.requests_done < target for app, target in zip(apps, targets, strict=True)):
        assert time.monotonic() < deadline, "client threads stopped making requests"
        time.sleep(0.01)


def vault_view(client: SecretClient) -> Any:
    def get(name: str) -> SecretView:
        try:
            secret = client.get_secret(name)
        except ResourceNotFoundError:
            return None
        return secret.value or "", dict(secret.properties.tags or {})
    return get


def _value_and_tag(view: SecretView) -> tuple[str, str | None]:
    assert view is not None, "the app-facing secret exists"
    value, tags = view
    return value, tags.get(CREDENTIAL_TAG)


def vault_writer(client: SecretClient) -> Any:
    def set_(name: str, value: str, tags: Mapping[str, str]) -> None:
        client.set_secret(name, value, tags=dict(tags) or None, content_type="text/plain")
    return set_


def real_check(outputs: StackOutputs) -> CheckReport:
    return run_check(outputs, auth="key", timeout=60.0, verify_challenge_resource=False)


def vault_versions(emulator: AzureEmulator) -> dict[str, list[str]]:
    with emulator.state.lock:
        return {name: [v.version for v in versions] for name, versions in emulator.state.secrets.items()}


@pytest.fixture
def rotation_world(azure_emulator: AzureEmulator, emulator_env: dict[str, str]) -> Any:
    emulator = azure_emulator
    credential = credential_for(emulator)
    keys = ArmAccountKeys(emulator.account_id, credential, endpoint=emulator.arm_endpoint,
                          connection_verify=emulator.ca_file)
    vault = secret_client(emulator)
    driver = ProgramStackDriver(list_keys=keys.list_keys, vault_get=vault_view(vault), vault_set=vault_writer(vault),
                                base_outputs=emulator.stack_outputs())
    assert driver.pending_changes() == {}, "the emulator starts consistent with a deployed stack"

    def rotation() -> Rotation:
        return Rotation(
            stack="dev", driver=driver,
            account_keys=lambda outputs: ArmAccountKeys(str(outputs.account_id), credential,
                                                        connection_verify=emulator.ca_file),
            run_check=real_check,
            app_secret=lambda outputs: AppSecret(*_value_and_tag(vault_view(vault)(str(outputs.key_secret_name)))),
        )

    yield emulator, driver, rotation
    keys.close()


def test_two_rotations_without_a_failed_request(rotation_world: Any) -> None:
    emulator, driver, rotation = rotation_world
    stop = threading.Event()
    apps = [App(emulator, stop) for _ in range(CLIENT_THREADS)]
    for app in apps:
        app.start()
    try:
        wait_for_progress(apps)
        for expected_active in ("key2", "key1"):
            before = emulator.keys
            result = rotation().run()
            assert result.ok, result.error
            assert result.regenerated_key == result.active_key == expected_active
            after = emulator.keys
            # The app-facing secret holds the new active key; the other key was untouched.
            current = emulator.get_secret(SECRET_NAMES["current"])
            assert current.value == after[expected_active] != before[expected_active]
            assert current.tags == {CREDENTIAL_TAG: expected_active}
            assert after[result.previous_active_key] == before[result.previous_active_key]
            # The regenerated key's old value is dead.
            with requests.Session() as session:
                assert call_endpoint(session, emulator, before[expected_active]) == 401
                assert call_endpoint(session, emulator, after[expected_active]) == 200
            wait_for_progress(apps)
            # Consistent: a second up changes nothing in Key Vault.
            versions = vault_versions(emulator)
            assert driver.pending_changes() == {}
            driver.up()
            assert vault_versions(emulator) == versions
    finally:
        stop.set()
        for app in apps:
            app.join(timeout=15)

    print("requests per app:", [app.requests_done for app in apps], "re-reads:", [app.rereads for app in apps])
    assert [app.failures for app in apps] == [[]] * CLIENT_THREADS
    assert all(app.requests_done > 10 for app in apps)
    # Rotation 2 regenerated key1, which every app had cached since the start:
    # each one saw a 401, re-read the secret and carried on.
    assert all(app.rereads >= 1 for app in apps)
    regenerations = emulator.requests(role="arm", path_contains="regenerateKey")
    assert [r.status for r in regenerations] == [200, 200]


def test_regenerate_failing_at_arm_leaves_apps_working(rotation_world: Any) -> None:
    emulator, _driver, rotation = rotation_world
    keys_before = emulator.keys
    broken = rotation()
    credential = credential_for(emulator)

    class RegenerateGoesAstray:
        """Lists the real account's keys (the preflight), regenerates on an account ARM does not know (404)."""

        def __init__(self, outputs: Any) -> None:
            self.real = ArmAccountKeys(str(outputs.account_id), credential, connection_verify=emulator.ca_file)
            self.gone = ArmAccountKeys(f"{outputs.account_id}-gone", credential, connection_verify=emulator.ca_file)

        def list_keys(self) -> Any:
            return self.real.list_keys()

        def regenerate(self, key: Any) -> Any:
            return self.gone.regenerate(key)

    broken.account_keys = RegenerateGoesAstray

    result = broken.run()

    assert not result.ok and "step 'regenerate'" in result.error and "ResourceNotFound" in result.error
    assert emulator.keys == keys_before
    with requests.Session() as session:
        current = emulator.get_secret(SECRET_NAMES["current"]).value
        assert call_endpoint(session, emulator, current) == 200


def test_the_harness_sees_downtime_when_the_active_key_is_regenerated(rotation_world: Any) -> None:
    """Control: regenerating the key apps hold (no two-key dance) does fail requests, so the
    zero-failure result above is a property of the rotation, not of a blind harness."""
    emulator, driver, _rotation = rotation_world
    stop = threading.Event()
    apps = [App(emulator, stop) for _ in range(2)]
    for app in apps:
        app.start()
    try:
        wait_for_progress(apps)
        emulator.regenerate_key("key1")  # the active key, before Key Vault knows the new value
        wait_for_progress(apps)
        assert all(app.failures for app in apps)
        driver.up()  # Key Vault catches up; apps recover by re-reading on their next 401
        wait_for_progress(apps, calls=2)  # let requests that were in flight during up() finish
        failures = [len(app.failures) for app in apps]
        wait_for_progress(apps)
        assert [len(app.failures) for app in apps] == failures
    finally:
        stop.set()
        for app in apps:
            app.join(timeout=15)
