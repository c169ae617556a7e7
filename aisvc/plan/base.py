"""The earlier stack file a plan compares against: `--base FILE` or `--base-ref GITREF`.

The text is read exactly as the stack file is (the Pulumi CLI's YAML rules,
``aisvc.services.project.stack_config``), so both sides of the comparison go
through the same parser and the same settings validation.
"""
from __future__ import annotations

import dataclasses
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aisvc.errors import InputError
from aisvc.services.project import Project, stack_config

GIT_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class BaseConfig:
    """The base side: where it came from (for messages and JSON) and its config as the CLI hands it over."""

    label: str  # the file path, or "<ref>:stacks/Pulumi.<stack>.yaml"
    config: dict[str, str]
    secret_keys: list[str]


def base_from_file(project: Project, stack: str, path: Path) -> BaseConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"--base {path}: file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"--base {path}: cannot read it: {err}") from None
    return _parse(project, stack, text, str(path), "--base")


def base_from_git(project: Project, stack: str, ref: str) -> BaseConfig:
    """``stacks/Pulumi.<stack>.yaml`` as it is at ``ref`` (`git show <ref>:<path>`), relative to the repository root."""
    if not ref or ref.startswith("-"):
        raise InputError(f"--base-ref {ref!r} is not a git ref")
    stack_file = project.stack_file(stack).resolve()
    top = _git(project.directory, ["rev-parse", "--show-toplevel"], ref).strip()
    try:
        relative = stack_file.relative_to(Path(top).resolve()).as_posix()
    except ValueError:
        raise InputError(f"--base-ref {ref}: {stack_file} is not inside the git repository {top}") from None
    spec = f"{ref}:{relative}"
    text = _git(project.directory, ["show", spec], ref, spec)
    return _parse(project, stack, text, spec, "--base-ref")


def _git(directory: Path, args: list[str], ref: str, spec: str | None = None) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=directory, capture_output=True, text=True,  # noqa: S607 - git from PATH
                              timeout=GIT_TIMEOUT_SECONDS, check=False)
    except FileNotFoundError:
        raise InputError("--base-ref needs git on PATH") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"--base-ref {ref}: git {args[0]} took more than {GIT_TIMEOUT_SECONDS} s") from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        what = spec or ref
        raise InputError(f"--base-ref {ref}: cannot read {what}: {reason.removeprefix('fatal: ')}")
    return done.stdout


def _parse(project: Project, stack: str, text: str, label: str, option: str) -> BaseConfig:
    """Parse ``text`` as the stack file of ``stack`` with the same reader the plan uses."""
    with tempfile.TemporaryDirectory(prefix="aisvc-base-") as scratch:
        shadow = dataclasses.replace(project, stack_config_dir=Path(scratch))
        shadow.stack_file(stack).write_text(text, encoding="utf-8")
        try:
            config, secret_keys = stack_config(shadow, stack)
        except InputError as err:
            message = str(err).replace(str(shadow.stack_file(stack)), label)
            raise InputError(f"{option} {label}: {message}") from None
    return BaseConfig(label=label, config=config, secret_keys=secret_keys)
