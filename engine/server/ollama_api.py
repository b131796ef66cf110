"""Ollama-compatible routes, so tools that speak Ollama can use Lampwright.

``/api/chat``, ``/api/generate``, ``/api/tags``, ``/api/embed`` (plus ``/api/embeddings``, ``/api/show``,
``/api/ps`` and ``/api/version``).

Streaming replies are newline-delimited JSON, as Ollama sends them; durations are in nanoseconds.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict

from engine.errors import LampwrightError
from engine.server.chat import ChatRequest, resolve_model
from engine.server.errors import busy_response, error_response
from engine.server.gate import Busy
from engine.types import ChatResult, GenerationParams, Message, TokenDelta, ToolCall

router = APIRouter(prefix="/api")
OLLAMA_VERSION = "0.6.0"


class OllamaBody(BaseModel):
    """Fields shared by Ollama's chat, generate and embed bodies (unknown fields are ignored)."""

    model_config = ConfigDict(extra="allow")

    model: str = ""
    messages: list[dict[str, Any]] | None = None
    prompt: str | None = None
    system: str | None = None
    input: str | list[str] | None = None
    format: str | dict[str, Any] | None = None
    options: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    stream: bool = True


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _params(defaults: GenerationParams, options: dict[str, Any] | None) -> GenerationParams:
    o = options or {}
    stop = o.get("stop") or ()
    return GenerationParams(
        temperature=float(o.get("temperature", defaults.temperature)),
        top_p=float(o.get("top_p", defaults.top_p)),
        max_tokens=int(o["num_predict"]) if o.get("num_predict", -1) > 0 else defaults.max_tokens,
        seed=o.get("seed"),
        stop=tuple([stop] if isinstance(stop, str) else stop),
        repeat_penalty=float(o.get("repeat_penalty", defaults.repeat_penalty)),
    )


def _response_format(fmt: str | dict[str, Any] | None) -> dict[str, Any] | None:
    if not fmt:
        return None
    if fmt == "json":
        return {"type": "json_object"}
    if isinstance(fmt, dict):
        return {"type": "json_object", "schema": fmt}
    raise ValueError(f"format must be 'json' or a JSON schema, not {fmt!r}")


def _message(m: dict[str, Any]) -> Message:
    calls = tuple(
        ToolCall(
            f"call_{i}",
            c["function"]["name"],
            json.dumps(c["function"].get("arguments") or {}),
        )
        for i, c in enumerate(m.get("tool_calls") or [])
    )
    return Message(m["role"], m.get("content") or "", tool_calls=calls, name=m.get("tool_name") or m.get("name"))


def _final(result: ChatResult, model: str) -> dict[str, Any]:
    t = result.timing
    return {
        "model": model,
        "created_at": _now(),
        "done": True,
        "done_reason": "stop" if result.finish_reason in ("stop", "tool_calls", "cancelled") else result.finish_reason,
        "total_duration": int(t.total_s * 1e9),
        "load_duration": 0,
        "prompt_eval_count": result.usage.prompt_tokens,
        "prompt_eval_duration": int(t.ttft_s * 1e9),
        "eval_count": result.usage.completion_tokens,
        "eval_duration": int(max(t.total_s - t.ttft_s, 0.0) * 1e9),
    }


def _assistant(result: ChatResult | None, text: str) -> dict[str, Any]:
    msg: dict[str, Any] = {"role": "assistant", "content": text}
    if result is not None and result.message.tool_calls:
        msg["tool_calls"] = [
            {"function": {"name": c.name, "arguments": json.loads(c.arguments or "{}")}} for c in result.message.tool_calls
        ]
    return msg


async def _run(request: Request, body: OllamaBody, req: ChatRequest, *, chat: bool) -> JSONResponse | StreamingResponse:
    state = request.app.state
    try:
        events = state.chat.stream(req)
    except Busy:
        return busy_response(state.gate.capacity, ollama=True)
    except LampwrightError as exc:
        return error_response(exc, ollama=True)
    model = body.model or state.engine.settings.model
    key = "message" if chat else "response"

    def piece(text: str) -> dict[str, Any]:
        return _assistant(None, text) if chat else text  # type: ignore[return-value]

    if body.stream:

        async def lines() -> AsyncIterator[str]:
            try:
                async for ev in events:
                    if isinstance(ev, TokenDelta):
                        yield json.dumps({"model": model, "created_at": _now(), key: piece(ev.text), "done": False}) + "\n"
                    elif isinstance(ev, ChatResult):
                        held = ev.text if ev.extra.get("held_back") else ""
                        last = {key: _assistant(ev, held) if chat else held}
                        yield json.dumps({**_final(ev, model), **last}) + "\n"
            except LampwrightError as exc:
                yield json.dumps({"error": str(exc)}) + "\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")
    result: ChatResult | None = None
    try:
        async for ev in events:
            if isinstance(ev, ChatResult):
                result = ev
    except LampwrightError as exc:
        return error_response(exc, ollama=True)
    assert result is not None
    return JSONResponse({**_final(result, model), key: _assistant(result, result.text) if chat else result.text})


