"""The facade: one Engine object that the GUI, the CLI and the HTTP API all call."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from engine.conversations import ConversationStore
from engine.errors import LampwrightError
from engine.inference.base import Backend, collect
from engine.jobs import CancelToken
from engine.models.registry import ModelEntry, list_models, resolve_model
from engine.settings import Settings
from engine.types import ChatEvent, ChatResult, GenerationParams, Message

if TYPE_CHECKING:
    from engine.jobs import ProgressCallback
    from engine.prompts import PromptLibrary
    from engine.prompts.structured import StructuredResult
    from engine.retrieval.ingest import IngestEvent
    from engine.retrieval.library import Library
    from engine.retrieval.types import IngestReport
    from engine.telemetry import Telemetry
    from engine.tools import ToolConfig, ToolLoopEvent, ToolRegistry

log = logging.getLogger(__name__)

#: called after every chat call with (result or None, error or None, context dict)
CallObserver = Callable[[ChatResult | None, LampwrightError | None, dict[str, Any]], None]


class Engine:
    """The whole product minus the window. Build one with :func:`open_engine`."""

    def __init__(self, settings: Settings) -> None:
        settings.ensure_dirs()
        self.settings = settings
        self.conversations = ConversationStore(settings.conversations_db)
        self._backend: Backend | None = None
        self._backend_key: tuple[Any, ...] | None = None
        self._backend_lock = threading.Lock()
        self.observers: list[CallObserver] = []
        self._telemetry: Telemetry | None = None
        self._telemetry_lock = threading.Lock()
        self.observers.append(self._record_telemetry)
        self._libraries: dict[str, Library] = {}
        self._libraries_lock = threading.Lock()

    # ---- models ------------------------------------------------------------------------------------
    def list_models(self) -> list[ModelEntry]:
        """Bundled models, then the user's."""
        return list_models(self.settings)

    def resolve_model(self, model: str | None = None) -> ModelEntry:
        """A model entry for a name or path (the configured default when None)."""
        return resolve_model(self.settings, model)

    def backend(self, model: str | None = None, *, lora_path: str | None = None) -> Backend:
        """The loaded backend for ``model``; loads (and replaces the previous one) on first use."""
        from engine.inference import open_backend

        key = (self.settings.backend, self.settings.backend_url, model or self.settings.model, lora_path)
        with self._backend_lock:
            if self._backend is None or self._backend_key != key:
                if self._backend is not None:
                    self._backend.close()
                    self._backend = None
                self._backend = open_backend(self.settings, model, lora_path=lora_path)
                self._backend_key = key
            return self._backend

    @property
    def loaded_backend(self) -> Backend | None:
        """The backend currently loaded, if any."""
        return self._backend

    def apply_settings(self, settings: Settings) -> None:
        """Switch to new settings (same home); the loaded model is released and reloads on next use.

        Call it where inference runs (the GUI's inference worker), so no generation is in flight.
        """
        with self._backend_lock:
            self.settings = settings
            if self._backend is not None:
                self._backend.close()
                self._backend = None
                self._backend_key = None

    # ---- chat --------------------------------------------------------------------------------------
    def default_params(self) -> GenerationParams:
        """Sampling settings for a new conversation."""
        s = self.settings
        return GenerationParams(temperature=s.temperature, top_p=s.top_p, max_tokens=s.max_tokens)

    def stream_chat(
        self,
        messages: Sequence[Message],
        params: GenerationParams | None = None,
        *,
        model: str | None = None,
        response_format: dict[str, Any] | None = None,
        tools: Sequence[dict[str, Any]] | None = None,
        cancel: CancelToken | None = None,
        context: dict[str, Any] | None = None,
    ) -> Iterator[ChatEvent]:
        """Stream one completion: token deltas, then the :class:`ChatResult`.

        ``context`` describes the call for observers (telemetry): source, route, prompt id/version ...
        """
        ctx = dict(context or {})
        params = params or self.default_params()
        # what telemetry needs to replay the call
        ctx.update(started=time.perf_counter(), messages=list(messages), params=params)
        ctx.setdefault("response_format", response_format)
        ctx.setdefault("tools", list(tools) if tools else None)
        try:
            backend = self.backend(model)
            ctx.setdefault("model_path", str(getattr(backend, "model_path", "")))
            ctx.setdefault("backend", backend.kind)
            ctx.setdefault("model", backend.model_name)
            if getattr(backend, "lora_path", None) and not ctx.get("adapter"):
                ctx["adapter"] = str(backend.lora_path)  # type: ignore[attr-defined]
            result: ChatResult | None = None
            for ev in backend.stream_chat(
                messages, params, response_format=response_format, tools=tools, cancel=cancel
            ):
                if isinstance(ev, ChatResult):
                    result = ev
                    if params.seed is None and ev.extra.get("seed") is not None:
                        # the seed the backend drew, recorded by telemetry so the call can be replayed
                        ctx["params"] = replace(params, seed=ev.extra["seed"])
                yield ev
        except LampwrightError as exc:
            ctx.setdefault("model", model or self.settings.model)
            self._notify(None, exc, ctx)
            raise
        if result is not None:
            self._notify(result, None, ctx)

    def chat(self, messages: Sequence[Message], params: GenerationParams | None = None, **kwargs: Any) -> ChatResult:
        """Blocking :meth:`stream_chat`."""
        return collect(self.stream_chat(messages, params, **kwargs))

    # ---- telemetry ---------------------------------------------------------------------------------
    @property
    def telemetry(self) -> Telemetry:
        """Per-call telemetry (DuckDB in the home folder); built on first use."""
        if self._telemetry is None:
            with self._telemetry_lock:
                if self._telemetry is None:
                    from engine.telemetry import Telemetry

                    self._telemetry = Telemetry.for_home(self.settings.home, self.settings.telemetry_db)
        return self._telemetry

    def _record_telemetry(
        self, result: ChatResult | None, error: LampwrightError | None, ctx: dict[str, Any]
    ) -> None:
        self.telemetry.observe(result, error, ctx)

    def _notify(self, result: ChatResult | None, error: LampwrightError | None, ctx: dict[str, Any]) -> None:
        for obs in self.observers:
            try:
                obs(result, error, ctx)
            except Exception:  # an observer must never break a call
                log.exception("call observer failed")

    # ---- conversations -----------------------------------------------------------------------------
    def conversation_messages(self, conversation_id: str) -> list[Message]:
        """The messages to send for a conversation: its system prompt, then its history."""
        conv = self.conversations.get(conversation_id)
        msgs = [Message("system", conv.system_prompt)] if conv.system_prompt else []
        return msgs + [sm.message for sm in self.conversations.messages(conv.id)]

    def send(
        self,
        conversation_id: str,
        text: str,
        *,
        cancel: CancelToken | None = None,
        context: dict[str, Any] | None = None,
    ) -> Iterator[ChatEvent]:
        """Add a user message to a conversation, stream the reply, and store it (even when stopped)."""
        conv = self.conversations.get(conversation_id)
        self.conversations.append(conv.id, Message("user", text))
        if conv.message_count == 0 and conv.title in ("", "New chat"):
            self.conversations.rename(conv.id, _title_from(text))
        ctx = {"conversation_id": conv.id, **(context or {})}
        for ev in self.stream_chat(
            self.conversation_messages(conv.id), conv.params, model=conv.model or None, cancel=cancel, context=ctx
        ):
            if isinstance(ev, ChatResult):
                self.conversations.append(
                    conv.id,
                    ev.message,
                    {
                        "model": ev.model,
                        "prompt_tokens": ev.usage.prompt_tokens,
                        "completion_tokens": ev.usage.completion_tokens,
                        "ttft_s": round(ev.timing.ttft_s, 4),
                        "tokens_per_s": round(ev.timing.tokens_per_s, 2),
                        "finish_reason": ev.finish_reason,
                    },
                )
            yield ev

    # ---- document libraries ------------------------------------------------------------------------
    def libraries(self) -> list[str]:
        """Names of the document libraries in the home folder."""
        from engine.retrieval.library import list_libraries

        return list_libraries(self.settings.libraries_dir)

    def library(self, name: str, *, create: bool = False, **options: Any) -> Library:
        """The open library ``name`` (kept open for the engine's lifetime; ``create`` makes a new one).

        ``options`` (model, runtime, chunking, fusion, reranker) apply when the library is first opened.
        """
        from engine.retrieval.library import Library, library_path

        with self._libraries_lock:
            lib = self._libraries.get(name)
            if lib is None:
                lib = Library(library_path(self.settings.libraries_dir, name), create=create, **options)
                self._libraries[name] = lib
            return lib

    def delete_library(self, name: str) -> None:
        """Close and delete a library file."""
        from engine.retrieval.library import delete_library

        with self._libraries_lock:
            lib = self._libraries.pop(name, None)
            if lib is not None:
                lib.close()
            delete_library(self.settings.libraries_dir, name)

    def ingest(self, name: str, paths: Sequence[str], *, cancel: CancelToken | None = None, **options: Any) -> Iterator[IngestEvent]:
        """Index files and folders into library ``name`` (created when missing); yields progress and file events."""
        return self.library(name, create=True).ingest(paths, cancel=cancel, **options)

    def ensure_sample_library(
        self, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
    ) -> IngestReport | None:
        """Index the shipped sample documents as the library ``sample`` (a no-op when already done)."""
        from engine.jobs import Progress
        from engine.paths import resources_dir
        from engine.retrieval.types import IngestReport

        folder = resources_dir() / "samples"
        if not folder.is_dir():
            return None
        if "sample" in self.libraries() and self.library("sample").store.get_meta("sample_indexed") == "1":
            return None
        report: IngestReport | None = None
        files = sorted(str(p) for p in folder.iterdir() if p.is_file() and p.suffix != ".py")
        for ev in self.library("sample", create=True).ingest(files, cancel=cancel):
            if isinstance(ev, Progress) and progress is not None:
                progress(ev)
            elif isinstance(ev, IngestReport):
                report = ev
        if report is not None and not report.cancelled:
            lib = self.library("sample")
            with lib.store.db:
                lib.store.set_meta("sample_indexed", "1")
        return report

    # ---- prompts, structured output and tools (engine/prompts, engine/tools) ------------------------
    @property
    def prompts(self) -> PromptLibrary:
        """The prompt library: shipped defaults plus the user's immutable, content-hashed versions."""
        lib: PromptLibrary | None = getattr(self, "_prompt_library", None)
        if lib is None:
            from engine.prompts import PromptLibrary

            lib = self._prompt_library = PromptLibrary(self.settings.home)
        return lib

    @property
    def tool_config(self) -> ToolConfig:
        """Tool settings (``$LAMPWRIGHT_HOME/tools.json``): allowed folders, data files, HTTP APIs."""
        cfg: ToolConfig | None = getattr(self, "_tool_config", None)
        if cfg is None:
            from engine.tools import ToolConfig

            cfg = self._tool_config = ToolConfig.load(self.settings.home)
        return cfg

    @property
    def tools(self) -> ToolRegistry:
        """Built-in tools plus the user's tools from ``$LAMPWRIGHT_HOME/tools`` (see ``file_statuses``)."""
        reg: ToolRegistry | None = getattr(self, "_tool_registry", None)
        if reg is None:
            from engine.tools import default_registry

            reg = self._tool_registry = default_registry(self.settings.home, self.tool_config, open_library=self.library)
        return reg

    def reload_tools(self, config: ToolConfig | None = None) -> ToolRegistry:
        """Save ``config`` (when given) and rebuild :attr:`tools`."""
        if config is not None:
            config.save(self.settings.home)
        vars(self).pop("_tool_config", None)
        vars(self).pop("_tool_registry", None)
        return self.tools

    def run_tools(self, messages: Sequence[Message], params: GenerationParams | None = None, **kwargs: Any) -> Iterator[ToolLoopEvent]:
        """Run the tool loop (see :func:`engine.tools.runner.run_engine_tools` for the options)."""
        from engine.tools.runner import run_engine_tools

        return run_engine_tools(self, messages, params, **kwargs)

    def structured(
        self, messages: Sequence[Message], schema: dict[str, Any] | type, params: GenerationParams | None = None, **kwargs: Any
    ) -> StructuredResult:
        """JSON that validates against ``schema`` (see :func:`engine.prompts.structured.generate_structured`)."""
        from engine.prompts.structured import generate_structured

        kwargs["context"] = {"route": "structured", **(kwargs.get("context") or {})}
        return generate_structured(self.stream_chat, messages, schema, params or self.default_params(), **kwargs)

    def close(self) -> None:
        """Release the model and close databases."""
        with self._libraries_lock:
            for lib in self._libraries.values():
                lib.close()
            self._libraries.clear()
        if self._backend is not None:
            self._backend.close()
            self._backend = None
        self.conversations.close()
        if self._telemetry is not None:
            self._telemetry.close()


def _title_from(text: str, limit: int = 48) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def open_engine(settings: Settings | None = None) -> Engine:
    """Build the engine from settings (loaded from the home folder when None)."""
    return Engine(settings or Settings.load())
