"""Start-up: the command's own process imports without GC pauses; a library caller's GC is never touched."""
from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

from aisvc.services import startup


@pytest.fixture
def restore_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    startup._paused = False
    gc.unfreeze()
    if enabled:
        gc.enable()


def test_resume_without_pause_leaves_the_callers_gc_alone(restore_gc: None) -> None:
    gc.enable()
    frozen = gc.get_freeze_count()
    startup.resume_gc()
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_pause_then_resume_freezes_what_was_loaded_and_collects_again(restore_gc: None) -> None:
    startup.pause_gc()
    assert not gc.isenabled()
    startup.resume_gc()
    assert gc.isenabled() and gc.get_freeze_count() > 0
    startup.resume_gc()  # a second resume is a no-op


def test_the_command_process_runs_without_gc_until_a_waiting_command_resumes_it() -> None:
    # The frame's group is replaced by a probe that reports the GC state the command would start with.
    probe = ("import gc, sys; import aisvc.cli; from aisvc.__main__ import run; "
             "sys.modules['aisvc.cli.main'].cli.main = lambda **kw: print(gc.isenabled()); run()")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
