"""Project and stack files read as the Pulumi CLI reads them, and refused where it would read them wrong.

The CLI decodes stack files with go-yaml v3 (Pulumi's ``config.Value``):

- a top-level config value that is a scalar reaches the program as its text, exactly as written
  (``ai-services:sku: 0613`` is the string ``0613``);
- an object or list value goes through go-yaml's resolver, then JSON: ``true``/``false`` (not
  ``yes``/``on``) are booleans, an unquoted date stays text, and numbers are read as Go reads them:
  ``0613`` is octal (395), ``0x1F`` is 31, ``1_000`` is 1000, ``1.0`` reaches the program as ``1``.

``aisvc plan`` must see what `pulumi up` will see, but a value YAML changes behind the user's back
(``version: 0613`` arriving as 395) is a mistake, so a number not written plainly is refused with
the key and the line. So are duplicate keys (go-yaml refuses them too), merge keys and custom tags
(stack files never need them), nesting deeper than ``MAX_DEPTH`` and files over ``MAX_BYTES``.

Aliases (``*name``) are read, as the CLI reads them and as PyYAML's ``safe_dump`` writes shared
objects, but within a budget: a value expanding to more than ``MAX_VALUES`` values (an alias
bomb takes gigabytes; go-yaml has a similar limit) or an alias to itself is refused, before it
is expanded.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError

from aisvc.errors import InputError

MAX_BYTES = 256 * 1024  # a stack file with dozens of encrypted secrets is a few KiB; PyYAML reads 256 KiB in about a second
MAX_DEPTH = 32  # the deepest stack config key is 5 levels down
MAX_VALUES = 10_000  # values after aliases are expanded; a full stack file has about a hundred

NULL, BOOL, STR = "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:str"
INT, FLOAT, MERGE = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:merge"
MAP, SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


class CliYamlLoader(yaml.SafeLoader):
    """Composes nodes only; numbers are left to ``go_number`` (go-yaml v3's rules, not YAML 1.1's)."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        mark: Any = self.peek_event().start_mark
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


CliYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag in (NULL, MERGE)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
CliYamlLoader.add_implicit_resolver(BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def read_node(path: Path, what: str) -> yaml.Node | None:
    """The file's one document as nodes (None when empty). InputError for anything unreadable or refused."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except OSError as err:
        raise InputError(f"cannot read {what} {path}: {err.strerror or err}") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{what} {path} is larger than {MAX_BYTES // 1024} KiB: not a Pulumi {what}")
    try:
        return yaml.compose(data.decode("utf-8"), Loader=CliYamlLoader)  # noqa: S506 - composes nodes, constructs nothing
    except UnicodeDecodeError as err:
        raise InputError(f"cannot read {what} {path}: not UTF-8 ({err.reason} at byte {err.start})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise InputError(f"{what} {path}{where} is not valid YAML: {getattr(err, 'problem', None) or err}") from None


class NodeReader:
    """Turns nodes into the values the CLI hands a program; problems name the file, the line and the key."""

    def __init__(self, path: Path, what: str) -> None:
        self.path, self.what = path, what
        self.values = 0  # nodes turned into values so far, aliases counted each time they expand

    def fail(self, node: yaml.Node, key: str, problem: str) -> InputError:
        return InputError(f"{self.what} {self.path} line {node.start_mark.line + 1}: {key}: {problem}")

    def text(self, node: yaml.Node) -> str:
        """A top-level scalar: its text as written (null: empty)."""
        return "" if node.tag == NULL else str(node.value)

    def value(self, node: yaml.Node, key: str, depth: int = 0) -> Any:
        """An object, list or scalar inside a config value, as go-yaml resolves it."""
        self.values += 1
        if self.values > MAX_VALUES:
            raise self.fail(node, key, f"holds more than {MAX_VALUES} values once aliases are expanded: not a stack file")
        if depth > MAX_DEPTH:
            raise self.fail(node, key, f"nested deeper than {MAX_DEPTH} levels (an alias to itself?)")
        if isinstance(node, yaml.MappingNode):
            items = self.mapping_items(node, key)
            return {name: self.value(child, f"{key}.{name}", depth + 1) for name, child in items}
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, f"{key}[{i}]", depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, key)

    def mapping_items(self, node: yaml.MappingNode, key: str) -> list[tuple[str, yaml.Node]]:
        """Keys (as text) and value nodes of a map, refusing duplicates and merge keys."""
        seen: dict[str, int] = {}
        items = []
        for key_node, value_node in node.value:
            if key_node.tag == MERGE:
                raise self.fail(key_node, key or "<<", "merge keys (<<) are not supported in stack files")
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, key, "a map key must be a plain name")
            name = _go_text(self._scalar(key_node, key))
            where = f"{key}.{name}" if key else name
            if name in seen:
                raise self.fail(key_node, where, f"duplicate key (first at line {seen[name]}): the CLI refuses the file")
            seen[name] = key_node.start_mark.line + 1
            items.append((name, value_node))
        return items

    def _scalar(self, node: yaml.Node, key: str) -> Any:
        text = str(node.value)
        if node.tag == NULL:
            return None
        if node.tag == BOOL:
            return text.lower() == "true"
        if node.tag not in (STR, INT, FLOAT):
            raise self.fail(node, key, f"the YAML tag {node.tag} is not supported in stack files")
        if node.tag == STR and getattr(node, "style", None):  # quoted or a block scalar: text as written
            return text
        number = go_number(text)
        if number is None:
            if node.tag != STR:
                raise self.fail(node, key, f"{text!r} is not a number")
            return text
        if isinstance(number, float) and not math.isfinite(number):
            raise self.fail(node, key, f"{text} is not a number JSON can carry")
        reached = int(number) if isinstance(number, float) and number.is_integer() and abs(number) < 1e21 else number
        if not PLAIN_NUMBER.match(text) or str(reached) != text:
            raise self.fail(node, key, _coerced(text, reached))
        return reached


PLAIN_NUMBER = re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?$")
_GO_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")  # go-yaml's yamlStyleFloat
_GO_INT = re.compile(r"^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")  # Go's ParseInt(s, 0)
_GO_SPECIAL = {**{s: math.inf for s in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
               **{s: -math.inf for s in ("-.inf", "-.Inf", "-.INF")}, **{s: math.nan for s in (".nan", ".NaN", ".NAN")}}


def go_number(text: str) -> int | float | None:
    """What go-yaml v3 reads an unquoted scalar as, when it reads a number (its resolve() and Go's strconv)."""
    if text in _GO_SPECIAL:
        return _GO_SPECIAL[text]
    if not text or text[0] not in "+-.0123456789":
        return None
    plain = text.replace("_", "")
    match = _GO_INT.match(plain)
    if match:
        sign, digits = match.groups()
        base = {"x": 16, "o": 8, "b": 2}.get(digits[1:2].lower(), 8 if len(digits) > 1 and digits[0] == "0" else 10)
        value = int(digits[2:] if base != 10 and digits[1:2].isalpha() else digits, base) * (-1 if sign == "-" else 1)
        if -(2**63) <= value < 2**64:
            return value
    return float(plain) if _GO_FLOAT.match(plain) else None


def _coerced(text: str, reached: int | float) -> str:
    why = " (a leading 0 means octal to the Pulumi CLI)" if re.match(r"^[-+]?0[0-9_]", text) else ""
    return (f"{text} reaches the program as the number {reached}{why}: quote it ('{text}') if it is text,"
            f" or write the number plainly")


def _go_text(key: Any) -> str:
    """A map key as Pulumi makes it a string (fmt %v)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    return "<nil>" if key is None else str(key)
