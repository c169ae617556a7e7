"""How long the post-deploy check holds a pipeline, measured against the local emulator.

Figures (within one run):
- readiness lag: the emulator turns ready after T seconds (Key Vault RBAC,
  DNS stood in for by a port that starts listening at T, subdomain routing);
  how long after T `aisvc check` exits with success, and how many requests it
  spent. Target: under max(1 s, 10% of T).
- fail-fast: wrong key, AuthenticationTypeDisabled, SecretNotFound, firewall:
  time to exit 1, minus the key grace period where the contract allows one.
  Target: under 2 s after the grace.
- overhead on a ready service: `aisvc check --auth key` against a bare script
  making the same exchanges with azure-identity and requests (ratio).
"""
from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from measure import ROOT, median, run_process, table

sys.path.insert(0, str(ROOT))
from tests.support.emulator import AzureEmulator  # noqa: E402 - benchmarks run from benchmarks/

DELAYS = (2.0, 10.0, 30.0)
KEY_GRACE = 15.0
REPEAT = 5
CHECK = [sys.executable, "-m", "aisvc", "check", "--outputs", "-", "--json", "--timeout", "120",
         "--key-grace", str(KEY_GRACE)]

BARE_SCRIPT = r"""
import json, os, sys, requests
from azure.identity import ClientSecretCredential
outputs = json.load(sys.stdin)
credential = ClientSecretCredential(os.environ["AZURE_TENANT_ID"], os.environ["AZURE_CLIENT_ID"],
    os.environ["AZURE_CLIENT_SECRET"], authority=os.environ["AZURE_AUTHORITY_HOST"],
    disable_instance_discovery=True)
token = credential.get_token("https://vault.azure.net/.default").token
secret = requests.get(f"{outputs['keyVaultUri']}secrets/{outputs['keySecretName']}/?api-version=7.6",
                      headers={"Authorization": f"Bearer {token}"}, timeout=30)
secret.raise_for_status()
probe = requests.post(outputs["endpoint"] + "language/:analyze-text?api-version=2023-04-01",
    headers={"Ocp-Apim-Subscription-Key": secret.json()["value"]},
    json={"kind": "LanguageDetection", "analysisInput": {"documents": [{"id": "1", "text": "Hello world"}]}},
    timeout=30)
sys.exit(0 if probe.status_code == 200 else 1)
"""


def run_check(emulator: AzureEmulator, outputs: dict[str, Any], *extra: str) -> tuple[float, float, int, dict]:
    """Start the check now; return (start, end) monotonic moments, exit code and its JSON report."""
    start = time.monotonic()
    result = run_process([*CHECK, *extra], env=emulator.env(), stdin=json.dumps(outputs))
    end = time.monotonic()
    report = json.loads(result.stdout) if result.stdout.strip() else {}
    return start, end, result.returncode, report


