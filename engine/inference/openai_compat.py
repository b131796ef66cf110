"""Backend for any OpenAI-compatible server: llama-server, vLLM, LM Studio, a bigger box on the LAN."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

from engine.errors import BackendUnavailableError, ContextOverflowError, GenerationError
from engine.jobs import CancelToken
from engine.types import ChatEvent, ChatResult, GenerationParams, Message, Timing, TokenDelta, ToolCall, Usage


class OpenAICompatBackend:
    """Talks to ``{base_url}/chat/completions`` with the official ``openai`` client, streaming."""

    kind = "openai"

    def __init__(
        self,
        base_url: str,
        *,
        model: str | None = None,
        api_key: str = "",
        timeout_s: float = 120.0,
        context_length: int = 4096,
    ) -> None:
        import openai

        self._openai = openai
        self.base_url = base_url.rstrip("/")
        self._client = openai.OpenAI(base_url=self.base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=0)
        self.context_length = context_length
        self.model_name = model or self._first_model()

    def _first_model(self) -> str:
        try:
            models = self._client.models.list().data
        except self._openai.APIConnectionError as exc:
            raise BackendUnavailableError(
                f"Cannot reach the OpenAI-compatible server at {self.base_url} ({exc}). Is it running? "
                "Check the URL in Settings (it usually ends in /v1)."
            ) from exc
        except self._openai.APIError as exc:
            raise BackendUnavailableError(f"The server at {self.base_url} refused to list models ({exc}).") from exc
        if not models:
            raise BackendUnavailableError(f"The server at {self.base_url} serves no models.")
        return models[0].id

    def count_tokens(self, text: str) -> int:
        """Rough estimate (remote tokenizers are not exposed by the API): ~4 characters a token."""
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
        """Stream a chat completion from the server."""
        kwargs: dict[str, Any] = {
            "model": self.model_name,
            "messages": [m.to_openai() for m in messages],
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if params.seed is not None:
            kwargs["seed"] = params.seed
        if params.stop:
            kwargs["stop"] = list(params.stop)
        if response_format:
            kwargs["response_format"] = response_format
        if tools:
            kwargs["tools"] = list(tools)
        t0 = time.perf_counter()
        ttft = 0.0
        parts: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        usage = Usage()
        finish = "stop"
        n_chunks = 0
        try:
            stream = self._client.chat.completions.create(**kwargs)
            for chunk in stream:
                if chunk.usage:
                    usage = Usage(chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0)
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                delta = choice.delta
                if delta and delta.content:
                    if not ttft:
                        ttft = time.perf_counter() - t0
                    n_chunks += 1
                    parts.append(delta.content)
                    yield TokenDelta(delta.content)
                for tc in (delta.tool_calls or []) if delta else []:
                    slot = calls.setdefault(tc.index or 0, {"id": "", "name": "", "arguments": ""})
                    slot["id"] = tc.id or slot["id"]
                    if tc.function:
                        slot["name"] += tc.function.name or ""
                        slot["arguments"] += tc.function.arguments or ""
                if choice.finish_reason:
                    finish = choice.finish_reason
                if cancel is not None and cancel.cancelled:
                    finish = "cancelled"
                    stream.close()
                    break
        except self._openai.APIConnectionError as exc:
            raise BackendUnavailableError(
                f"Lost the connection to {self.base_url} ({exc}). Check that the server is running."
            ) from exc
        except self._openai.BadRequestError as exc:
            text = str(exc)
            if "context" in text.lower() and ("exceed" in text.lower() or "length" in text.lower()):
                raise ContextOverflowError(f"The server says the prompt is too long for the model: {text}") from exc
            raise GenerationError(f"The server rejected the request: {text}") from exc
        except self._openai.APIError as exc:
            raise GenerationError(f"The server at {self.base_url} failed: {exc}") from exc
        total = time.perf_counter() - t0
        if not usage.completion_tokens:
            usage = Usage(usage.prompt_tokens, n_chunks)
        tool_calls = tuple(
            ToolCall(c["id"] or f"call_{i}", c["name"], c["arguments"] or json.dumps({}))
            for i, c in sorted(calls.items())
        )
        yield ChatResult(
            message=Message("assistant", "".join(parts), tool_calls=tool_calls),
            usage=usage,
            timing=Timing(ttft_s=ttft or total, total_s=total, completion_tokens=usage.completion_tokens),
            finish_reason=finish,
            model=self.model_name,
        )

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()
