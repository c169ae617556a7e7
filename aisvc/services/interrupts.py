"""SIGINT and SIGTERM as one typed exception, and the child processes that must get them too.

`signal_frame()` (installed once, by the CLI's frame) turns the first SIGINT or
SIGTERM into `Interrupted`, a `KeyboardInterrupt`, raised in the main thread
wherever it is waiting (a sleep, a socket read, a child's exit). Code that runs
a long-lived child wraps it in `supervised(process)`: on the way out of an
interruption the child gets the same signal and is waited for, so no `pulumi up`
is orphaned. A second signal goes to the children (for the Pulumi CLI a second
Ctrl-C means "stop now"); with no child it is ignored, and a third ends the
process at once.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the frame loads this module for every command; subprocess only when a child runs
    import subprocess
    from pathlib import Path
    from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)
FORCE_EXIT_AFTER = 3  # signals

_children: set[subprocess.Popen[str]] = set()
_children_lock = threading.Lock()
_received: list[int] = []  # the signals seen since the frame was installed


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived; exit code 128 + the signal number (130, 143)."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        self.signum = signum
        super().__init__(self.signal_name)

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def as_interrupted(error: KeyboardInterrupt) -> Interrupted:
    """A plain KeyboardInterrupt (raised before the frame was installed) is a SIGINT."""
    return error if isinstance(error, Interrupted) else Interrupted(signal.SIGINT)


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    _received.append(signum)
    if len(_received) == 1:
        raise Interrupted(signum)
    # Already unwinding: a repeated signal is for the children. Without one, a double Ctrl-C must not
    # cost the report (and the JSON document), so only a third signal ends a stuck clean-up at once.
    if not _forward(signum) and len(_received) >= FORCE_EXIT_AFTER:
        sys.stderr.write(f"error: {signal.Signals(signum).name} again: exiting now\n")
        sys.stderr.flush()
        os._exit(128 + signum)


def _forward(signum: int) -> bool:
    with _children_lock:
        children = [child for child in _children if child.poll() is None]
    for child in children:
        _signal_child(child, signum)
    return bool(children)


def _signal_child(child: subprocess.Popen[str], signum: int) -> None:
    """The child's whole process group, as a terminal's Ctrl-C would reach it (see `CHILD_PROCESS_GROUP`)."""
    try:
        if sys.platform == "win32":
            child.send_signal(signum)
        else:
            os.killpg(child.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


# A supervised child runs in its own process group (Popen's process_group), so a terminal's
# Ctrl-C reaches it once, through us, not twice (the Pulumi CLI reads a second SIGINT as "stop now").
CHILD_PROCESS_GROUP: int | None = None if sys.platform == "win32" else 0


@contextmanager
def signal_frame() -> Iterator[None]:
    """Install the SIGINT/SIGTERM handlers for the duration (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _on_signal) for signum in SIGNALS}
    _received.clear()
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _received.clear()


@contextmanager
def supervised(child: subprocess.Popen[str]) -> Iterator[None]:
    """Leave no orphan: on any exception the child gets the signal (SIGTERM if none) and is waited for."""
    with _children_lock:
        _children.add(child)
    try:
        yield
    except BaseException as error:
        if child.poll() is None:
            _signal_child(child, error.signum if isinstance(error, Interrupted) else signal.SIGTERM)
            _wait(child)
        raise
    finally:
        with _children_lock:
            _children.discard(child)


def _wait(child: subprocess.Popen[str]) -> None:
    """Wait for the child however long its clean-up takes; a second signal reaches it through the handler."""
    while True:
        try:
            child.wait()
            return
        except KeyboardInterrupt:  # outside the frame: a plain Ctrl-C while waiting; keep waiting
            continue


def run_supervised(args: list[str], *, cwd: str | Path | None, timeout: float) -> subprocess.CompletedProcess[str]:
    """`subprocess.run(capture_output=True, text=True)` for a short child (`pulumi stack output`), supervised:
    a signal reaches the child and it is waited for, instead of the SIGKILL `subprocess.run` sends."""
    import subprocess

    with subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, process_group=CHILD_PROCESS_GROUP) as child, supervised(child):
        try:
            stdout, stderr = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise
    return subprocess.CompletedProcess(args, child.returncode, stdout, stderr)
