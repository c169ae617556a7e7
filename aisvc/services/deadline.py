"""An azure-core RetryPolicy bounded by a command's deadline."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import RetryPolicy

WaitHook = Callable[[float], None]


class DeadlineRetryPolicy(RetryPolicy):
    """RetryPolicy that does not start a retry whose wait (Retry-After or backoff) ends past the deadline.

    The readiness loop then sees the last answer and reports it, instead of the
    command overrunning --timeout while honouring a long Retry-After.
    Judged in `increment`, the step before RetryPolicy sleeps on both paths (an
    answer or a connection error), with the attempt already counted, so the wait
    is the one `sleep` will take. `on_wait` hears of each wait before it starts,
    so a long Retry-After inside the pipeline is never a silent pause.
    """

    def __init__(self, deadline: float, on_wait: WaitHook | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deadline = deadline
        self.on_wait = on_wait

    def increment(self, settings: dict[str, Any], response: Any = None, error: Exception | None = None) -> bool:
        if not super().increment(settings, response=response, error=error):
            return False
        retry_after = self.get_retry_after(response) if isinstance(response, PipelineResponse) else None
        wait = retry_after or self.get_backoff_time(settings)
        if time.monotonic() + wait >= self.deadline:
            return False
        if self.on_wait is not None:
            self.on_wait(wait)
        return True
