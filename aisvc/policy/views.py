"""What a policy rule looks at: a resource view, unknown and secret values, a violation.

No Pulumi import here: the same views are built by the pulumi-policy pack
(``policy/__main__.py``) and by `aisvc plan` over its offline graph.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aisvc.contract import SECRET_PLACEHOLDER

MANDATORY = "mandatory"
ADVISORY = "advisory"

class _Unknown:
    """A value that is only known after `pulumi up` (a computed output during preview)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()

# The engine's wire sentinels for unknown values (pulumi_policy.proxy): a raw
# props dict taken from the gRPC request may still hold them.
_ENGINE_UNKNOWNS = frozenset({
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58", "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
})


@dataclass(frozen=True)
class SecretValue:
    """Marks a value the engine holds as a Pulumi secret (in props or stack outputs)."""

    value: Any = field(repr=False)

    def __repr__(self) -> str:
        return "SecretValue([secret])"


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN or (isinstance(value, str) and value in _ENGINE_UNKNOWNS)


def unwrap(value: Any) -> Any:
    return value.value if isinstance(value, SecretValue) else value


@dataclass(frozen=True)
class ResourceView:
    """What a rule may look at: one resource as the engine would register it.

    ``secret_paths``: dotted input paths the engine holds as secrets
    (``properties.value``); ``None`` when the caller cannot tell (pulumi-policy's
    Python SDK strips the secret marker before a policy sees a value).
    ``additional_secret_outputs``: the resource option; ``None`` when unknown
    (the mock engine behind ``aisvc plan`` does not pass resource options).
    """

    type: str
    urn: str
    props: Mapping[str, Any]
    name: str = ""
    secret_paths: frozenset[str] | None = None
    additional_secret_outputs: tuple[str, ...] | None = None

    @property
    def label(self) -> str:
        return self.name or self.urn.rsplit("::", 1)[-1]

    def get(self, path: str, default: Any = None) -> Any:
        """The value at a dotted path; UNKNOWN stays UNKNOWN, secrets are unwrapped."""
        value: Any = self.props
        for part in path.split("."):
            value = unwrap(value)
            if is_unknown(value):
                return UNKNOWN
            if not isinstance(value, Mapping) or part not in value:
                return default
            value = value[part]
        value = unwrap(value)
        return UNKNOWN if is_unknown(value) else value

    def is_secret(self, path: str) -> bool | None:
        """True/False when known, None when nobody told us."""
        if self._marked_secret(path):
            return True
        if self.secret_paths is None:
            return None
        parts = path.split(".")
        prefixes = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
        return bool(prefixes & self.secret_paths)

    def _marked_secret(self, path: str) -> bool:
        value: Any = self.props
        for part in path.split("."):
            if isinstance(value, SecretValue):
                return True
            if not isinstance(value, Mapping) or part not in value:
                return False
            value = value[part]
        return isinstance(value, SecretValue) or value == SECRET_PLACEHOLDER


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str  # MANDATORY or ADVISORY
    urn: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"policy": self.policy, "level": self.level, "urn": self.urn, "message": self.message}

    def line(self) -> str:
        return f"[{self.level}] {self.policy}: {self.message}"



def _secret_placeholder_paths(value: Any, path: str = "") -> Iterator[str]:
    if value == SECRET_PLACEHOLDER or isinstance(value, SecretValue):
        yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _secret_placeholder_paths(item, f"{path}.{key}" if path else str(key))


def view_from_step(step: Mapping[str, Any]) -> ResourceView:
    """A ResourceView from one step of `aisvc plan --json` / `pulumi preview --json`.

    Both print secret inputs as "[secret]", which is how secrecy is known here.
    """
    state = step.get("newState") or {}
    inputs = state.get("inputs") or {}
    urn = str(step.get("urn") or state.get("urn") or "")
    return ResourceView(type=str(state.get("type", "")), urn=urn, props=inputs,
                        secret_paths=frozenset(_secret_placeholder_paths(inputs)))


