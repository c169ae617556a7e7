"""What aisvc.client costs an app, measured against the local emulator with a real TextAnalyticsClient.

Figures (within one run):
- overhead per call when no 401 happens: a client with KeyVaultKeyCredential +
  key_refresh_policy against one with a plain AzureKeyCredential (the SDK's own
  key policy), batches interleaved; ratio of the per-call medians. Target:
  within 2%. Also each policy's own cost per call in a pipeline whose transport
  answers at once (no network), which shows where the ratio comes from.
- recovery after a rotation: from the emulator answering the first 401 to it
  answering the resend with 200 (one Key Vault read in between), for one
  thread and for 4 threads hitting the 401 together.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from measure import ROOT, median, table

sys.path.insert(0, str(ROOT))
from azure.ai.textanalytics import TextAnalyticsClient  # noqa: E402 - benchmarks run from benchmarks/
from azure.core.credentials import AzureKeyCredential  # noqa: E402
from azure.core.pipeline import Pipeline  # noqa: E402
from azure.core.pipeline.policies import AzureKeyCredentialPolicy  # noqa: E402
from azure.core.pipeline.transport import HttpTransport  # noqa: E402
from azure.core.rest import HttpRequest  # noqa: E402

from aisvc.client import KeyVaultKeyCredential, key_refresh_policy  # noqa: E402
from tests.client.support import (  # noqa: E402
    APP_SECRET,
    DOCUMENTS,
    LANGUAGE_KEY_HEADER,
    rotate,
    token_credential,
    vault_kwargs,
)
from tests.support.emulator import AzureEmulator  # noqa: E402

WIRE_CALLS = 1500  # per client, in turn with the others
PLAIN = "plain AzureKeyCredential"
REFRESH = "KeyVaultKeyCredential + key_refresh_policy"
CONTROL = "plain AzureKeyCredential again (A/A control)"
PIPELINE_CALLS = 2000  # per round
PIPELINE_ROUNDS = 10
RECOVERIES = 5
THREADS = 4


def language_client(emulator: AzureEmulator, credential: AzureKeyCredential, policy: Any) -> TextAnalyticsClient:
    kwargs = {"authentication_policy": policy} if policy is not None else {}
    return TextAnalyticsClient(emulator.endpoint("TextAnalytics"), credential,
                               connection_verify=emulator.ca_file, **kwargs)


def per_call(call: Callable[[], object], times: int) -> float:
    start = time.perf_counter()
    for _ in range(times):
        call()
    return (time.perf_counter() - start) / times


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def overhead_on_the_wire(emulator: AzureEmulator) -> list[list[str]]:
    """Per-call medians of clients called in turn, one call each, so drift hits all alike.

    A second plain client is the A/A control: its ratio to the first is this
    run's noise floor for the comparison that matters.
    """
    with KeyVaultKeyCredential(emulator.vault_url, APP_SECRET, token_credential(emulator),
                               **vault_kwargs(emulator)) as credential:
        clients = {
            PLAIN: language_client(emulator, AzureKeyCredential(credential.key), None),
            REFRESH: language_client(emulator, credential, key_refresh_policy(credential, LANGUAGE_KEY_HEADER)),
            CONTROL: language_client(emulator, AzureKeyCredential(credential.key), None),
        }
        calls = {name: (lambda c=client: c.detect_language(DOCUMENTS)) for name, client in clients.items()}
        for call in calls.values():  # warm up: connections, token, first-call imports
            per_call(call, 20)
        timings: dict[str, list[float]] = {name: [] for name in calls}
        names = list(calls)
        for turn in range(WIRE_CALLS):
            for name in names[turn % 3:] + names[:turn % 3]:  # rotate who goes first
                timings[name].append(timed(calls[name]))
    plain, refresh, control = (median(timings[name]) for name in (PLAIN, REFRESH, CONTROL))
    return [[PLAIN, f"{plain * 1e3:.3f}", ""],
            [REFRESH, f"{refresh * 1e3:.3f}", f"{refresh / plain:.3f}x"],
            [CONTROL, f"{control * 1e3:.3f}", f"{control / plain:.3f}x"]]


class _InstantTransport(HttpTransport):
    """Answers 200 at once: isolates the policies' own cost."""

    def __init__(self, response: Any) -> None:
        self._response = response

    def send(self, request: Any, **kwargs: Any) -> Any:
        return self._response

    def open(self) -> None: ...

    def close(self) -> None: ...

    def __exit__(self, *exc: object) -> None: ...


