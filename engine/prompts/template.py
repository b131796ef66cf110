"""Prompt templates: a system message, few-shot examples and a user message with ``{{ variables }}``.

A template's *version* is the hash of its content, so the same text always has the same version and
any change, however small, makes a new one. Templates render in Jinja's sandbox with strict
undefined variables, so a missing variable is an error that names it rather than an empty hole.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Literal

from engine.errors import ConfigError
from engine.types import Message

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
Placement = Literal["turns", "system"]


@dataclass(frozen=True, slots=True)
class Example:
    """One few-shot example: a user turn and the assistant reply to imitate."""

    user: str
    assistant: str


@dataclass(frozen=True, eq=False)
class PromptTemplate:
    """A reusable prompt.

    Attributes:
        name: identifier (lower case letters, digits, ``-``, ``_``, ``.``).
        template: the user message; ``{{ name }}`` inserts a variable.
        system: the system message (may use variables too).
        description: one line for the library list.
        examples: few-shot examples (they may use variables).
        placement: "turns" puts examples as user/assistant turns before the request (the usual
            choice for chat models); "system" lists them inside the system message.
        defaults: values for variables the caller does not give.
        schema: a JSON schema: calls with this prompt return JSON that validates against it.
    """

    name: str
    template: str
    system: str = ""
    description: str = ""
    examples: tuple[Example, ...] = ()
    placement: Placement = "turns"
    defaults: Mapping[str, str] = field(default_factory=dict)
    schema: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if not NAME_RE.match(self.name):
            raise ConfigError(
                f"Prompt name {self.name!r} must be 1-64 lower-case letters, digits, '-', '_' or '.', "
                "starting with a letter or digit."
            )
        if self.placement not in ("turns", "system"):
            raise ConfigError(f"placement must be 'turns' or 'system' (got {self.placement!r}).")
        if not self.template.strip():
            raise ConfigError("A prompt needs a non-empty template (the user message).")
        object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))
        for source in self._sources():
            _compile(source)  # syntax errors surface at creation, with the offending text

    # ---- identity ----------------------------------------------------------------------------------
    def content(self) -> dict[str, Any]:
        """Everything that defines the prompt's behaviour (hashed into the version), without the name."""
        return {
            "template": self.template,
            "system": self.system,
            "description": self.description,
            "examples": [{"user": e.user, "assistant": e.assistant} for e in self.examples],
            "placement": self.placement,
            "defaults": dict(sorted(self.defaults.items())),
            "schema": self.schema,
        }

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`content`."""
        canonical = json.dumps(self.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def version(self) -> str:
        """Short version id: the first 12 hex digits of :attr:`content_hash`."""
        return self.content_hash[:12]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict, name included."""
        return {"name": self.name, **self.content()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PromptTemplate:
        """Inverse of :meth:`to_dict` (unknown keys ignored)."""
        try:
            examples = tuple(
                e if isinstance(e, Example) else Example(str(e["user"]), str(e["assistant"]))
                for e in data.get("examples") or ()
            )
            return cls(
                name=str(data["name"]),
                template=str(data["template"]),
                system=str(data.get("system") or ""),
                description=str(data.get("description") or ""),
                examples=examples,
                placement=data.get("placement") or "turns",
                defaults={str(k): str(v) for k, v in (data.get("defaults") or {}).items()},
                schema=data.get("schema") or None,
            )
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"Not a prompt definition: missing or malformed field {exc}.") from exc

    def with_changes(self, **changes: Any) -> PromptTemplate:
        """A new template with ``changes`` (the original is unchanged: versions are immutable)."""
        data = self.to_dict()
        if "examples" in changes:
            changes["examples"] = [
                {"user": e.user, "assistant": e.assistant} if isinstance(e, Example) else e for e in changes["examples"]
            ]
        data.update(changes)
        return PromptTemplate.from_dict(data)

    # ---- rendering ---------------------------------------------------------------------------------
    def _sources(self) -> list[str]:
        return [self.system, self.template] + [t for e in self.examples for t in (e.user, e.assistant)]

    @property
    def variables(self) -> list[str]:
        """Variables used anywhere in the prompt, sorted."""
        from jinja2 import meta

        names: set[str] = set()
        for source in self._sources():
            if source:
                names |= meta.find_undeclared_variables(_env().parse(source))
        return sorted(names)

    def render(self, variables: Mapping[str, Any] | None = None) -> list[Message]:
        """The messages for a call: system (with examples when placed there), example turns, request."""
        values = {**self.defaults, **(variables or {})}
        missing = [v for v in self.variables if v not in values]
        if missing:
            raise ConfigError(
                f"Prompt {self.name!r} needs a value for {', '.join(missing)} (e.g. --var {missing[0]}=...)."
            )
        system = _render(self.system, values)
        shots = [(_render(e.user, values), _render(e.assistant, values)) for e in self.examples]
        msgs: list[Message] = []
        if self.placement == "system" and shots:
            listed = "\n\n".join(f"Input: {u}\nOutput: {a}" for u, a in shots)
            system = f"{system}\n\nExamples:\n\n{listed}".strip()
            shots = []
        if system:
            msgs.append(Message("system", system))
        for u, a in shots:
            msgs += [Message("user", u), Message("assistant", a)]
        msgs.append(Message("user", _render(self.template, values)))
        return msgs


@lru_cache(maxsize=1)
def _env() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@lru_cache(maxsize=256)
def _compile(source: str) -> Any:
    from jinja2 import TemplateSyntaxError

    try:
        return _env().from_string(source)
    except TemplateSyntaxError as exc:
        raise ConfigError(f"Template syntax error on line {exc.lineno}: {exc.message}") from exc


def _render(source: str, values: Mapping[str, Any]) -> str:
    from jinja2 import TemplateError

    if not source:
        return ""
    try:
        return str(_compile(source).render(**values))
    except TemplateError as exc:
        raise ConfigError(f"The prompt template failed to render: {exc}") from exc
