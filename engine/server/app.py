"""The FastAPI application: a thin HTTP consumer of the engine facade."""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from engine.core import Engine
from engine.errors import ConfigError, LampwrightError, ModelNotFoundError
from engine.server import ollama_api, openai_api
from engine.server.chat import ChatService, resolve_model
from engine.server.config import ServerConfig
from engine.server.errors import busy_response, error_response
from engine.server.gate import Busy, InferenceGate
from engine.server.query import QueryBody, run_query
from engine.server.security import Guard

log = logging.getLogger(__name__)


def create_app(engine: Engine, config: ServerConfig) -> FastAPI:
    """Build the app serving ``engine`` under ``config``'s security rules."""
    from engine.server.embeddings import ALIASES, Embedder

    gate = InferenceGate(config.max_queue)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        gate.shutdown()
        engine.telemetry.flush(timeout=5.0)

    app = FastAPI(
        title="Lampwright", version="0.1.0", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    embedder = Embedder()
    app.state.engine = engine
    app.state.config = config
    app.state.gate = gate
    app.state.chat = ChatService(engine, gate, config.model)
    app.state.started = time.time()

    async def embed(texts: list[str], model: str, route: str) -> tuple[list[list[float]], int, float]:
        if model and model.removesuffix(":latest") not in ALIASES:
            raise ModelNotFoundError(f"The embedding model {model!r} is not served here; use {embedder.name!r}.")
        if not texts or not all(isinstance(t, str) for t in texts):
            raise ConfigError("input must be a string or a non-empty list of strings.")
        t0 = time.perf_counter()
        vectors, tokens = await gate.call(lambda: embedder.embed(texts))
        seconds = time.perf_counter() - t0
        _record_embedding(engine, route, embedder.name, tokens, seconds)
        return vectors, tokens, seconds

    app.state.embed = embed
    app.include_router(openai_api.router)
    app.include_router(ollama_api.router)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok"}

    @app.post("/query", response_model=None)
    async def query(body: QueryBody) -> JSONResponse:
        """RAG: a question in; a grounded answer with citations, tokens and latency out."""
        if importlib.util.find_spec("apsw") is None:
            return JSONResponse(
                {"error": {"message": "Retrieval is not installed (pip install 'lampwright[rag]').", "type": "not_implemented"}},
                status_code=501,
            )
        try:
            model = resolve_model(engine, body.model, config.model)
            return JSONResponse(await run_query(engine, gate, body, model))
        except Busy:
            return busy_response(gate.capacity)
        except LampwrightError as exc:
            return error_response(exc)

    if config.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(
        Guard,
        token=config.token,
        allowed_hosts=config.host_allowlist(),
        allowed_origins=frozenset(config.cors_origins),
        max_body_bytes=config.max_body_bytes,
    )
    return app


def _record_embedding(engine: Engine, route: str, model: str, tokens: int, seconds: float) -> None:
    from engine.telemetry import CallRecord, new_call_id, utcnow

    engine.telemetry.record(
        CallRecord(
            call_id=new_call_id(),
            ts=utcnow(),
            source="api",
            route=route,
            backend="sentence-transformers",
            model=model,
            prompt_tokens=tokens,
            latency_ms=seconds * 1000,
            ttft_ms=seconds * 1000,
            finish_reason="stop",
        )
    )
