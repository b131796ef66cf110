"""OpenAI-compatible routes: chat completions (streaming, tools, response_format), embeddings, models."""

from __future__ import annotations

import json
import os
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from engine.errors import ConfigError, LampwrightError
from engine.server.chat import ChatRequest, model_names, resolve_model
from engine.server.errors import busy_response, error_response
from engine.server.gate import Busy
from engine.types import ChatResult, GenerationParams, Message, TokenDelta

router = APIRouter(prefix="/v1")


class ChatBody(BaseModel):
    """The request body of ``/v1/chat/completions`` (unknown fields are ignored)."""

    model_config = ConfigDict(extra="allow")

    model: str = ""
    messages: list[dict[str, Any]]
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    seed: int | None = None
    stop: str | list[str] | None = None
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    n: int = 1
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None
    repeat_penalty: float | None = None


class EmbeddingsBody(BaseModel):
    """The request body of ``/v1/embeddings``."""

    model_config = ConfigDict(extra="allow")

    model: str = ""
    input: str | list[str] = Field(...)
    encoding_format: str = "float"


def to_params(defaults: GenerationParams, body: ChatBody) -> GenerationParams:
    """Sampling settings from an OpenAI body (engine defaults where absent)."""
    stop = body.stop if isinstance(body.stop, list) else ([body.stop] if body.stop else [])
    return GenerationParams(
        temperature=defaults.temperature if body.temperature is None else body.temperature,
        top_p=defaults.top_p if body.top_p is None else body.top_p,
        max_tokens=body.max_completion_tokens or body.max_tokens or defaults.max_tokens,
        seed=body.seed,
        stop=tuple(stop),
        repeat_penalty=defaults.repeat_penalty if body.repeat_penalty is None else body.repeat_penalty,
    )


def _finish(reason: str) -> str:
    return reason if reason in ("stop", "length", "tool_calls") else "stop"


def _usage(r: ChatResult) -> dict[str, int]:
    return {
        "prompt_tokens": r.usage.prompt_tokens,
        "completion_tokens": r.usage.completion_tokens,
        "total_tokens": r.usage.total_tokens,
    }


def _message(r: ChatResult) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": r.text if not r.message.tool_calls else None}
    if r.message.tool_calls:
        msg["tool_calls"] = [c.to_openai() for c in r.message.tool_calls]
    return msg


@router.get("/models")
async def models(request: Request) -> dict[str, Any]:
    """The chat models and the embedding model this server offers."""
    from engine.server.embeddings import EMBEDDING_MODEL

    created = int(request.app.state.started)
    data = [{"id": n, "object": "model", "created": created, "owned_by": "lampwright"} for n in model_names(request.app.state.engine)]
    data.append({"id": EMBEDDING_MODEL, "object": "model", "created": created, "owned_by": "lampwright"})
    return {"object": "list", "data": data}


@router.post("/chat/completions", response_model=None)
async def chat_completions(body: ChatBody, request: Request) -> JSONResponse | StreamingResponse:
    """Chat completion, streamed as server-sent events when ``stream`` is true."""
    state = request.app.state
    try:
        if body.n != 1:
            raise ConfigError("Only n=1 is supported.")
        req = ChatRequest(
            messages=[Message.from_openai(m) for m in body.messages],
            params=to_params(state.engine.default_params(), body),
            route="/v1/chat/completions",
            model=resolve_model(state.engine, body.model, state.config.model),
            response_format=body.response_format,
            tools=body.tools,
            tool_choice=body.tool_choice,
        )
        events = state.chat.stream(req)
    except Busy:
        return busy_response(state.gate.capacity)
    except (LampwrightError, KeyError, TypeError, ValueError) as exc:
        return error_response(exc)
    cid = f"chatcmpl-{os.urandom(12).hex()}"
    created = int(time.time())
    name = body.model or state.engine.settings.model
    if body.stream:
        include_usage = bool((body.stream_options or {}).get("include_usage"))
        return StreamingResponse(_sse(events, cid, created, name, include_usage), media_type="text/event-stream")
    result: ChatResult | None = None
    try:
        async for ev in events:
            if isinstance(ev, ChatResult):
                result = ev
    except LampwrightError as exc:
        return error_response(exc)
    assert result is not None
    return JSONResponse(
        {
            "id": cid,
            "object": "chat.completion",
            "created": created,
            "model": name,
            "choices": [
                {"index": 0, "message": _message(result), "finish_reason": _finish(result.finish_reason), "logprobs": None}
            ],
            "usage": _usage(result),
        }
    )


async def _sse(events: AsyncIterator[Any], cid: str, created: int, model: str, include_usage: bool) -> AsyncIterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        data = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    try:
        async for ev in events:
            if isinstance(ev, TokenDelta):
                yield chunk({"content": ev.text})
            elif isinstance(ev, ChatResult):
                if ev.message.tool_calls:
                    calls = [{"index": i, **c.to_openai()} for i, c in enumerate(ev.message.tool_calls)]
                    yield chunk({"tool_calls": calls})
                elif ev.text and ev.extra.get("held_back"):
                    yield chunk({"content": ev.text})
                yield chunk({}, _finish(ev.finish_reason))
                if include_usage:
                    data = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model}
                    yield f"data: {json.dumps({**data, 'choices': [], 'usage': _usage(ev)})}\n\n"
    except LampwrightError as exc:
        yield f"data: {json.dumps({'error': {'message': str(exc), 'type': exc.code}})}\n\n"
    yield "data: [DONE]\n\n"


@router.post("/embeddings", response_model=None)
async def embeddings(body: EmbeddingsBody, request: Request) -> JSONResponse:
    """Embeddings from the packaged all-MiniLM-L6-v2."""
    state = request.app.state
    texts = [body.input] if isinstance(body.input, str) else list(body.input)
    try:
        vectors, tokens, _seconds = await state.embed(texts, body.model, "/v1/embeddings")
    except Busy:
        return busy_response(state.gate.capacity)
    except LampwrightError as exc:
        return error_response(exc)
    if body.encoding_format == "base64":
        import base64

        import numpy as np

        data = [
            {"object": "embedding", "index": i, "embedding": base64.b64encode(np.asarray(v, dtype="<f4").tobytes()).decode()}
            for i, v in enumerate(vectors)
        ]
    else:
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    return JSONResponse(
        {
            "object": "list",
            "data": data,
            "model": body.model or "all-minilm-l6-v2",
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )
