"""The call per kind that proves auth works against the AI services endpoint (never an anonymous GET)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from aisvc.errors import InputError

PROBE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


@dataclass(frozen=True)
class Probe:
    method: str
    path: str  # relative to the endpoint, with its query string
    body: bytes | None = None

    def describe(self) -> str:
        return f"{self.method} {self.path.split('?')[0]}"


_LANGUAGE_PROBE = Probe(
    "POST", "language/:analyze-text?api-version=2023-04-01",
    json.dumps({"kind": "LanguageDetection",
                "analysisInput": {"documents": [{"id": "1", "text": "Hello world"}]}}).encode(),
)
BUILTIN_PROBES: dict[str, Probe] = {
    "AIServices": _LANGUAGE_PROBE,
    "CognitiveServices": _LANGUAGE_PROBE,
    "TextAnalytics": _LANGUAGE_PROBE,
    "OpenAI": Probe("GET", "openai/models?api-version=2024-10-21"),
    "FormRecognizer": Probe("GET", "documentintelligence/info?api-version=2024-11-30"),
    "SpeechServices": Probe("POST", "sts/v1.0/issueToken", b""),
}


def parse_probe(text: str) -> Probe:
    """`--probe "METHOD path?query"`: a call that needs auth; POST/PUT/PATCH send an empty body."""
    match = re.fullmatch(r"\s*([A-Za-z]+)\s+/?(\S+)\s*", text or "")
    if not match or match.group(1).upper() not in PROBE_METHODS:
        raise InputError(f"--probe must be \"METHOD path?query\" with METHOD one of {', '.join(PROBE_METHODS)}, "
                         f"got {text!r}")
    method, path = match.group(1).upper(), match.group(2)
    if "://" in path:
        raise InputError("--probe takes a path relative to the endpoint, not a URL")
    return Probe(method, path, b"" if method in ("POST", "PUT", "PATCH") else None)


def probe_for(kind: str, override: str | None) -> Probe:
    if override:
        return parse_probe(override)
    if kind in BUILTIN_PROBES:
        return BUILTIN_PROBES[kind]
    raise InputError(f"kind {kind} has no built-in probe call: pass --probe \"METHOD path?query\" naming a call "
                     f"that needs auth (built in: {', '.join(BUILTIN_PROBES)})")
