"""``/query``: a question in; a grounded answer with numbered citations, tokens and latency out.

Retrieval (a document library's hybrid search) and generation both run on the inference thread, one
request at a time. The model sees the passages as numbered sources and is asked to cite them as [n].
The call is recorded in telemetry with its retrieval facts (library, k, top score, rewritten).
"""

from __future__ import annotations

import re
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.core import Engine
from engine.errors import NotFoundError
from engine.server.gate import InferenceGate
from engine.types import GenerationParams, Message

SYSTEM = (
    "Answer the question using only the numbered sources. Cite the sources you use like [1]. "
    "If the sources do not contain the answer, say that you do not know."
)
PASSAGE_CHARS = 700


class QueryBody(BaseModel):
    """The request body of ``/query``."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=4000)
    library: str = ""
    k: int = Field(default=4, ge=1, le=20)
    mode: str = "hybrid"
    model: str = ""
    max_tokens: int = Field(default=256, ge=1, le=4096)
    temperature: float = Field(default=0.2, ge=0.0, le=2.0)
    seed: int | None = None


def _library_name(engine: Engine, requested: str) -> str:
    if requested:
        return requested
    names = engine.libraries()
    if not names:
        raise NotFoundError("There is no document library yet. Index documents with `lampwright ingest FOLDER` first.")
    return "sample" if "sample" in names and len(names) > 1 else names[0]


def answer(engine: Engine, body: QueryBody, model: str | None) -> dict[str, Any]:
    """Retrieve, then generate a cited answer (blocking; runs on the inference thread)."""
    t0 = time.perf_counter()
    name = _library_name(engine, body.library)
    hits = engine.library(name).search(body.question, k=body.k, mode=body.mode)
    retrieval_ms = (time.perf_counter() - t0) * 1000
    sources = "\n\n".join(
        f"[{i}] {h.title or h.path}{f' (page {h.page})' if h.page else ''}\n{h.text[:PASSAGE_CHARS]}"
        for i, h in enumerate(hits, 1)
    )
    messages = [Message("system", SYSTEM), Message("user", f"Sources:\n{sources or '(none found)'}\n\nQuestion: {body.question}")]
    result = engine.chat(
        messages,
        GenerationParams(temperature=body.temperature, max_tokens=body.max_tokens, seed=body.seed),
        model=model,
        context={
            "source": "api",
            "route": "/query",
            "retrieval": {"library": name, "k": body.k, "top_score": hits[0].score if hits else None, "rewritten": False},
        },
    )
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", result.text)}
    return {
        "answer": result.text,
        "citations": [
            {
                "n": i,
                "cited": i in cited,
                "path": h.path,
                "title": h.title,
                "page": h.page,
                "score": round(h.score, 6),
                "text": h.text[:PASSAGE_CHARS],
            }
            for i, h in enumerate(hits, 1)
        ],
        "library": name,
        "model": result.model,
        "usage": {
            "prompt_tokens": result.usage.prompt_tokens,
            "completion_tokens": result.usage.completion_tokens,
            "total_tokens": result.usage.total_tokens,
        },
        "latency_ms": round((time.perf_counter() - t0) * 1000, 1),
        "retrieval_ms": round(retrieval_ms, 1),
        "ttft_ms": round(result.timing.ttft_s * 1000, 1),
        "finish_reason": result.finish_reason,
    }


async def run_query(engine: Engine, gate: InferenceGate, body: QueryBody, model: str | None) -> dict[str, Any]:
    """Admit the query (raises :class:`engine.server.gate.Busy` when full) and answer it."""
    return await gate.call(lambda: answer(engine, body, model))