@contextmanager
def late_listener(target_port: int, listen_at: float) -> Iterator[int]:
    """A 127.0.0.1 port that refuses connections until `listen_at`, then forwards to target_port.

    Stands in for a new name that does not resolve yet: the client sees a
    connection error, exactly the class the check treats as transient.
    """
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    stop = threading.Event()

    def pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def serve() -> None:
        while time.monotonic() < listen_at and not stop.is_set():
            time.sleep(0.01)
        server = socket.create_server(("127.0.0.1", port))
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(("127.0.0.1", target_port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=pump, args=(a, b), daemon=True).start()
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(timeout=2)


def readiness_case(scenario: str, delay: float) -> list[Any]:
    with AzureEmulator() as emulator:
        outputs = emulator.stack_outputs(kind="AIServices")
        if scenario == "Key Vault RBAC":
            ready_at = emulator.forbid_vault_for(delay)
            start, end, code, report = run_check(emulator, outputs)
        elif scenario == "subdomain routing":
            ready_at = emulator.unmap_subdomain_for(delay)
            start, end, code, report = run_check(emulator, outputs)
        else:  # DNS: the endpoint's port only starts listening at T
            ai_port = int(emulator.ai_base_url.rsplit(":", 1)[1])
            ready_at = time.monotonic() + delay
            with late_listener(ai_port, ready_at) as port:
                outputs["endpoint"] = outputs["endpoint"].replace(f":{ai_port}/", f":{port}/")
                start, end, code, report = run_check(emulator, outputs)
        lag = end - ready_at
        served = len(emulator.requests())
    attempts = sum(check.get("attempts", 0) for check in report.get("checks", []))
    target = max(1.0, 0.1 * delay)
    verdict = "ok" if code == 0 and lag <= target else ("FAILED" if code else "slow")
    return [scenario, f"{delay:.0f}", f"{lag:.2f}", f"{target:.1f}", attempts, served, code, verdict]


def readiness() -> None:
    rows = [readiness_case(s, d) for s in ("Key Vault RBAC", "DNS (late listener)", "subdomain routing")
            for d in DELAYS]
    print("readiness lag: check success after the service turned ready at T")
    print(table(rows, ["scenario", "T s", "lag after T s", "target s", "check attempts",
                       "requests served", "exit", "verdict"]))


def fail_fast_case(name: str) -> list[Any]:
    with AzureEmulator() as emulator:
        outputs = emulator.stack_outputs(kind="AIServices")
        grace = 0.0
        if name == "wrong key":
            emulator.set_secret(outputs["keySecretName"], "0" * 32, {"CredentialId": "key1"})
            grace = KEY_GRACE
        elif name == "AuthenticationTypeDisabled":
            emulator.set_local_auth(False)
        elif name == "SecretNotFound":
            emulator.delete_secret(outputs["keySecretName"])
        elif name == "firewall":
            emulator.set_firewall("ip")
        start, end, code, report = run_check(emulator, outputs)
    beyond = (end - start) - grace
    error = (report.get("checks") or [{}])[0].get("error") or ""
    return [name, f"{end - start:.2f}", f"{grace:.0f}", f"{beyond:.2f}", code,
            "ok" if code == 1 and beyond < 2.0 else "SLOW" if code == 1 else "WRONG EXIT", error[:60]]


def fail_fast() -> None:
    rows = [fail_fast_case(n) for n in ("wrong key", "AuthenticationTypeDisabled", "SecretNotFound", "firewall")]
    print("\nfail-fast: time to exit 1 (the wrong key is retried for the key grace first)")
    print(table(rows, ["definitive answer", "exit after s", "grace s", "beyond grace s", "exit", "verdict",
                       "message"]))


def overhead() -> None:
    with AzureEmulator() as emulator:
        outputs = emulator.stack_outputs(kind="AIServices")
        env, document = emulator.env(), json.dumps(outputs)
        check_runs, bare_runs = [], []
        for _ in range(REPEAT):  # interleaved, so drift on a shared machine hits both alike
            before = len(emulator.requests())
            check_runs.append(run_process([*CHECK, "--auth", "key"], env=env, stdin=document))
            check_requests = len(emulator.requests()) - before
            before = len(emulator.requests())
            bare_runs.append(run_process([sys.executable, "-c", BARE_SCRIPT], env=env, stdin=document))
            bare_requests = len(emulator.requests()) - before
    for runs in (check_runs, bare_runs):
        if any(r.returncode for r in runs):
            raise SystemExit(f"overhead run failed: {runs[0].stderr[-500:]}")
    check_s, bare_s = median([r.seconds for r in check_runs]), median([r.seconds for r in bare_runs])
    print(f"\noverhead on a ready service (median of {REPEAT}, whole processes):")
    print(table(
        [["aisvc check --auth key", f"{check_s:.3f}", f"{median([r.peak_rss_mib for r in check_runs]):.0f}",
          check_requests],
         ["bare azure-identity + requests script", f"{bare_s:.3f}",
          f"{median([r.peak_rss_mib for r in bare_runs]):.0f}", bare_requests],
         ["ratio check / bare", f"{check_s / bare_s:.2f}x", "", ""]],
        ["process", "wall s", "peak MiB", "requests"],
    ))


def main() -> None:
    readiness()
    fail_fast()
    overhead()


if __name__ == "__main__":
    main()
