"""The Pulumi project and its stack files, read as the Pulumi CLI reads them.

`aisvc plan`, `aisvc schema` and later commands share this: where the project
is (`--project-dir`, `AISVC_PROJECT_DIR`, the current directory, or this
checkout), which stack file belongs to a stack, and the stack's config as the
CLI hands it to a program (``ns:key`` -> string, objects as JSON).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from aisvc.contract import SECRET_PLACEHOLDER
from aisvc.errors import InputError

STACK_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def stack_name(stack: str) -> str:
    """The stack part of ``[org/[project/]]stack``; InputError when it is not a stack name."""
    name = stack.rsplit("/", 1)[-1]
    if not STACK_NAME_RE.match(name):
        raise InputError(f"--stack {stack!r} is not a stack name (letters, digits, '-', '_', '.')")
    return name


@dataclass(frozen=True)
class Project:
    directory: Path
    name: str
    main: Path
    stack_config_dir: Path

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in self.stack_config_dir.glob("Pulumi.*.yaml"))


def default_project_dir() -> Path:
    """The nearest directory upward from the current one that holds Pulumi.yaml (as the Pulumi CLI
    looks for its project), else this checkout."""
    cwd = Path.cwd()
    return next((d for d in (cwd, *cwd.parents) if (d / "Pulumi.yaml").is_file()), Path(__file__).resolve().parents[2])


def load_project(directory: Path) -> Project:
    project_file = directory / "Pulumi.yaml"
    document = _read_yaml(project_file, "project file")
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise InputError(f"{project_file}: not a Pulumi project file (no name)")
    main = directory / str(document.get("main") or ".")
    return Project(
        directory=directory,
        name=document["name"],
        main=main / "__main__.py" if main.is_dir() else main,
        stack_config_dir=directory / str(document.get("stackConfigDir") or "."),
    )


class _CliYamlLoader(yaml.SafeLoader):
    """YAML as the Pulumi CLI reads it (YAML 1.2 core schema): `yes`/`on` stay strings, so a value
    `pulumi up` would reject is rejected here too, and an unquoted date (a model version such as
    2024-07-18) stays the string the CLI hands the program."""


_CliYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_CliYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _read_yaml(path: Path, what: str) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_CliYamlLoader)  # noqa: S506 - a SafeLoader
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read {what} {path}: {err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise InputError(f"{what} {path}{where} is not valid YAML: {getattr(err, 'problem', err)}") from None


def stack_config(project: Project, stack: str) -> tuple[dict[str, str], list[str]]:
    """Config as the Pulumi CLI hands it to a program: ``ns:key`` -> string (objects as JSON)."""
    path = project.stack_file(stack)
    if not path.exists():
        known = ", ".join(project.stacks()) or "none"
        raise InputError(f"stack file not found: {path} (stacks here: {known})")
    document = _read_yaml(path, "stack file") or {}
    if not isinstance(document, dict) or not isinstance(document.get("config") or {}, dict):
        raise InputError(f"stack file {path}: expected a map with a 'config' map")
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in (document.get("config") or {}).items():
        full_key = str(key) if ":" in str(key) else f"{project.name}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            # Encrypted values need the stack's secrets provider; the plan does not decrypt.
            config[full_key], secret_keys = SECRET_PLACEHOLDER, [*secret_keys, full_key]
        else:
            config[full_key] = config_text(value)
    return config, secret_keys


def config_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return "" if value is None else str(value)


