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
from aisvc.services.cli_yaml import NULL, NodeReader, read_node

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
    document = _read_project_file(project_file)
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise InputError(f"{project_file}: not a Pulumi project file (no name)")
    main = directory / str(document.get("main") or ".")
    return Project(
        directory=directory,
        name=document["name"],
        main=main / "__main__.py" if main.is_dir() else main,
        stack_config_dir=directory / str(document.get("stackConfigDir") or "."),
    )


def _read_project_file(path: Path) -> Any:
    node = read_node(path, "project file")
    return None if node is None else NodeReader(path, "project file").value(node, "")


def stack_config(project: Project, stack: str) -> tuple[dict[str, str], list[str]]:
    """Config as the Pulumi CLI hands it to a program: ``ns:key`` -> string (objects as JSON).

    Read as the CLI reads it (``aisvc.services.cli_yaml``): InputError, with the line, for YAML the
    CLI would refuse or read differently from what is written.
    """
    path = project.stack_file(stack)
    if not path.exists():
        known = ", ".join(project.stacks()) or "none"
        raise InputError(f"stack file not found: {path} (stacks here: {known})")
    reader = NodeReader(path, "stack file")
    document = read_node(path, "stack file")
    config_node = _config_node(reader, document)
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, node in reader.mapping_items(config_node, "") if config_node is not None else []:
        full_key = key if ":" in key else f"{project.name}:{key}"
        if isinstance(node, yaml.ScalarNode):
            config[full_key] = reader.text(node)
        elif _is_secure(reader, node, full_key):
            # Encrypted values need the stack's secrets provider; the plan does not decrypt.
            config[full_key], secret_keys = SECRET_PLACEHOLDER, [*secret_keys, full_key]
        else:
            config[full_key] = json.dumps(reader.value(node, full_key))
    return config, secret_keys


def _config_node(reader: NodeReader, document: yaml.Node | None) -> yaml.MappingNode | None:
    """The ``config:`` map (None when the file or the map is empty)."""
    problem = InputError(f"stack file {reader.path}: expected a map with a 'config' map")
    if document is None:
        return None
    if not isinstance(document, yaml.MappingNode):
        raise problem
    config = dict(reader.mapping_items(document, "")).get("config")
    if config is None or (isinstance(config, yaml.ScalarNode) and config.tag == NULL):
        return None
    if not isinstance(config, yaml.MappingNode):
        raise problem
    return config


def _is_secure(reader: NodeReader, node: yaml.Node, key: str) -> bool:
    return isinstance(node, yaml.MappingNode) and [name for name, _ in reader.mapping_items(node, key)] == ["secure"]


def config_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return "" if value is None else str(value)