class _Status200:
    status_code = 200


def overhead_in_the_pipeline() -> list[list[str]]:
    class Credential(KeyVaultKeyCredential):
        def __init__(self) -> None:  # no vault: only the policy's per-call work is timed
            AzureKeyCredential.__init__(self, "k" * 32)

    policies: dict[str, Any] = {
        "AzureKeyCredentialPolicy (SDK default)": AzureKeyCredentialPolicy(AzureKeyCredential("k" * 32),
                                                                         LANGUAGE_KEY_HEADER),
        "key_refresh_policy": key_refresh_policy(Credential(), LANGUAGE_KEY_HEADER),
    }
    calls = {name: _pipeline_call(Pipeline(_InstantTransport(_Status200()), policies=[policy]))
             for name, policy in policies.items()}
    for call in calls.values():
        per_call(call, 1000)  # warm up
    timings: dict[str, list[float]] = {name: [] for name in calls}
    for round_ in range(PIPELINE_ROUNDS):  # interleaved, alternating order
        for name in list(calls) if round_ % 2 == 0 else reversed(list(calls)):
            timings[name].append(per_call(calls[name], PIPELINE_CALLS))
    return [[name, f"{median(seconds) * 1e6:.2f}"] for name, seconds in timings.items()]


def _pipeline_call(pipeline: Pipeline[Any, Any]) -> Callable[[], object]:
    return lambda: pipeline.run(HttpRequest("POST", "https://127.0.0.1/x"))


def vault_reads(emulator: AzureEmulator) -> int:
    return sum(1 for record in emulator.requests("vault", "GET", APP_SECRET) if record.status == 200)


def recovery(emulator: AzureEmulator, threads: int) -> tuple[float, float]:
    """Seconds from the first 401 to the last of `threads` resends answered 200 (median of RECOVERIES),
    and Key Vault reads per invalidating rotation."""
    spans, reads = [], 0
    with KeyVaultKeyCredential(emulator.vault_url, APP_SECRET, token_credential(emulator), min_refresh_seconds=0.0,
                               **vault_kwargs(emulator)) as credential:
        client = language_client(emulator, credential, key_refresh_policy(credential, LANGUAGE_KEY_HEADER))
        client.detect_language(DOCUMENTS)
        for _ in range(RECOVERIES):
            rotate(emulator)
            rotate(emulator)  # the second rotation regenerates the key the app holds
            seen, reads_before = len(emulator.requests("ai")), vault_reads(emulator)
            barrier = threading.Barrier(threads)

            def app_thread(barrier: threading.Barrier = barrier) -> None:
                barrier.wait()  # all threads send the rejected key together
                client.detect_language(DOCUMENTS)

            workers = [threading.Thread(target=app_thread) for _ in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            answers = emulator.requests("ai")[seen:]
            first_401 = min(r.at for r in answers if r.status == 401)
            spans.append(max(r.at for r in answers if r.status == 200) - first_401)
            reads += vault_reads(emulator) - reads_before
    return median(spans), reads / RECOVERIES


def main() -> None:
    saved = dict(os.environ)
    try:
        with AzureEmulator() as emulator:
            os.environ.update(emulator.env())  # nothing here may reach a real Azure host
            report(emulator)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def report(emulator: AzureEmulator) -> None:
    """Print the three figures."""
    wire = overhead_on_the_wire(emulator)
    print(f"overhead per call, no 401 (median of {WIRE_CALLS} calls per client, clients called in turn):")
    print(table(wire, ["client", "ms per call", "/ plain"]))
    print(f"\npolicy cost per call, transport answering at once (median of {PIPELINE_ROUNDS} interleaved "
          f"rounds of {PIPELINE_CALLS}):")
    print(table(overhead_in_the_pipeline(), ["policy", "us per call"]))
    rows = []
    for threads in (1, THREADS):
        span, reads = recovery(emulator, threads)
        rows.append([threads, f"{span * 1e3:.1f}", f"{reads:g}"])
    print(f"\nrecovery after a rotation: first 401 to the last resend answered 200 (median of {RECOVERIES})")
    print(table(rows, ["threads", "ms", "Key Vault reads per rotation"]))


if __name__ == "__main__":
    main()
