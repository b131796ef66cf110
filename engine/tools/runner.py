"""The tool loop wired to the engine: model calls go through ``Engine.stream_chat`` (observed)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from engine.inference.base import Backend
from engine.jobs import CancelToken
from engine.tools.executor import Confirm
from engine.tools.loop import ToolLoopEvent, run_tool_loop
from engine.tools.registry import ToolRegistry
from engine.types import ChatEvent, GenerationParams, Message

if TYPE_CHECKING:
    from engine.core import Engine


def native_tools_supported(backend: Backend) -> bool:
    """Whether ``backend`` takes ``tools=`` natively: remote servers do; llama.cpp when the template renders them."""
    if backend.kind in ("openai", "ollama"):
        return True
    template = getattr(backend, "template", None)
    return bool(getattr(template, "supports_tools", False))


def run_engine_tools(
    engine: Engine,
    messages: Sequence[Message],
    params: GenerationParams | None = None,
    *,
    tools: ToolRegistry | Sequence[str] | None = None,
    model: str | None = None,
    confirm: Confirm | None = None,
    cancel: CancelToken | None = None,
    max_steps: int | None = None,
    fewshot: bool = True,
    native: bool | None = None,
    context: dict[str, Any] | None = None,
) -> Iterator[ToolLoopEvent]:
    """Run the tool loop on the engine's model; see :func:`engine.tools.loop.run_tool_loop`."""
    if isinstance(tools, ToolRegistry):
        registry = tools
    else:
        registry = engine.tools if tools is None else engine.tools.subset(tools)
    backend = engine.backend(model)
    use_native = native_tools_supported(backend) if native is None else native
    base_ctx = {"route": "tools", "tool_mode": "native" if use_native else "constrained", **(context or {})}
    step = 0

    def chat(msgs: Sequence[Message], p: GenerationParams, **kwargs: Any) -> Iterator[ChatEvent]:
        nonlocal step
        step += 1
        return engine.stream_chat(msgs, p, model=model, context={**base_ctx, "tool_step": step}, **kwargs)

    yield from run_tool_loop(
        chat,
        messages,
        registry,
        params or engine.default_params(),
        native=use_native,
        max_steps=max_steps or engine.tool_config.max_steps,
        confirm=confirm,
        cancel=cancel,
        fewshot=fewshot,
    )
