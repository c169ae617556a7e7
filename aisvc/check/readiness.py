"""The readiness loop: retry transient answers with a proportional backoff until a deadline."""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from aisvc.check.classify import Classification, Verdict
from aisvc.services.answers import Answer
from aisvc.services.console import Output, redact

# Wait a fixed fraction of the time already spent (at least FIRST, at most CAP):
# a service that turns ready after T seconds is noticed within about T/16, so
# the lag stays under max(1 s, T/10) while requests grow only logarithmically
# (benchmarks/bench_check.py measures both).
BACKOFF_FIRST, BACKOFF_FRACTION, BACKOFF_CAP = 0.5, 1 / 16, 15.0


class Progress:
    """Attempt, elapsed time and last answer: a live status line on a terminal, plain lines otherwise."""

    def __init__(self, output: Output | None, name: str) -> None:
        self.output, self.name = output, name
        self.started = time.monotonic()
        self.attempts = 0
        self.last: Answer | None = None
        self.phase = ""
        self._explained = ""
        self._status: Any = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def on_attempt(self, answer: Answer) -> None:
        self.attempts += 1
        self.last = answer
        if not self._plain:  # plain logs get one line per retry, from waiting()
            self._show(f"{self.name}: attempt {self.attempts}, {self.elapsed:.1f} s, last answer from {self.phase} "
                       f"{answer.describe()}")

    def waiting(self, seconds: float, reason: Classification) -> None:
        line = self._retry_line(seconds, "retrying")
        # A CI log reads the long explanation once, not on each of a hundred retries;
        # the live status line is one terminal row and never carries it.
        if self._plain and reason.reason != self._explained:
            self._explained = reason.reason
            line += f" ({reason.reason})"
        self._show(line)

    def pipeline_waiting(self, seconds: float) -> None:
        """A wait inside the HTTP pipeline (429 Retry-After, 5xx, connection error): shown like any other."""
        self._show(self._retry_line(seconds, "the HTTP pipeline retries"))

    def _retry_line(self, seconds: float, what: str) -> str:
        answer = self.last.describe() if self.last else ""
        return (f"{self.name}: attempt {self.attempts}, {self.elapsed:.1f} s, {self.phase} answered {answer}; "
                f"{what} in {seconds:.1f} s")

    @property
    def _plain(self) -> bool:
        return self.output is not None and self.output.progress_plain

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def _show(self, text: str) -> None:
        if self.output is None:
            return
        if self.output.progress_plain:
            self.output.progress(text)
            return
        if self._status is None:
            self._status = self.output.err.status(redact(text))
            self._status.start()
        else:
            self._status.update(redact(text))


class Backoff:
    """Waits proportional to the time already waited, capped, with a little jitter below.

    Exponential backoff would overshoot: after a 30 s propagation delay it
    sleeps past readiness by up to its last (large) interval. The jitter only
    shortens a wait, so many checks started together do not align and none
    waits longer than the bound.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started = clock()

    def next(self) -> float:
        waited = self._clock() - self._started
        wait = min(BACKOFF_CAP, max(BACKOFF_FIRST, BACKOFF_FRACTION * waited))
        return wait * random.uniform(0.85, 1.0)  # noqa: S311 - jitter, not cryptography


Step = Callable[[float], tuple[Answer, Classification]]


def until_ready(step: Step, *, deadline: float, timeout: float, progress: Progress) -> tuple[Answer, Classification]:
    """Repeat `step` while its answers are transient, within the deadline; the last answer decides."""
    backoff = Backoff()
    while True:
        answer, verdict = step(deadline - time.monotonic())
        if verdict.verdict is not Verdict.TRANSIENT:
            return answer, verdict
        remaining = deadline - time.monotonic()
        retry_after = answer.retry_after or 0.0
        if remaining <= 0:
            return answer, Classification(Verdict.DEFINITIVE, f"timed out after {timeout:g} s; last answer "
                                                              f"{answer.describe()}: {verdict.reason}")
        if retry_after > remaining:
            return answer, Classification(
                Verdict.DEFINITIVE, f"the service asked to retry after {retry_after:g} s, past the end of --timeout "
                                    f"{timeout:g} s ({remaining:.1f} s left); last answer {answer.describe()}: "
                                    f"{verdict.reason}; retry later or raise --timeout")
        wait = min(max(backoff.next(), retry_after), remaining)
        progress.waiting(wait, verdict)
        time.sleep(wait)


