"""The vocabulary config keys are declared in, and the walk over a declaration.

A key is one dataclass field in ``aisvc.config.settings``; its Python type says
what kind of value it takes (``bool``, ``int``, a ``Literal`` of fixed choices,
``str``, a nested dataclass, ``tuple[X, ...]`` for a list, ``X | None`` when it
may be left out), its dataclass default is the config default, and its metadata
(``about(...)``) adds what the type cannot say: the rule a string or number must
follow, the help text and how the README names the default. The parser
(``aisvc.config.parse``), the JSON Schema and the README table
(``aisvc.config.schema``) all read the declaration through ``declared()``.
"""
from __future__ import annotations

import dataclasses
import functools
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Union

# A problem a cross-key check found: (suffix after the key, the value to show, what is allowed).
Finding = tuple[str, Any, str]
Check = Callable[[Any, Any, Mapping[str, Any]], Iterable[Finding]]


@dataclass(frozen=True)
class Text:
    """A string matching ``pattern``; ``rule`` says it in words (errors, README, schema)."""

    pattern: re.Pattern[str]
    rule: str
    label: str = ""  # short name in object shapes, e.g. "GUID"
    normalize: Callable[[str], str] | None = None  # applied to an accepted value
    accept_numbers: bool = False  # YAML reads 2024 or 1.0 as numbers: take them as text
    # What a pattern cannot say (CIDR host bits, private ranges): None when the value passes, else why
    # not ("" = the rule says it all). Runs before the pattern, so its reason wins; None for text it cannot read.
    check: Callable[[str], str | None] | None = None
    known: tuple[str, ...] = ()  # the value must be one of these (too many to spell out: errors suggest the closest)


@dataclass(frozen=True)
class Whole:
    low: int
    high: int

    @property
    def rule(self) -> str:
        return f"a whole number from {self.low} to {self.high}"


@dataclass(frozen=True)
class StringMap:
    """A map of strings (tags): how many, and what names and values may hold."""

    max_items: int
    name_max: int
    value_max: int
    name_forbids: str
    reserved_prefixes: tuple[str, ...] = ()  # names may not start with these, in any case

    @property
    def rule(self) -> str:
        reserved = f", not starting with {'/'.join(self.reserved_prefixes)}" if self.reserved_prefixes else ""
        return (f"a string of at most {self.value_max} characters under a name of 1-{self.name_max} characters"
                f" without {self.name_forbids}{reserved}")

    def reserved(self, name: str) -> bool:
        return name.lower().startswith(tuple(prefix.lower() for prefix in self.reserved_prefixes))


@dataclass(frozen=True)
class DependentChoice:
    """A fixed choice whose options depend on a sibling key (sku depends on kind)."""

    on: str  # attribute of the sibling
    options: Mapping[Any, tuple[str, ...]]  # sibling value -> its options
    default: Callable[[tuple[str, ...]], str]  # the default among the options of the sibling's value


ValueRule = Text | Whole | StringMap | DependentChoice


@dataclass(frozen=True)
class About:
    """What a field's type and default do not say about its config key."""

    key: str | None = None  # config name; default: the attribute in camelCase; dotted = inside a sub-object
    value: ValueRule | None = None  # the rule of a str / int / map / list-of-str value
    doc: str = "{allowed}"  # README "type / allowed" cell; {allowed} is the generated summary
    default_doc: str | None = None  # README "default" cell, when the default value does not say it
    fallback: str | None = None  # another full config key read when this one is absent
    checks: tuple[Check, ...] = ()  # rules across keys, run on the parsed value
    check_default: bool = False  # run the checks on the default too when the key is left out (raw: None)


def about(key: str | None = None, value: ValueRule | None = None, *, doc: str = "{allowed}",
          default_doc: str | None = None, fallback: str | None = None, checks: tuple[Check, ...] = (),
          check_default: bool = False) -> dict[str, About]:
    """Field metadata: ``field(default=..., metadata=about(...))``."""
    return {"about": About(key, value, doc, default_doc, fallback, checks, check_default)}


# --------------------------------------------------------------------------- the walk


@dataclass(frozen=True)
class Declared:
    """One key of a declared dataclass, resolved for the parser, the schema and the docs."""

    attr: str
    key: str  # may be dotted: "model.format"
    hint: Any  # the Python type, without "| None"
    optional: bool  # "| None": absent means None
    default: Any  # dataclasses.MISSING when required
    about: About

    @property
    def required(self) -> bool:
        return self.default is dataclasses.MISSING and not self.optional

    @property
    def choices(self) -> tuple[str, ...] | None:
        return typing.get_args(self.hint) if typing.get_origin(self.hint) is Literal else None

    @property
    def item(self) -> Any:
        """The element type of a ``tuple[X, ...]`` list, else None."""
        return typing.get_args(self.hint)[0] if typing.get_origin(self.hint) is tuple else None


def camel(attr: str) -> str:
    head, *rest = attr.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@functools.cache
def declared(cls: type) -> tuple[Declared, ...]:
    """The keys of a declared dataclass, in declaration order."""
    hints = typing.get_type_hints(cls, include_extras=False)
    keys = []
    for item in dataclasses.fields(cls):
        meta = item.metadata.get("about", About())
        hint, optional = _without_none(hints[item.name])
        default = item.default
        if item.default_factory is not dataclasses.MISSING:
            default = item.default_factory()
        keys.append(Declared(item.name, meta.key or camel(item.name), hint, optional, default, meta))
    return tuple(keys)


def is_declared(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


def _without_none(hint: Any) -> tuple[Any, bool]:
    if typing.get_origin(hint) in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        assert len(args) == 1, f"declare one type or 'X | None', not {hint}"
        return args[0], len(args) < len(typing.get_args(hint))
    return hint, False


Tree = dict[str, "Declared | Tree"]


def key_tree(cls: type) -> Tree:
    """Keys nested by their dotted names: {"name": d, "model": {"format": d, ...}}."""
    tree: Tree = {}
    for key in declared(cls):
        node = tree
        *groups, last = key.key.split(".")
        for group in groups:
            child = node.setdefault(group, {})
            assert isinstance(child, dict), f"{cls.__name__}: {key.key} nests under a plain key"
            node = child
        node[last] = key
    return tree
