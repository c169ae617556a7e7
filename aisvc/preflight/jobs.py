"""A small thread pool of daemon threads, bounded by a deadline.

Not `concurrent.futures.ThreadPoolExecutor`: its workers are joined when the
interpreter exits, so one call still hanging past --timeout would keep the
command alive. Daemon threads end with the process; every ARM call is also
limited to the time left (azure-core `timeout`), so none outlives it by much.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


class DeadlineExceeded(Exception):
    """The command's --timeout ran out while waiting for an answer."""


class Jobs:
    def __init__(self, timeout: float, max_calls: int = 16) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        # At most this many ARM calls at once (ARM allows ~25 reads a second per principal).
        self._slots = threading.BoundedSemaphore(max_calls)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def submit(self, call: Callable[[], T], *, calls_arm: bool = True) -> Future[T]:
        """Run `call` on a daemon thread; `calls_arm=False` for work that only waits on other jobs (no slot)."""
        future: Future[T] = Future()

        def run() -> None:
            with self._slots if calls_arm else contextlib.nullcontext():
                if not future.set_running_or_notify_cancel():
                    return
                try:
                    future.set_result(call())
                except BaseException as err:  # noqa: BLE001 - handed to whoever waits on the future
                    future.set_exception(err)

        threading.Thread(target=run, daemon=True, name="aisvc-preflight").start()
        return future

    def wait(self, future: Future[T]) -> T:
        """The result, or DeadlineExceeded when the deadline passes first."""
        try:
            return future.result(timeout=max(0.0, self.remaining()))
        except TimeoutError:
            raise DeadlineExceeded from None
