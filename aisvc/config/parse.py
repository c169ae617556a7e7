"""Read config values into the declared dataclasses, collecting every problem.

Nothing here knows a key by name: the walk follows the declaration
(``aisvc.config.fields.declared``). The Python type of a field picks the reader
(``Literal`` -> one of the choices, ``bool``, ``int``, ``str``, a nested dataclass,
``tuple[X, ...]`` for a list, ``Mapping`` for tags), its metadata the rule.
Each problem is one phrase ``<key> = <value> is not valid: <what is allowed>``;
top-level keys are listed before nested ones.
"""
from __future__ import annotations

import difflib
import json
import re
import typing
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from aisvc.config.fields import Declared, DependentChoice, StringMap, Text, Tree, ValueRule, Whole, is_declared, key_tree
from aisvc.contract import NAMESPACE

INVALID: Any = object()  # a value that was rejected (its problem is already recorded)


class SettingsError(ValueError):
    """One or more config problems; ``str()`` is a single line naming every one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid stack config: " + "; ".join(problems))


class Problems:
    """Collects problems; every reader returns INVALID for a value it rejected."""

    def __init__(self) -> None:
        self._found: list[tuple[bool, str]] = []  # (nested, text)

    @property
    def items(self) -> list[str]:
        return [text for _, text in sorted(self._found, key=lambda found: found[0])]

    def _append(self, key: str, text: str) -> None:
        nested = any(mark in key.partition(":")[2] for mark in ".[")
        self._found.append((nested, text))

    def add(self, key: str, value: Any, allowed: str) -> None:
        self._append(key, f"{key} = {_show(value)} is not valid: {allowed}")

    def required(self, key: str, hint: str, fallback: str | None = None) -> None:
        where = f" (or set {fallback})" if fallback else ""
        self._append(key, f"{key} is required{where}: {hint}")

    def unknown(self, prefix: str, given: Iterable[str], known: list[str]) -> None:
        for key in given:
            if key not in known:
                hint = suggest(key, known) or f" (known keys: {', '.join(known)})"
                self._append(prefix + key, f"{prefix}{key} is not a known key{hint}")

    def misspelled_namespace(self, full_key: str, meant: str) -> None:
        self._append(full_key, f"{full_key} is not a known key (did you mean {meant}?)")

    def raise_if_any(self) -> None:
        if self._found:
            raise SettingsError(self.items)


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def suggest(key: str, known: Iterable[str]) -> str:
    known = list(known)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if k.lower() == key.lower()]
    return f" (did you mean {close[0]}?)" if close else ""


def namespace_values(config: Mapping[str, Any], namespace: str = NAMESPACE) -> dict[str, Any]:
    """The keys of one namespace, without it: {"ai-services:kind": x} -> {"kind": x}.

    Accepts the legacy ``ns:config:key`` spelling too.
    """
    values: dict[str, Any] = {}
    for full_key, value in config.items():
        ns, _, key = full_key.partition(":")
        if ns == namespace and key:
            values[key.removeprefix("config:")] = value
    return values


def read_settings(cls: type, config: Mapping[str, Any], namespace: str, problems: Problems) -> Any:
    """The declared dataclass ``cls`` from the ``namespace:`` keys of a Pulumi config map."""
    for full_key in config:
        ns, _, key = full_key.partition(":")
        if key and ns != namespace and _looks_like(ns, namespace):
            problems.misspelled_namespace(full_key, f"{namespace}:{key}")
    return read_object(cls, f"{namespace}:", namespace_values(config, namespace), problems, config)


def _looks_like(ns: str, namespace: str) -> bool:
    """``aiservices`` or ``ai-service`` for ``ai-services``: a key Pulumi would hand to nobody."""
    def squeeze(name: str) -> str:
        return re.sub(r"[^a-z0-9]", "", name.lower())
    return squeeze(ns) == squeeze(namespace) or difflib.SequenceMatcher(None, ns.lower(), namespace).ratio() >= 0.85


def read_object(cls: type, prefix: str, given: Mapping[str, Any], problems: Problems,
                fallbacks: Mapping[str, Any] | None = None) -> Any:
    values: dict[str, Any] = {}
    _read_tree(key_tree(cls), prefix, given, problems, fallbacks or {}, values)
    return INVALID if any(v is INVALID for v in values.values()) else cls(**values)


def _read_tree(tree: Tree, prefix: str, given: Mapping[str, Any], problems: Problems,
               fallbacks: Mapping[str, Any], values: dict[str, Any]) -> None:
    problems.unknown(prefix, given, list(tree))
    for name, node in tree.items():
        key = prefix + name
        if isinstance(node, dict):  # a sub-object spelled by dotted keys (model.format)
            sub = _mapping(key, given.get(name, {}), problems)
            if sub is INVALID:
                values.update({leaf.attr: INVALID for leaf in _leaves(node)})
            else:
                _read_tree(node, key + ".", sub, problems, fallbacks, values)
        elif name in given or (node.about.fallback or "") in fallbacks:
            raw = given[name] if name in given else fallbacks[node.about.fallback or ""]
            values[node.attr] = _read_checked(node, key, raw, problems, values)
        elif node.required:
            problems.required(key, required_hint(node), node.about.fallback)
            values[node.attr] = INVALID
        elif isinstance(node.about.value, DependentChoice):
            values[node.attr] = _dependent_default(node.about.value, node.default, values)
        else:
            values[node.attr] = node.default
            if node.about.check_default:
                _run_checks(node, key, node.default, None, problems, values)


def _leaves(tree: Tree) -> Iterable[Declared]:
    for node in tree.values():
        yield from (_leaves(node) if isinstance(node, dict) else [node])


def _read_checked(key_of: Declared, key: str, raw: Any, problems: Problems, siblings: Mapping[str, Any]) -> Any:
    rule = key_of.about.value
    if isinstance(rule, DependentChoice):
        return _dependent(rule, key, raw, problems, siblings)
    value = read_value(key_of.hint, rule, key, raw, problems)
    if value is not INVALID:
        _run_checks(key_of, key, value, _json(raw), problems, siblings)
    return value


def _run_checks(key_of: Declared, key: str, value: Any, raw: Any, problems: Problems,
                siblings: Mapping[str, Any]) -> None:
    for check in key_of.about.checks:
        for suffix, shown, allowed in check(value, raw, siblings):
            problems.add(key + suffix, shown, allowed)


def required_hint(key_of: Declared) -> str:
    rule = key_of.about.value
    if key_of.choices:
        return " or ".join(key_of.choices) if len(key_of.choices) == 2 else "one of " + ", ".join(key_of.choices)
    return getattr(rule, "rule", "a value")


# --------------------------------------------------------------------------- one value


def read_value(hint: Any, rule: ValueRule | None, key: str, raw: Any, problems: Problems) -> Any:
    """One value of type ``hint``; INVALID (and a problem) when it breaks the rule."""
    if typing.get_origin(hint) is Literal:
        return _choice(key, raw, typing.get_args(hint), problems)
    if hint is bool:
        return _bool(key, raw, problems)
    if hint is int and isinstance(rule, Whole):
        return _int(key, raw, rule, problems)
    if hint is str and isinstance(rule, Text):
        return _text(key, raw, rule, problems)
    if is_declared(hint):
        given = _mapping(key, raw, problems)
        return INVALID if given is INVALID else read_object(hint, key + ".", given, problems)
    if typing.get_origin(hint) is tuple:
        return _list(typing.get_args(hint)[0], rule, key, raw, problems)
    if isinstance(rule, StringMap):
        return _string_map(key, raw, rule, problems)
    raise TypeError(f"{key}: no reader for {hint} with {rule}")  # a declaration mistake, not a user's


def _choice(key: str, value: Any, allowed: tuple[str, ...], problems: Problems) -> Any:
    if value not in allowed:
        hint = suggest(value, allowed) if isinstance(value, str) else ""
        problems.add(key, value, "one of " + ", ".join(allowed) + hint)
        return INVALID
    return value


def _dependent(rule: DependentChoice, key: str, value: Any, problems: Problems, siblings: Mapping[str, Any]) -> Any:
    on = siblings.get(rule.on, INVALID)
    if on is INVALID:  # the sibling's own problem says enough
        return value if isinstance(value, str) else INVALID
    return _choice(key, value, rule.options.get(on, ()), problems)


def _dependent_default(rule: DependentChoice, default: Any, siblings: Mapping[str, Any]) -> Any:
    on = siblings.get(rule.on, INVALID)
    return default if on is INVALID else rule.default(rule.options.get(on, ()))


def _bool(key: str, value: Any, problems: Problems) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    problems.add(key, value, "true or false")
    return INVALID


ASCII_WHOLE = re.compile(r"^[0-9]{1,18}$")  # str.isdigit() also takes '²' and '٣', which int() refuses or reads


def _int(key: str, value: Any, rule: Whole, problems: Problems) -> Any:
    if isinstance(value, str) and ASCII_WHOLE.match(value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not rule.low <= value <= rule.high:
        problems.add(key, value, rule.rule)
        return INVALID
    return value


def _text(key: str, value: Any, rule: Text, problems: Problems) -> Any:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if rule.accept_numbers and number:
        value = str(value)
    elif number:  # YAML made a number of it: 0613 arrives as 395, 1.10 as 1.1
        problems.add(key, value, f"{rule.rule}: YAML read a number here, quote it in the stack file")
        return INVALID
    why = _text_problem(value, rule)
    if why is not None:
        problems.add(key, value, rule.rule + (f": {why}" if why else ""))
        return INVALID
    return rule.normalize(value) if rule.normalize else value


def _text_problem(value: Any, rule: Text) -> str | None:
    """Why ``value`` breaks ``rule`` ("" when the rule says it all), or None when it is fine."""
    if not isinstance(value, str):
        return ""
    why = rule.check(value) if rule.check else None
    if why is not None:
        return why
    if not rule.pattern.match(value):
        return ""
    if rule.known and value not in rule.known:
        return suggest(value, rule.known).strip(" ()") or "not one Azure knows"
    return None


def _mapping(key: str, value: Any, problems: Problems) -> Any:
    value = _json(value)
    if not isinstance(value, dict):
        problems.add(key, value, "a map (YAML object)")
        return INVALID
    return value


def _list(item: Any, rule: ValueRule | None, key: str, raw: Any, problems: Problems) -> Any:
    items = _json(raw)
    if not isinstance(items, list):
        problems.add(key, items, "a list")
        return INVALID
    values = [read_value(item, rule, f"{key}[{i}]", entry, problems) for i, entry in enumerate(items)]
    return tuple(v for v in values if v is not INVALID)


def _string_map(key: str, raw: Any, rule: StringMap, problems: Problems) -> Any:
    value = _mapping(key, raw, problems)
    if value is INVALID:
        return INVALID
    if len(value) > rule.max_items:
        problems.add(key, f"{len(value)} tags", f"at most {rule.max_items} tags")
    result: dict[str, str] = {}
    seen: dict[str, str] = {}  # lower-case name -> name as written
    for name, entry in value.items():
        if (not isinstance(entry, str) or len(entry) > rule.value_max or not 1 <= len(name) <= rule.name_max
                or set(name) & set(rule.name_forbids)):
            problems.add(f"{key}.{name}", entry, rule.rule)
        elif rule.reserved(name):
            problems.add(f"{key}.{name}", entry, f"Azure reserves names starting with {', '.join(rule.reserved_prefixes)}"
                                                 " (in any case)")
        elif name.lower() in seen:
            problems.add(f"{key}.{name}", entry, f"names are case-insensitive in Azure: the same as {seen[name.lower()]}")
        else:
            result[name] = entry
            seen[name.lower()] = name
    return result


def _json(value: Any) -> Any:
    """Objects and lists reach a Pulumi program as JSON text."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
