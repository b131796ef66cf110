"""One telemetry row per call, and how a finished engine call becomes one.

The column list here is the single source of truth: the DuckDB schema, the appender and the JSON spill
file all follow :data:`COLUMNS`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from engine.errors import LampwrightError
from engine.types import ChatResult, GenerationParams, Message

#: (name, DuckDB type) in table order
COLUMNS: tuple[tuple[str, str], ...] = (
    ("call_id", "VARCHAR"),
    ("ts", "TIMESTAMP"),
    ("source", "VARCHAR"),
    ("route", "VARCHAR"),
    ("backend", "VARCHAR"),
    ("model", "VARCHAR"),
    ("model_path", "VARCHAR"),
    ("model_sha256", "VARCHAR"),
    ("adapter", "VARCHAR"),
    ("prompt_id", "VARCHAR"),
    ("prompt_version", "VARCHAR"),
    ("conversation_id", "VARCHAR"),
    ("prompt_tokens", "INTEGER"),
    ("completion_tokens", "INTEGER"),
    ("ttft_ms", "DOUBLE"),
    ("latency_ms", "DOUBLE"),
    ("tokens_per_s", "DOUBLE"),
    ("finish_reason", "VARCHAR"),
    ("status", "VARCHAR"),
    ("error_code", "VARCHAR"),
    ("error", "VARCHAR"),
    ("retrieval_library", "VARCHAR"),
    ("retrieval_k", "INTEGER"),
    ("retrieval_top_score", "DOUBLE"),
    ("retrieval_rewritten", "BOOLEAN"),
    ("tool_calls", "INTEGER"),
    ("tool_names", "VARCHAR"),
    ("cost_usd", "DOUBLE"),
    ("energy_wh", "DOUBLE"),
    ("cloud_equiv_usd", "DOUBLE"),
    ("seed", "BIGINT"),
    ("params", "VARCHAR"),
    ("messages", "VARCHAR"),
    ("request", "VARCHAR"),
    ("reply", "VARCHAR"),
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)


@dataclass(frozen=True, slots=True)
class CallRecord:
    """Everything recorded about one call (chat, RAG query, embedding ...)."""

    call_id: str
    ts: datetime  # UTC, naive
    source: str = ""  # gui | cli | api
    route: str = ""
    backend: str = ""
    model: str = ""
    model_path: str = ""
    model_sha256: str = ""
    adapter: str = ""
    prompt_id: str = ""
    prompt_version: str = ""
    conversation_id: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ttft_ms: float = 0.0
    latency_ms: float = 0.0
    tokens_per_s: float = 0.0
    finish_reason: str = ""
    status: str = "ok"  # ok | error | cancelled
    error_code: str = ""
    error: str = ""
    retrieval_library: str | None = None
    retrieval_k: int | None = None
    retrieval_top_score: float | None = None
    retrieval_rewritten: bool | None = None
    tool_calls: int = 0
    tool_names: str = ""
    cost_usd: float = 0.0
    energy_wh: float = 0.0
    cloud_equiv_usd: float = 0.0
    seed: int | None = None
    params: str = "{}"  # JSON
    messages: str = "[]"  # JSON (empty when content storage is off)
    request: str = "{}"  # JSON: response_format, tools
    reply: str = ""

    def as_row(self) -> tuple[Any, ...]:
        """Values in :data:`COLUMNS` order."""
        return tuple(getattr(self, n) for n in COLUMN_NAMES)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (timestamps as ISO text)."""
        d = asdict(self)
        d["ts"] = self.ts.isoformat()
        return d

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallRecord:
        """Inverse of :meth:`to_json`; unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        clean = {k: v for k, v in data.items() if k in known}
        clean["ts"] = datetime.fromisoformat(clean["ts"])
        return cls(**clean)

    def with_(self, **changes: Any) -> CallRecord:
        """A copy with ``changes``."""
        return replace(self, **changes)


def new_call_id() -> str:
    """A time-ordered, unique id: 12 hex digits of milliseconds then 8 random hex digits."""
    return f"{int(time.time() * 1000):012x}{os.urandom(4).hex()}"


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (DuckDB TIMESTAMP)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _messages_json(messages: Sequence[Any] | None) -> str:
    out = []
    for m in messages or ():
        out.append(m.to_openai() if isinstance(m, Message) else m)
    return json.dumps(out, ensure_ascii=False)


def _retrieval(ctx: dict[str, Any]) -> dict[str, Any]:
    """Retrieval facts from ``ctx["retrieval"]`` (a dict) or flat ``retrieval_*`` keys."""
    nested = ctx.get("retrieval") or {}
    if not isinstance(nested, dict):
        nested = {k: getattr(nested, k, None) for k in ("library", "k", "top_score", "rewritten")}

    def pick(key: str) -> Any:
        return nested.get(key, ctx.get(f"retrieval_{key}"))

    return {
        "retrieval_library": pick("library"),
        "retrieval_k": pick("k"),
        "retrieval_top_score": pick("top_score"),
        "retrieval_rewritten": pick("rewritten"),
    }


def record_from_call(
    result: ChatResult | None,
    error: LampwrightError | None,
    ctx: dict[str, Any],
    *,
    store_content: bool = True,
) -> CallRecord:
    """Build the row for one finished chat call from what :class:`engine.core.Engine` observers receive.

    ``ctx`` keys used (all optional): source, route, backend, model, model_path, model_sha256, adapter,
    prompt_id, prompt_version, conversation_id, messages, params, response_format, tools, started
    (``time.perf_counter()`` at the start, for the latency of failed calls), retrieval (dict with library,
    k, top_score, rewritten) or flat ``retrieval_*`` keys, tool_names (tools run by a tool loop).
    """
    params = ctx.get("params")
    if isinstance(params, GenerationParams):
        params_d = params.to_dict()
    else:
        params_d = dict(params or {})
    request: dict[str, Any] = {}
    if ctx.get("response_format"):
        request["response_format"] = ctx["response_format"]
    if ctx.get("tools"):
        request["tools"] = list(ctx["tools"])
    tool_names = list(ctx.get("tool_names") or [])
    base = CallRecord(
        call_id=str(ctx.get("call_id") or new_call_id()),
        ts=utcnow(),
        source=str(ctx.get("source") or ""),
        route=str(ctx.get("route") or ""),
        backend=str(ctx.get("backend") or ""),
        model=str(ctx.get("model") or ""),
        model_path=str(ctx.get("model_path") or ""),
        model_sha256=str(ctx.get("model_sha256") or ""),
        adapter=str(ctx.get("adapter") or ""),
        prompt_id=str(ctx.get("prompt_id") or ""),
        prompt_version=str(ctx.get("prompt_version") or ""),
        conversation_id=str(ctx.get("conversation_id") or ""),
        seed=params_d.get("seed"),
        params=json.dumps(params_d, ensure_ascii=False),
        messages=_messages_json(ctx.get("messages")) if store_content else "[]",
        request=json.dumps(request, ensure_ascii=False, default=str),
        **_retrieval(ctx),
    )
    if result is None:
        started = ctx.get("started")
        latency = (time.perf_counter() - started) * 1000 if isinstance(started, float) else 0.0
        code = getattr(error, "code", "error")
        return base.with_(
            status="cancelled" if code == "cancelled" else "error",
            error_code=code,
            error=str(error or ""),
            latency_ms=latency,
            tool_names=",".join(tool_names),
            tool_calls=len(tool_names),
        )
    names = tool_names + [c.name for c in result.message.tool_calls]
    t = result.timing
    return base.with_(
        model=base.model or result.model,
        prompt_tokens=result.usage.prompt_tokens,
        completion_tokens=result.usage.completion_tokens,
        ttft_ms=t.ttft_s * 1000,
        latency_ms=t.total_s * 1000,
        tokens_per_s=t.tokens_per_s,
        finish_reason=result.finish_reason,
        status="cancelled" if result.finish_reason == "cancelled" else "ok",
        tool_calls=len(names),
        tool_names=",".join(names),
        reply=result.message.content if store_content else "",
    )
