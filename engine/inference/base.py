"""The one narrow interface every inference backend implements."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

from engine.errors import GenerationError
from engine.jobs import CancelToken
from engine.types import ChatEvent, ChatResult, GenerationParams, Message, TokenDelta


@runtime_checkable
class Backend(Protocol):
    """Generates chat completions. One backend instance serves one thread at a time."""

    #: "llamacpp", "openai" or "ollama"
    kind: str
    #: the model's display name
    model_name: str
    #: tokens the model can attend to in this session
    context_length: int

    def stream_chat(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        *,
        response_format: dict[str, Any] | None = None,
        tools: Sequence[dict[str, Any]] | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[ChatEvent]:
        """Yield :class:`TokenDelta` pieces, then exactly one :class:`ChatResult`.

        ``response_format`` follows OpenAI: ``{"type": "json_object", "schema": {...}}`` or
        ``{"type": "json_schema", "json_schema": {"schema": {...}}}``; local backends enforce it with a
        grammar. ``tools`` are OpenAI function specs passed to templates/servers that support them.
        Cancelling ends the stream at the next token with ``finish_reason == "cancelled"``.
        """
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes for this model (an estimate for remote backends)."""
        ...

    def close(self) -> None:
        """Release the model and its memory."""
        ...


def collect(events: Iterable[ChatEvent]) -> ChatResult:
    """Drain a chat stream and return its final result."""
    result: ChatResult | None = None
    for ev in events:
        if isinstance(ev, ChatResult):
            result = ev
    if result is None:
        raise GenerationError("The backend ended the stream without a result.")
    return result


def schema_of(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON schema inside an OpenAI ``response_format`` (None for free text).

    ``{"type": "json_object"}`` without a schema means "any JSON object".
    """
    if not response_format or response_format.get("type") in (None, "text"):
        return None
    kind = response_format.get("type")
    if kind == "json_object":
        return response_format.get("schema") or {"type": "object"}
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {}
        return spec.get("schema") or {"type": "object"}
    raise GenerationError(f"Unsupported response_format type {kind!r}; use 'text', 'json_object' or 'json_schema'.")


__all__ = ["Backend", "ChatEvent", "ChatResult", "TokenDelta", "collect", "schema_of"]
