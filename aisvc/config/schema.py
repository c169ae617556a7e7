"""JSON Schema (draft 2020-12) of a stack file, generated from the key declaration.

``aisvc schema`` prints it; pointed at by the YAML language server it gives
completion, hover help and validation in ``stacks/Pulumi.<stack>.yaml``. It
follows what the program accepts: each ``ai-services:<key>`` (also spelled bare,
``<key>``, or the legacy ``ai-services:config:<key>``), any key of another
namespace, and ``{secure: ...}`` wherever Pulumi encrypts a value: a whole
top-level value, or one leaf with ``pulumi config set --secret --path``.
Rules across keys that a schema says badly (model deployments need a kind that
hosts them, unique names) stay with the parser.
"""
from __future__ import annotations

import dataclasses
import re
import typing
from typing import Any, Literal

from aisvc.config.docs import describe, plain
from aisvc.config.fields import Declared, DependentChoice, StringMap, Text, Tree, Whole, declared, is_declared, key_tree
from aisvc.config.settings import Settings
from aisvc.contract import NAMESPACE

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SECURE_REF = {"$ref": "#/$defs/secure"}
SECURE = {
    "type": "object",
    "description": "a value encrypted by the stack's secrets provider (pulumi config set --secret)",
    "properties": {"secure": {"type": "string"}},
    "required": ["secure"],
    "additionalProperties": False,
}
FALLBACK_LOCATION = "azure-native:location"


def stack_file_schema(settings_class: type = Settings, namespace: str = NAMESPACE) -> dict[str, Any]:
    keys = declared(settings_class)
    config: dict[str, Any] = {
        "type": "object",
        "description": f"Stack config: the {namespace}: keys are validated before any resource is registered.",
        "properties": {f"{namespace}:{k.key}": {"$ref": f"#/$defs/{k.key}"} for k in keys},
        "patternProperties": {
            # the same keys spelled bare (the project's namespace) or the legacy ns:config:key way
            **{f"^(?:{namespace}:config:)?{k.key}$": {"$ref": f"#/$defs/{k.key}"} for k in keys},
            f"^(?!{namespace}:)[^:]+:.+$": {"description": "a key of another namespace (provider or program)"},
        },
        "additionalProperties": False,
        "allOf": [*_required(keys, namespace), *_dependent_choices(keys, namespace)],
    }
    location = next((k for k in keys if k.about.fallback == FALLBACK_LOCATION), None)
    if location:
        config["properties"][FALLBACK_LOCATION] = {"$ref": f"#/$defs/{location.key}"}
    return {
        "$schema": DRAFT,
        "title": f"Pulumi stack file of the {namespace} project",
        "type": "object",
        "properties": {"config": config},
        "required": ["config"],
        "$defs": {"secure": SECURE, **{k.key: _top_level(k) for k in keys}},
    }


def _spellings(key_of: Declared, namespace: str) -> list[str]:
    spellings = [f"{namespace}:{key_of.key}", key_of.key, f"{namespace}:config:{key_of.key}"]
    return spellings + ([key_of.about.fallback] if key_of.about.fallback else [])


def _required(keys: tuple[Declared, ...], namespace: str) -> list[dict[str, Any]]:
    return [{"anyOf": [{"required": [spelling]} for spelling in _spellings(k, namespace)]} for k in keys if k.required]


def _dependent_choices(keys: tuple[Declared, ...], namespace: str) -> list[dict[str, Any]]:
    """sku depends on kind: one if/then per value of the key it depends on."""
    rules: list[dict[str, Any]] = []
    for key_of in keys:
        rule = key_of.about.value
        if not isinstance(rule, DependentChoice):
            continue
        on = next(k for k in keys if k.attr == rule.on)
        on_key, this_key = f"{namespace}:{on.key}", f"{namespace}:{key_of.key}"
        for value, options in rule.options.items():
            when: dict[str, Any] = {"properties": {on_key: {"const": value}}, "required": [on_key]}
            if value == on.default:
                when = {"anyOf": [when, {"not": {"required": [on_key]}}]}
            rules.append({"if": when, "then": {"properties": {this_key: {"anyOf": [{"enum": list(options)}, SECURE_REF]}}}})
    return rules