@router.post("/chat", response_model=None)
async def chat(body: OllamaBody, request: Request) -> JSONResponse | StreamingResponse:
    """Ollama chat."""
    state = request.app.state
    try:
        req = ChatRequest(
            messages=[_message(m) for m in body.messages or []],
            params=_params(state.engine.default_params(), body.options),
            route="/api/chat",
            model=resolve_model(state.engine, body.model, state.config.model),
            response_format=_response_format(body.format),
            tools=body.tools,
        )
    except (LampwrightError, KeyError, TypeError, ValueError) as exc:
        return error_response(exc, ollama=True)
    return await _run(request, body, req, chat=True)


@router.post("/generate", response_model=None)
async def generate(body: OllamaBody, request: Request) -> JSONResponse | StreamingResponse:
    """Ollama generate: one prompt (with an optional system prompt) through the model's chat template."""
    state = request.app.state
    try:
        if not body.prompt:  # Ollama loads the model and answers done for an empty prompt
            resolve_model(state.engine, body.model, state.config.model)
            return JSONResponse({"model": body.model, "created_at": _now(), "response": "", "done": True, "done_reason": "load"})
        msgs = ([Message("system", body.system)] if body.system else []) + [Message("user", body.prompt)]
        req = ChatRequest(
            messages=msgs,
            params=_params(state.engine.default_params(), body.options),
            route="/api/generate",
            model=resolve_model(state.engine, body.model, state.config.model),
            response_format=_response_format(body.format),
        )
    except (LampwrightError, KeyError, TypeError, ValueError) as exc:
        return error_response(exc, ollama=True)
    return await _run(request, body, req, chat=False)


def _model_entry(entry: Any) -> dict[str, Any]:
    try:
        info = entry.info()
        st = entry.path.stat()
        details = {
            "parent_model": "",
            "format": "gguf",
            "family": info.architecture,
            "families": [info.architecture],
            "parameter_size": info.size_label,
            "quantization_level": info.quantization,
        }
        size, modified = st.st_size, datetime.fromtimestamp(st.st_mtime, UTC)
    except (LampwrightError, OSError, AttributeError):
        details, size, modified = {"format": "gguf"}, 0, datetime.now(UTC)
    return {
        "name": entry.name,
        "model": entry.name,
        "modified_at": modified.isoformat().replace("+00:00", "Z"),
        "size": size,
        "digest": "",
        "details": details,
    }


@router.get("/tags")
async def tags(request: Request) -> dict[str, Any]:
    """The local models."""
    eng = request.app.state.engine
    if eng.settings.backend != "llamacpp":
        return {"models": [{"name": eng.settings.model, "model": eng.settings.model, "details": {}}]}
    return {"models": [_model_entry(e) for e in eng.list_models()]}


@router.get("/ps")
async def ps(request: Request) -> dict[str, Any]:
    """The loaded model, if any."""
    backend = request.app.state.engine.loaded_backend
    if backend is None:
        return {"models": []}
    return {"models": [{"name": backend.model_name, "model": backend.model_name, "size": 0, "details": {}}]}


@router.post("/show")
async def show(body: OllamaBody, request: Request) -> JSONResponse:
    """A model's details."""
    eng = request.app.state.engine
    try:
        name = resolve_model(eng, body.model, request.app.state.config.model) or eng.settings.model
        entry = eng.resolve_model(name)
        info = entry.info()
    except LampwrightError as exc:
        return error_response(exc, ollama=True)
    return JSONResponse(
        {
            "details": _model_entry(entry)["details"],
            "model_info": {"general.architecture": info.architecture, "context_length": info.context_length},
            "template": info.chat_template or "",
            "capabilities": ["completion"],
        }
    )


@router.get("/version")
async def version() -> dict[str, str]:
    """The Ollama API version these routes follow."""
    return {"version": OLLAMA_VERSION}


@router.post("/embed", response_model=None)
async def embed(body: OllamaBody, request: Request) -> JSONResponse:
    """Embeddings for one text or a list."""
    state = request.app.state
    texts = [body.input] if isinstance(body.input, str) else list(body.input or [])
    try:
        vectors, tokens, seconds = await state.embed(texts, body.model, "/api/embed")
    except Busy:
        return busy_response(state.gate.capacity, ollama=True)
    except LampwrightError as exc:
        return error_response(exc, ollama=True)
    return JSONResponse(
        {
            "model": body.model,
            "embeddings": vectors,
            "total_duration": int(seconds * 1e9),
            "load_duration": 0,
            "prompt_eval_count": tokens,
        }
    )


@router.post("/embeddings", response_model=None)
async def embeddings(body: OllamaBody, request: Request) -> JSONResponse:
    """The older single-text embedding route."""
    state = request.app.state
    try:
        vectors, _tokens, _seconds = await state.embed([body.prompt or ""], body.model, "/api/embeddings")
    except Busy:
        return busy_response(state.gate.capacity, ollama=True)
    except LampwrightError as exc:
        return error_response(exc, ollama=True)
    return JSONResponse({"embedding": vectors[0]})
