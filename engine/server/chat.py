"""One chat request, whichever API it came in through: model choice, tools, then the engine on the gate."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from engine.core import Engine
from engine.errors import ModelNotFoundError
from engine.jobs import CancelToken
from engine.server import tool_calls
from engine.server.gate import InferenceGate
from engine.types import ChatEvent, ChatResult, GenerationParams, Message


@dataclass
class ChatRequest:
    """A chat call in engine terms."""

    messages: list[Message]
    params: GenerationParams
    route: str
    model: str | None = None
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None
    context: dict[str, Any] = field(default_factory=dict)


def model_names(engine: Engine) -> list[str]:
    """Names the API offers (local models; the remote model for remote backends)."""
    if engine.settings.backend != "llamacpp":
        return [engine.settings.model]
    return [m.name for m in engine.list_models()]


def resolve_model(engine: Engine, requested: str | None, default: str = "") -> str | None:
    """The model to run for a request's ``model`` field (None = the engine's default).

    Raises:
        ModelNotFoundError: the name is not a model this server offers.
    """
    name = (requested or "").strip()
    if name.endswith(":latest"):  # Ollama clients add the tag
        name = name[: -len(":latest")]
    if not name or name == "default":
        name = default
    if not name or name == engine.settings.model:
        return None  # the engine's configured model (one backend key, so no reload)
    if engine.settings.backend != "llamacpp":
        return name
    for m in engine.list_models():
        if name in (m.name, m.path.name, m.path.stem):
            return None if m.name == engine.settings.model else m.name
    raise ModelNotFoundError(
        f"The model {requested!r} is not served here. GET /v1/models (or /api/tags) lists the models you can use."
    )


class ChatService:
    """Runs chat requests through the inference gate, with tools handled for local models."""

    def __init__(self, engine: Engine, gate: InferenceGate, default_model: str = "") -> None:
        self.engine = engine
        self.gate = gate
        self.default_model = default_model

    def _events(self, req: ChatRequest, plan: tool_calls.ToolPlan, cancel: CancelToken) -> Iterator[ChatEvent]:
        """Runs on the inference thread."""
        # a shared list: filled with the parsed tool names before the engine's observers record the call
        tool_names: list[str] = []
        context = {"source": "api", "route": req.route, **req.context, "tool_names": tool_names}
        if plan.constrained:
            context["tools"] = req.tools
        events = self.engine.stream_chat(
            plan.messages,
            req.params,
            model=req.model,
            response_format=plan.response_format,
            tools=plan.passthrough,
            cancel=cancel,
            context=context,
        )
        for ev in events:
            if isinstance(ev, ChatResult):
                ev = tool_calls.finish(plan, ev)
                if plan.constrained:
                    tool_names.extend(c.name for c in ev.message.tool_calls)
                    ev = replace(ev, extra={**ev.extra, "held_back": True})  # its text was not streamed
            elif plan.constrained:
                continue  # the raw JSON is not shown; the final result carries the answer or calls
            yield ev

    def stream(self, req: ChatRequest) -> AsyncIterator[ChatEvent]:
        """Check and admit the request, then stream its events.

        Raises:
            Busy: the queue is full.
            LampwrightError: the request is invalid (bad tools, a schema llama.cpp cannot take ...).
        """
        plan = tool_calls.plan(
            req.messages,
            req.tools,
            req.tool_choice,
            req.response_format,
            local=self.engine.settings.backend == "llamacpp",
        )
        return self.gate.stream(lambda cancel: self._events(req, plan, cancel))

    async def complete(self, req: ChatRequest) -> ChatResult:
        """The final result of a request (non-streaming)."""
        result: ChatResult | None = None
        async for ev in self.stream(req):
            if isinstance(ev, ChatResult):
                result = ev
        assert result is not None
        return result

