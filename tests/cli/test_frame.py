"""One frame for every command: help without arguments, the shared -s/--stack and --project-dir,
output style from stdout's terminal-ness, `python -m aisvc` without dependencies, and dev.py."""
from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from aisvc.services.console import Output, plain_style
from tests.support.emulator import AzureEmulator
from tests.support.fakes.pulumi_project import FakePulumi

REPO_ROOT = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[")
BOX_DRAWING = re.compile("[\u2500-\u257f]")


def aisvc(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO_ROOT,
          stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aisvc", *args], cwd=cwd, capture_output=True, text=True,
                          input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                          env=env, timeout=120)


# --- no arguments ---------------------------------------------------------------------------


def test_no_arguments_prints_the_help_on_stdout() -> None:
    result = aisvc()
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: aisvc [OPTIONS] COMMAND [ARGS]...")
    assert all(command in result.stdout for command in ("plan", "check", "rotate"))
    assert result.stderr == ""


# --- the same -s/--stack and --project-dir on every command ---------------------------------


@pytest.mark.parametrize("command", ["plan", "check", "rotate"])
def test_every_command_takes_stack_and_project_dir(command: str) -> None:
    help_text = aisvc(command, "--help").stdout
    assert "-s, --stack NAME" in help_text or "--stack, -s NAME" in help_text
    assert "--project-dir DIR" in help_text and "AISVC_PROJECT_DIR" in help_text


def fake_pulumi_env(emulator: AzureEmulator, fake: FakePulumi, **extra: str) -> dict[str, str]:
    env = {**emulator.env(), **fake.env(), **extra}
    env["PATH"] = os.pathsep.join([str(fake.root / "bin"), env.get("PATH", "")])
    return env


def stack_output_calls(fake: FakePulumi) -> list[dict[str, Any]]:
    entries = [json.loads(line) for line in fake.log_file.read_text().splitlines()]
    return [entry for entry in entries if entry["argv"][:2] == ["stack", "output"]]


@pytest.mark.parametrize("how", ["option", "env"])
def test_check_short_stack_reads_outputs_in_the_project_dir(azure_emulator: AzureEmulator, tmp_path: Path,
                                                            how: str) -> None:
    fake = FakePulumi(tmp_path, outputs=azure_emulator.stack_outputs())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    args = ("--project-dir", str(fake.project)) if how == "option" else ()
    extra = {"AISVC_PROJECT_DIR": str(fake.project)} if how == "env" else {}

    result = aisvc("check", "-s", "dev", "--json", *args, env=fake_pulumi_env(azure_emulator, fake, **extra),
                   cwd=elsewhere)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True
    [call] = stack_output_calls(fake)
    assert call["cwd"] == str(fake.project)
    assert call["argv"][call["argv"].index("--stack") + 1] == "dev"


def test_check_stack_still_excludes_outputs(tmp_path: Path) -> None:
    result = aisvc("check", "-s", "dev", "--outputs", "-", stdin="{}")
    assert result.returncode == 2
    assert result.stderr == "error: give exactly one of --stack NAME or --outputs FILE|-\n"


@pytest.mark.parametrize("how", ["option", "env"])
def test_rotate_short_stack_and_project_dir(azure_emulator: AzureEmulator, tmp_path: Path, how: str) -> None:
    fake = FakePulumi(tmp_path, outputs=azure_emulator.stack_outputs())
    state = fake.state()
    state["stacks"] = {"other": state["stacks"]["dev"]}  # stop right after `pulumi stack select`
    fake.write_state(state)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    args = ("--project-dir", str(fake.project)) if how == "option" else ()
    extra = {"AISVC_PROJECT_DIR": str(fake.project)} if how == "env" else {}

    result = aisvc("rotate", "-s", "dev", "--yes", *args, env=fake_pulumi_env(azure_emulator, fake, **extra),
                   cwd=elsewhere)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == "error: stack 'dev' not found (pulumi stack ls lists the stacks)"
    select = [json.loads(line) for line in fake.log_file.read_text().splitlines()
              if "select" in json.loads(line)["argv"]]
    assert select and select[0]["cwd"] == str(fake.project)


def test_plan_project_dir_from_env_and_named_on_stderr(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(REPO_ROOT / "stacks", project / "stacks")
    shutil.copy(REPO_ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    (project / "__main__.py").write_text("import pulumi\npulumi.export('hello', 'world')\n")

    result = aisvc("plan", "-s", "prod", "--plain", env={**os.environ, "AISVC_PROJECT_DIR": str(project)},
                   cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    stack_file = project / "stacks" / "Pulumi.prod.yaml"
    assert f"planning stack prod from {stack_file} (project {project})" in result.stderr
    assert "hello" in result.stdout and "world" in result.stdout


def test_plan_from_a_subdirectory_uses_the_project_above(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(REPO_ROOT / "stacks", project / "stacks")
    shutil.copy(REPO_ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    (project / "__main__.py").write_text("import pulumi\npulumi.export('from', 'above')\n")
    below = project / "src" / "deeper"
    below.mkdir(parents=True)

    result = aisvc("plan", "--json", cwd=below)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outputs"] == {"from": "above"}
    assert f"(project {project})" in result.stderr


# --- output style follows stdout ------------------------------------------------------------


def run_with_terminal(args: list[str], terminal: str) -> tuple[int, str, str]:
    """Run aisvc with `terminal` ("stdout" or "stderr") on a pseudo-terminal and the other on a pipe."""
    controller, follower = pty.openpty()
    pipe = subprocess.PIPE
    env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "AISVC_PLAIN")}
    env.update(TERM="xterm-256color", COLUMNS="80")
    process = subprocess.Popen(
        [sys.executable, "-m", "aisvc", *args], cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
        stdout=follower if terminal == "stdout" else pipe, stderr=follower if terminal == "stderr" else pipe,
    )
    os.close(follower)
    on_terminal = bytearray()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the follower side closed: the process is done with the terminal
            break
        if not chunk:
            break
        on_terminal.extend(chunk)
    piped_out, piped_err = process.communicate(timeout=120)
    os.close(controller)
    piped = (piped_err if terminal == "stdout" else piped_out) or b""
    return process.returncode, on_terminal.decode(errors="replace"), piped.decode()


def test_plan_to_a_file_from_a_terminal_is_plain() -> None:
    """`aisvc plan > plan.txt` typed on a terminal: stderr is the terminal, stdout is not."""
    code, _terminal, stdout = run_with_terminal(["plan", "-s", "dev"], terminal="stderr")
    assert code == 0
    assert not ANSI.search(stdout) and not BOX_DRAWING.search(stdout)
    assert "Plan for stack dev" in stdout


def test_plan_on_a_terminal_is_rich() -> None:
    code, terminal, stderr = run_with_terminal(["plan", "-s", "dev"], terminal="stdout")
    assert code == 0
    assert ANSI.search(terminal) or BOX_DRAWING.search(terminal)
    assert "planning stack dev" in stderr and not ANSI.search(stderr)  # progress: stderr is a pipe


class Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize(("plain", "env", "tty", "expected"), [
    (None, {}, True, False),
    (None, {}, False, True),
    (True, {}, True, True),
    (None, {"NO_COLOR": "1"}, True, True),
    (None, {"AISVC_PLAIN": "1"}, True, True),
    (False, {}, False, False),
])
def test_plain_style_decision(monkeypatch: pytest.MonkeyPatch, plain: bool | None, env: dict[str, str], tty: bool,
                              expected: bool) -> None:
    for name in ("NO_COLOR", "AISVC_PLAIN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert plain_style(plain, Stream(tty)) is expected


@pytest.mark.parametrize(("stdout_tty", "stderr_tty"), [(False, True), (True, False)])
def test_results_follow_stdout_and_progress_follows_stderr(monkeypatch: pytest.MonkeyPatch, stdout_tty: bool,
                                                           stderr_tty: bool) -> None:
    for name in ("NO_COLOR", "AISVC_PLAIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "stdout", Stream(stdout_tty))
    monkeypatch.setattr(sys, "stderr", Stream(stderr_tty))
    output = Output()
    assert (output.plain, output.progress_plain) == (not stdout_tty, not stderr_tty)
    # --json owns stdout: the human results go to stderr and follow it.
    assert Output(json_mode=True).plain is (not stderr_tty)


# --- python -m aisvc without the dependencies ----------------------------------------------


def test_python_without_dependencies_gets_one_line(tmp_path: Path) -> None:
    # A bare interpreter: no site-packages (-S), no user site (-s), only the checkout on the path.
    base = getattr(sys, "_base_executable", sys.executable)
    env = {"PYTHONPATH": str(REPO_ROOT), "PATH": os.environ.get("PATH", "")}
    result = subprocess.run([base, "-S", "-s", "-m", "aisvc", "plan"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "python3 dev.py aisvc" in result.stderr and ".venv/bin/aisvc" in result.stderr


def test_python_with_click_but_without_the_sdks_gets_the_same_line(tmp_path: Path) -> None:
    """The frame loads fine (click, rich) but the command's SDK is missing: one line, exit 2, no traceback."""
    blocker = tmp_path / "sitecustomize.py"  # hides the Pulumi SDK from this interpreter only
    blocker.write_text("import sys\nsys.modules['pulumi'] = None\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO_ROOT)])}
    result = subprocess.run([sys.executable, "-m", "aisvc", "plan", "-s", "dev", "--project-dir", str(REPO_ROOT)],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "no module named 'pulumi'" in errors[0] and ".venv/bin/aisvc" in errors[0]
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stderr


# --- dev.py -----------------------------------------------------------------------------------


@pytest.fixture
def dev_copy(tmp_path: Path) -> Path:
    """dev.py alone in an empty directory: anything it installs would show up there."""
    shutil.copy(REPO_ROOT / "dev.py", tmp_path / "dev.py")
    return tmp_path


def test_dev_unknown_command_before_installing(dev_copy: Path) -> None:
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(dev_copy / "dev.py"), "foo"], cwd=dev_copy, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.startswith("dev.py: unknown command 'foo'") and "Traceback" not in result.stderr
    assert not (dev_copy / ".venv").exists()
    assert time.monotonic() - started < 10


def ctrl_c_during(dev_copy: Path, child_exit_on_sigint: int, call: str) -> tuple[int, str]:
    """Run ``call`` of dev.py (``{child}``: a child that exits ``child_exit_on_sigint`` on SIGINT) in its own
    process group, send the group a SIGINT as a terminal's Ctrl-C would, and return (exit code, stderr)."""
    script = dev_copy / "child.py"
    script.write_text("import signal, sys, time\n"
                      f"signal.signal(signal.SIGINT, lambda *_: sys.exit({child_exit_on_sigint}))\n"
                      "print('ready', flush=True)\ntime.sleep(60)\n")
    child = f"[sys.executable, {str(script)!r}]"
    runner = ("import importlib.util, sys\n"
              f"spec = importlib.util.spec_from_file_location('dev', {str(dev_copy / 'dev.py')!r})\n"
              "dev = importlib.util.module_from_spec(spec); spec.loader.exec_module(dev)\n"
              f"sys.exit({call.format(child=child)})\n")
    process = subprocess.Popen([sys.executable, "-c", runner], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    os.killpg(process.pid, 2)  # SIGINT to the whole group, as a terminal's Ctrl-C
    _out, err = process.communicate(timeout=30)
    return process.returncode, err


def test_dev_passes_the_child_exit_code_and_survives_ctrl_c(dev_copy: Path) -> None:
    """Ctrl-C on a terminal reaches the child (same process group): dev.py waits and returns its code."""
    code, err = ctrl_c_during(dev_copy, 130, "dev.run_child({child})")
    assert code == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_dev_ctrl_c_is_130_even_when_the_child_reports_it_otherwise(dev_copy: Path) -> None:
    """pytest and mypy exit 2 on Ctrl-C: dev.py still reports the interruption, so `dev.py test` stops."""
    code, err = ctrl_c_during(dev_copy, 2, "dev.run_steps([{child}, [sys.executable, '-c', 'print(1/0)']])")
    assert code == 130
    assert "ZeroDivisionError" not in err  # the next step never ran
