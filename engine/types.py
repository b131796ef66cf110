"""Frozen value types shared across the engine, the GUI, the CLI and the HTTP API."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from engine.errors import ConfigError

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A model's request to call a tool; ``arguments`` is the raw JSON text the model produced."""

    id: str
    name: str
    arguments: str

    def to_openai(self) -> dict[str, Any]:
        """The OpenAI wire shape of this call."""
        return {"id": self.id, "type": "function", "function": {"name": self.name, "arguments": self.arguments}}


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message."""

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None

    def to_openai(self) -> dict[str, Any]:
        """The OpenAI wire shape of this message."""
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = [c.to_openai() for c in self.tool_calls]
        if self.tool_call_id:
            out["tool_call_id"] = self.tool_call_id
        if self.name:
            out["name"] = self.name
        return out

    @classmethod
    def from_openai(cls, data: dict[str, Any]) -> Message:
        """Build a message from the OpenAI wire shape (content may be a list of text parts)."""
        content = data.get("content") or ""
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        calls = tuple(
            ToolCall(
                id=c.get("id") or f"call_{i}",
                name=c["function"]["name"],
                arguments=c["function"].get("arguments") or "{}"
                if isinstance(c["function"].get("arguments"), str | None)
                else json.dumps(c["function"]["arguments"]),
            )
            for i, c in enumerate(data.get("tool_calls") or [])
        )
        return cls(
            role=data["role"],
            content=content,
            tool_calls=calls,
            tool_call_id=data.get("tool_call_id"),
            name=data.get("name"),
        )


@dataclass(frozen=True, slots=True)
class GenerationParams:
    """Sampling and length settings for one generation."""

    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 512
    seed: int | None = None
    stop: tuple[str, ...] = ()
    repeat_penalty: float = 1.1

    def __post_init__(self) -> None:
        if not 0.0 <= self.temperature <= 2.0:
            raise ConfigError(f"temperature must be between 0 and 2 (got {self.temperature}).")
        if not 0.0 < self.top_p <= 1.0:
            raise ConfigError(f"top_p must be in (0, 1] (got {self.top_p}).")
        if self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be at least 1 (got {self.max_tokens}).")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for storage and telemetry)."""
        d = asdict(self)
        d["stop"] = list(self.stop)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerationParams:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if "stop" in known:
            known["stop"] = tuple(known["stop"] or ())
        return cls(**known)


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one call."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class Timing:
    """Wall-clock timing of one call, in seconds."""

    ttft_s: float = 0.0
    total_s: float = 0.0
    completion_tokens: int = 0

    @property
    def tokens_per_s(self) -> float:
        """Decode speed: completion tokens over the time after the first token."""
        decode = self.total_s - self.ttft_s
        if self.completion_tokens <= 1 or decode <= 0:
            return 0.0
        return (self.completion_tokens - 1) / decode


@dataclass(frozen=True, slots=True)
class TokenDelta:
    """A streamed piece of the reply."""

    text: str


@dataclass(frozen=True, slots=True)
class ChatResult:
    """The final outcome of a chat call."""

    message: Message
    usage: Usage
    timing: Timing
    finish_reason: str  # "stop", "length", "tool_calls", "cancelled"
    model: str
    trimmed_messages: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The assistant's reply text."""
        return self.message.content


ChatEvent = TokenDelta | ChatResult