def _top_level(key_of: Declared) -> dict[str, Any]:
    """A top-level value: its schema, or a secure value (Pulumi encrypts whole values too)."""
    schema = _key_schema(key_of)
    outer: dict[str, Any] = {name: schema.pop(name) for name in ("description", "default") if name in schema}
    if "anyOf" in schema:  # a scalar already accepts a secure value
        return {**outer, **schema}
    return {**outer, "anyOf": [schema, SECURE_REF]}


def _key_schema(key_of: Declared) -> dict[str, Any]:
    schema = value_schema(key_of.hint, key_of.about.value)
    if key_of.default is not dataclasses.MISSING and _is_scalar(key_of.default):
        schema["default"] = key_of.default
    description = plain(describe(key_of))
    if description:
        schema["description"] = description
    return schema


def value_schema(hint: Any, rule: Any) -> dict[str, Any]:
    """The schema of one declared value; scalars also accept a secure value."""
    if is_declared(hint):
        return _object(key_tree(hint))
    if typing.get_origin(hint) is tuple:
        return {"type": "array", "items": value_schema(typing.get_args(hint)[0], rule)}
    if isinstance(rule, StringMap):
        return {
            "type": "object",
            "maxProperties": rule.max_items,
            "propertyNames": {"minLength": 1, "maxLength": rule.name_max, "pattern": _tag_name_pattern(rule)},
            "additionalProperties": _or_secure({"type": "string", "maxLength": rule.value_max}),
        }
    return _or_secure(_scalar(hint, rule))


def _scalar(hint: Any, rule: Any) -> dict[str, Any]:
    if typing.get_origin(hint) is Literal:
        return {"type": "string", "enum": list(typing.get_args(hint))}
    if hint is bool:
        return {"enum": [True, False, "true", "false"]}
    if isinstance(rule, Whole):
        return {"type": ["integer", "string"], "minimum": rule.low, "maximum": rule.high,
                "pattern": f"^[0-9]{{1,{len(str(rule.high))}}}$"}  # as text: no more digits than the highest has
    if isinstance(rule, Text) and rule.known:
        return {"type": "string", "enum": list(rule.known), "description": rule.rule}
    if isinstance(rule, Text):
        return {"type": ["string", "number"] if rule.accept_numbers else "string",
                "pattern": ecma_pattern(rule.pattern), "description": rule.rule}
    raise TypeError(f"no schema for {hint} with {rule}")  # a declaration mistake


def _tag_name_pattern(rule: StringMap) -> str:
    """No forbidden character, no reserved prefix in any case (ECMA has no IGNORECASE: letters spelled [aA])."""
    reserved = f"(?!(?:{'|'.join(map(re.escape, rule.reserved_prefixes))}))" if rule.reserved_prefixes else ""
    return ecma_pattern(re.compile(f"^{reserved}[^{re.escape(rule.name_forbids)}]*$", re.IGNORECASE))


def _object(tree: Tree) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, node in tree.items():
        if isinstance(node, dict):
            properties[name] = _object(node)
            if any(_has_required(node)):
                required.append(name)
            continue
        properties[name] = _key_schema(node)
        if node.required:
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    return {**schema, "required": required} if required else schema


def _has_required(tree: Tree) -> typing.Iterator[bool]:
    for node in tree.values():
        if isinstance(node, dict):
            yield from _has_required(node)
        else:
            yield node.required


def _or_secure(schema: dict[str, Any]) -> dict[str, Any]:
    outer = {"description": schema.pop("description")} if "description" in schema else {}
    return {**outer, "anyOf": [schema, SECURE_REF]}


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | bool | int)


def ecma_pattern(pattern: re.Pattern[str]) -> str:
    """A Python pattern as ECMA-262 (what JSON Schema validators and editors run).

    Named groups become plain groups; IGNORECASE, which a schema cannot carry,
    becomes ``[aA]`` for letters outside character classes (classes in the
    declaration list both cases themselves).
    """
    source = re.sub(r"\(\?P<\w+>", "(?:", pattern.pattern)
    return _both_cases(source) if pattern.flags & re.IGNORECASE else source


def _both_cases(source: str) -> str:
    out: list[str] = []
    in_class = escaped = False
    for char in source:
        if escaped or char == "\\":
            escaped = not escaped
            out.append(char)
        elif in_class or char in "[]":
            in_class = char != "]" if char in "[]" else in_class
            out.append(char)
        elif char.isalpha():
            out.append(f"[{char.lower()}{char.upper()}]")
        else:
            out.append(char)
    return "".join(out)

