"""The declaration in words: what each key allows, its default, and the README table.

``config_table()`` renders the README "Stack config" table; a test compares the
README with it, so the table cannot drift from the code. The same words are the
descriptions of the JSON Schema (``aisvc.config.schema``).
"""
from __future__ import annotations

import dataclasses
from typing import Any

from aisvc.config.fields import Declared, DependentChoice, StringMap, Text, Tree, Whole, declared, is_declared, key_tree
from aisvc.config.settings import Settings

INLINE_CHOICES = 5  # object shapes spell out at most this many choices


def allowed(key_of: Declared) -> str:
    """The generated part of the "type / allowed" cell (markdown)."""
    rule, hint = key_of.about.value, key_of.hint
    if isinstance(rule, DependentChoice):
        return _dependent(rule)
    if key_of.choices:
        return ", ".join(f"`{choice}`" for choice in key_of.choices)
    if hint is bool:
        return "bool"
    if isinstance(rule, Whole):
        return f"whole number {rule.low}-{rule.high}"
    if isinstance(rule, StringMap):
        return f"map of strings (max {rule.max_items})"
    if is_declared(hint):
        return f"`{shape(key_tree(hint))}`"
    if key_of.item is not None:
        item = key_of.item
        return f"list of `{shape(key_tree(item))}`" if is_declared(item) else f"list of {_label(rule)}"
    return rule.rule if isinstance(rule, Text) else ""


def describe(key_of: Declared) -> str:
    """The whole "type / allowed" cell: the key's help text around the generated part."""
    return key_of.about.doc.format(allowed=allowed(key_of))


def default_text(key_of: Declared) -> str:
    """The "default" cell."""
    if key_of.about.default_doc:
        return key_of.about.default_doc
    if key_of.required:
        return "required"
    return _value_text(key_of.default)


def _value_text(value: Any) -> str:
    if value is None or value in ((), {}):
        return "none"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts = [_value_text(getattr(value, leaf.attr)) for leaf in declared(type(value))]
        return ", ".join(part for part in parts if part != "none")
    return f"`{value}`"


def shape(tree: Tree) -> str:
    """An object's fields in one line: ``{name?, sku: standard|premium, days: 7-90}``."""
    return "{" + ", ".join(_field_shape(name, node) for name, node in tree.items()) + "}"


def _field_shape(name: str, node: Declared | Tree) -> str:
    if isinstance(node, dict):
        return f"{name}: {shape(node)}"
    name += "?" if node.optional else ""
    rule = node.about.value
    if node.choices and len(node.choices) <= INLINE_CHOICES:
        return f"{name}: {'|'.join(node.choices)}"
    if isinstance(rule, Whole):
        return f"{name}: {rule.low}-{rule.high}"
    if isinstance(rule, Text) and rule.label:
        return f"{name}: [{rule.label}]" if node.item is not None else f"{name}: {rule.label}"
    return name


def _label(rule: Any) -> str:
    return getattr(rule, "label", "") or getattr(rule, "rule", "values")


def _dependent(rule: DependentChoice) -> str:
    """``S0`` (AIServices, OpenAI), ``F0``/``S1`` (ComputerVision), ...: options grouped by what they depend on."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for on, options in rule.options.items():
        groups.setdefault(options, []).append(str(on))
    return ", ".join(f"{'/'.join(f'`{o}`' for o in options)} ({', '.join(ons)})" for options, ons in groups.items())


def config_table(settings_class: type = Settings) -> str:
    """The README "Stack config" table, one row per top-level key."""
    rows = ["| key | type / allowed | default |", "| --- | --- | --- |"]
    for key_of in declared(settings_class):
        cells = (f"`{key_of.key}`", describe(key_of), default_text(key_of))
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def plain(text: str) -> str:
    """Markdown cell text as a plain description (the schema's)."""
    return text.replace("`", "")

