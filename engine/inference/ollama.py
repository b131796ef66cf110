"""Backend for users who run Ollama (or any server speaking its API), with the official ``ollama`` client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

from engine.errors import BackendUnavailableError, GenerationError, ModelNotFoundError
from engine.inference.base import schema_of
from engine.jobs import CancelToken
from engine.types import ChatEvent, ChatResult, GenerationParams, Message, Timing, TokenDelta, ToolCall, Usage

DEFAULT_URL = "http://127.0.0.1:11434"


def _wire(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.tool_calls:
        out["tool_calls"] = [
            {"function": {"name": c.name, "arguments": json.loads(c.arguments or "{}")}} for c in m.tool_calls
        ]
    if m.role == "tool" and m.name:
        out["tool_name"] = m.name
    return out


class OllamaBackend:
    """Streams chat completions from an Ollama server's ``/api/chat``."""

    kind = "ollama"

    def __init__(
        self,
        base_url: str = "",
        *,
        model: str | None = None,
        api_key: str = "",
        timeout_s: float = 300.0,
        context_length: int = 4096,
    ) -> None:
        import httpx
        import ollama

        self._ollama = ollama
        self._httpx = httpx
        self.base_url = (base_url or DEFAULT_URL).rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        self._client = ollama.Client(host=self.base_url, headers=headers, timeout=timeout_s)
        self.context_length = context_length
        self.model_name = model or self._first_model()

    def _unavailable(self, exc: Exception) -> BackendUnavailableError:
        return BackendUnavailableError(
            f"Cannot reach Ollama at {self.base_url} ({exc}). Is it running (`ollama serve`)? "
            "Check the URL in Settings."
        )

    def _first_model(self) -> str:
        try:
            models = self._client.list().models
        except (ConnectionError, self._httpx.HTTPError) as exc:
            raise self._unavailable(exc) from exc
        except self._ollama.ResponseError as exc:
            raise BackendUnavailableError(f"Ollama at {self.base_url} refused to list models: {exc.error}") from exc
        if not models:
            raise ModelNotFoundError(f"Ollama at {self.base_url} has no models. Pull one with `ollama pull NAME`.")
        return str(models[0].model)

    def count_tokens(self, text: str) -> int:
        """Rough estimate (Ollama exposes no tokenizer): ~4 characters a token."""
        return max(1, len(text) // 4)

    def stream_chat(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        *,
        response_format: dict[str, Any] | None = None,
        tools: Sequence[dict[str, Any]] | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[ChatEvent]:
        """Stream a chat completion; see :class:`engine.inference.base.Backend`."""
        options: dict[str, Any] = {
            "temperature": params.temperature,
            "top_p": params.top_p,
            "num_predict": params.max_tokens,
            "repeat_penalty": params.repeat_penalty,
        }
        if params.seed is not None:
            options["seed"] = params.seed
        if params.stop:
            options["stop"] = list(params.stop)
        schema = schema_of(response_format)
        t0 = time.perf_counter()
        ttft = 0.0
        parts: list[str] = []
        calls: list[ToolCall] = []
        usage = Usage()
        finish = "stop"
        try:
            stream = self._client.chat(
                model=self.model_name,
                messages=[_wire(m) for m in messages],
                tools=list(tools) if tools else None,
                format=schema,
                options=options,
                stream=True,
            )
            for chunk in stream:
                msg = chunk.message
                if msg is not None and msg.content:
                    if not ttft:
                        ttft = time.perf_counter() - t0
                    parts.append(msg.content)
                    yield TokenDelta(msg.content)
                for c in (msg.tool_calls or []) if msg is not None else []:
                    calls.append(ToolCall(f"call_{len(calls)}", c.function.name, json.dumps(dict(c.function.arguments))))
                if chunk.done:
                    usage = Usage(chunk.prompt_eval_count or 0, chunk.eval_count or 0)
                    finish = "length" if chunk.done_reason == "length" else "stop"
                if cancel is not None and cancel.cancelled:
                    finish = "cancelled"
                    stream.close()  # type: ignore[attr-defined]  # ends the HTTP stream; the server stops
                    break
        except (ConnectionError, self._httpx.TransportError) as exc:
            raise self._unavailable(exc) from exc
        except self._ollama.ResponseError as exc:
            if exc.status_code == 404:
                raise ModelNotFoundError(f"Ollama has no model {self.model_name!r}: {exc.error}") from exc
            raise GenerationError(f"Ollama failed: {exc.error}") from exc
        total = time.perf_counter() - t0
        if calls:
            finish = "tool_calls"
        yield ChatResult(
            message=Message("assistant", "".join(parts), tool_calls=tuple(calls)),
            usage=usage,
            timing=Timing(ttft_s=ttft or total, total_s=total, completion_tokens=usage.completion_tokens),
            finish_reason=finish,
            model=self.model_name,
        )

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()
