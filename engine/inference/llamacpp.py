"""In-process llama.cpp backend (llama-cpp-python): the default, fully offline."""

from __future__ import annotations

import codecs
import json
import logging
import os
import random
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from engine.errors import ContextOverflowError, GenerationError, ModelLoadError, SchemaError
from engine.inference.base import schema_of
from engine.inference.schema_guard import check_schema
from engine.inference.stops import StopMatcher
from engine.inference.template import ChatTemplate
from engine.jobs import CancelToken
from engine.models.gguf_meta import GGUFInfo
from engine.models.registry import cached_info
from engine.types import ChatEvent, ChatResult, GenerationParams, Message, Timing, TokenDelta, Usage

log = logging.getLogger(__name__)

#: the smallest reply we still try to generate after trimming history
MIN_REPLY_TOKENS = 16


def default_threads(n_threads: int = 0) -> tuple[int, int]:
    """(decode threads, prompt-batch threads); ``n_threads`` > 0 sets both.

    llama-cpp-python's default batch thread count is every core. Its threads meet at spin barriers, so
    when another process (an ingest, a second model, the GUI) holds a core, one preempted thread stalls
    the rest: a 30-token prompt took 3-12 s with 2 threads on a busy 2-core machine and 0.05 s with 1.
    Leaving one core free keeps time to first token steady; decoding is memory-bound and gains little
    beyond half the cores.
    """
    if n_threads > 0:
        return n_threads, n_threads
    cores = os.cpu_count() or 2
    return max(1, cores // 2), max(1, cores - 1)


class LlamaCppBackend:
    """Runs a GGUF model in this process. Thread-safe: one generation at a time (a lock)."""

    kind = "llamacpp"

    def __init__(
        self,
        model_path: str | Path,
        *,
        n_ctx: int = 4096,
        n_threads: int = 0,
        n_batch: int = 512,
        lora_path: str | Path | None = None,
        name: str | None = None,
    ) -> None:
        self.info: GGUFInfo = cached_info(Path(model_path))  # validates before native code sees it
        if self.info.file_type == "adapter":
            raise ModelLoadError(f"{model_path} is a LoRA adapter, not a model; load a base model and add it as an adapter.")
        self.model_name = name or self.info.name
        self.model_path = self.info.path
        self.lora_path = Path(lora_path) if lora_path else None
        ctx = min(n_ctx, self.info.context_length) if self.info.context_length else n_ctx
        self.context_length = ctx
        self._lock = threading.Lock()
        try:
            from llama_cpp import Llama

            kwargs: dict[str, Any] = {
                "model_path": str(self.model_path),
                "n_ctx": ctx,
                "n_batch": min(n_batch, ctx),
                "verbose": False,
            }
            kwargs["n_threads"], kwargs["n_threads_batch"] = default_threads(n_threads)
            self.threads = (kwargs["n_threads"], kwargs["n_threads_batch"])
            if self.lora_path:
                kwargs["lora_path"] = str(self.lora_path)
            self._llm: Any = Llama(**kwargs)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelLoadError(
                f"llama.cpp could not load {self.model_path} ({exc}). The file may be for a newer "
                "llama.cpp, or the machine may be out of memory."
            ) from exc
        self.template = ChatTemplate(self.info.chat_template, self.info.bos_token, self.info.eos_token)
        self._add_bos = bool(self.info.metadata.get("tokenizer.ggml.add_bos_token", False))
        self._bos_id = self._llm.token_bos()
        self._grammar_cache: dict[str, Any] = {}

    # ---- tokens ------------------------------------------------------------------------------------
    def count_tokens(self, text: str) -> int:
        """Exact token count with this model's tokenizer."""
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def _prompt_tokens(self, prompt: str) -> list[int]:
        toks = self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        if self._add_bos and (not toks or toks[0] != self._bos_id):
            toks.insert(0, self._bos_id)
        return toks

    def render(self, messages: Sequence[Message], tools: Sequence[dict[str, Any]] | None = None) -> str:
        """The prompt text the model sees for ``messages``."""
        return self.template.render(messages, tools=tools if self.template.supports_tools else None)

    def fit(
        self, messages: Sequence[Message], max_tokens: int, tools: Sequence[dict[str, Any]] | None = None
    ) -> tuple[list[int], int, int]:
        """Tokenise, dropping the oldest turns until the prompt fits; returns (tokens, max_tokens, dropped)."""
        msgs = list(messages)
        dropped = 0
        while True:
            tokens = self._prompt_tokens(self.render(msgs, tools))
            room = self.context_length - len(tokens)
            if room >= min(max_tokens, MIN_REPLY_TOKENS) or room >= max_tokens:
                return tokens, min(max_tokens, room), dropped
            # keep system messages and the last message; drop the oldest other turn
            droppable = [i for i, m in enumerate(msgs[:-1]) if m.role != "system"]
            if not droppable:
                raise ContextOverflowError(
                    f"The prompt is {len(tokens):,} tokens but {self.model_name}'s context window holds "
                    f"{self.context_length:,} (with room for at least {MIN_REPLY_TOKENS} reply tokens). "
                    "Shorten the message or system prompt, or raise n_ctx in Settings "
                    f"(this model supports up to {self.info.context_length:,})."
                )
            del msgs[droppable[0]]
            dropped += 1

    def _grammar(self, schema: dict[str, Any]) -> Any:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammar_cache:
            check_schema(schema)  # bounds llama.cpp would abort the process on
            from llama_cpp import LlamaGrammar

            try:
                # the sorted text is only the cache key: the grammar follows the schema's own property
                # order, which is the order a user expects the fields in
                self._grammar_cache[key] = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
            except Exception as exc:  # llama.cpp's converter raises plain Exceptions/ValueErrors
                raise SchemaError(
                    f"This JSON schema cannot be turned into a decoding grammar ({exc}). Simplify it: "
                    "avoid unsupported keywords such as 'patternProperties' or external '$ref'."
                ) from exc
        return self._grammar_cache[key]

    def _is_eog(self, token: int) -> bool:
        import llama_cpp

        try:
            return bool(llama_cpp.llama_vocab_is_eog(self._llm._model.vocab, token))
        except AttributeError:  # older bindings
            return token == self._llm.token_eos()

    # ---- generation --------------------------------------------------------------------------------
    def stream_chat(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        *,
        response_format: dict[str, Any] | None = None,
        tools: Sequence[dict[str, Any]] | None = None,
        cancel: CancelToken | None = None,
        grammar: Any = None,
    ) -> Iterator[ChatEvent]:
        """Stream a chat completion; see :class:`engine.inference.base.Backend`."""
        schema = schema_of(response_format)
        if schema is not None and grammar is None:
            grammar = self._grammar(schema)
        with self._lock:
            yield from self._generate(messages, params, tools, cancel, grammar)

    def _generate(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        tools: Sequence[dict[str, Any]] | None,
        cancel: CancelToken | None,
        grammar: Any,
    ) -> Iterator[ChatEvent]:
        t0 = time.perf_counter()
        tokens, max_tokens, dropped = self.fit(messages, params.max_tokens, tools)
        if grammar is not None:
            grammar.reset() if hasattr(grammar, "reset") else None
        if params.seed is not None:
            # Reusing a cached prompt prefix evaluates in different batch shapes, which changes the
            # logits in the last bits; a seeded call re-evaluates the whole prompt to be reproducible.
            self._llm.reset()
            seed = params.seed
        else:  # draw one and report it, so the call can be replayed (telemetry records it)
            seed = random.randrange(2**31)
        self._llm.set_seed(seed)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        stops = StopMatcher(params.stop)
        parts: list[str] = []
        n_out, ttft, finish = 0, 0.0, "length"
        gen = self._llm.generate(
            tokens,
            top_k=40,
            top_p=params.top_p,
            min_p=0.05,
            temp=params.temperature,
            repeat_penalty=params.repeat_penalty,
            grammar=grammar,
        )
        try:
            for token in gen:
                if n_out == 0:
                    ttft = time.perf_counter() - t0
                if self._is_eog(token):
                    finish = "stop"
                    break
                n_out += 1
                text = stops.feed(decoder.decode(self._llm.detokenize([token])))
                if text:
                    parts.append(text)
                    yield TokenDelta(text)
                if stops.stopped:
                    finish = "stop"
                    break
                if cancel is not None and cancel.cancelled:
                    finish = "cancelled"
                    break
                if n_out >= max_tokens:
                    break
        except (RuntimeError, ValueError) as exc:
            raise GenerationError(f"llama.cpp failed while generating ({exc}).") from exc
        finally:
            gen.close()
        # bytes of a character cut off by max_tokens are dropped, not shown as U+FFFD
        tail = stops.flush()
        if tail and finish != "stop":
            parts.append(tail)
            yield TokenDelta(tail)
        total = time.perf_counter() - t0
        if n_out == 0:
            ttft = total
        yield ChatResult(
            message=Message("assistant", "".join(parts)),
            usage=Usage(len(tokens), n_out),
            timing=Timing(ttft_s=ttft, total_s=total, completion_tokens=n_out),
            finish_reason=finish,
            model=self.model_name,
            trimmed_messages=dropped,
            extra={"seed": seed},
        )

    def close(self) -> None:
        """Free the model, after the generation in progress (if any) has finished."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # failed in __init__
            return
        with lock:
            llm = getattr(self, "_llm", None)
            if llm is not None:
                llm.close()
                self._llm = None
