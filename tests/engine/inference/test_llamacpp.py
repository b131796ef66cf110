from __future__ import annotations

import json
import threading

import pytest

from engine.errors import ContextOverflowError, InvalidModelError, ModelNotFoundError, SchemaError
from engine.inference.base import collect
from engine.inference.llamacpp import LlamaCppBackend
from engine.jobs import CancelToken
from engine.types import ChatResult, GenerationParams, Message, TokenDelta

GREEDY = GenerationParams(temperature=0.0, max_tokens=24, seed=1)


def _ask(text: str) -> list[Message]:
    return [Message("system", "You are a helpful assistant."), Message("user", text)]


def test_streams_tokens_with_usage_and_timing(smollm2_backend: LlamaCppBackend) -> None:
    events = list(smollm2_backend.stream_chat(_ask("Which city is the capital of France?"), GREEDY))
    deltas = [e for e in events if isinstance(e, TokenDelta)]
    result = events[-1]
    assert isinstance(result, ChatResult)
    assert len(deltas) > 3
    assert "".join(d.text for d in deltas) == result.text
    assert "Paris" in result.text
    assert result.usage.prompt_tokens > 10
    assert 0 < result.usage.completion_tokens <= 24
    assert 0 < result.timing.ttft_s <= result.timing.total_s
    assert result.timing.tokens_per_s > 0


def test_greedy_is_deterministic(smollm2_backend: LlamaCppBackend) -> None:
    a = collect(smollm2_backend.stream_chat(_ask("Name three colors."), GREEDY)).text
    b = collect(smollm2_backend.stream_chat(_ask("Name three colors."), GREEDY)).text
    assert a == b and a


def test_seeded_sampling_is_reproducible(smollm2_backend: LlamaCppBackend) -> None:
    p = GenerationParams(temperature=1.0, max_tokens=16, seed=1234)
    a = collect(smollm2_backend.stream_chat(_ask("Write a word."), p)).text
    b = collect(smollm2_backend.stream_chat(_ask("Write a word."), p)).text
    assert a == b


def test_cancel_stops_at_once(smollm2_backend: LlamaCppBackend) -> None:
    token = CancelToken()
    seen = 0
    result = None
    for ev in smollm2_backend.stream_chat(_ask("Tell me a long story about a dragon."), GenerationParams(max_tokens=400), cancel=token):
        if isinstance(ev, TokenDelta):
            seen += 1
            if seen == 3:
                token.cancel()
        else:
            result = ev
    assert result is not None and result.finish_reason == "cancelled"
    assert result.usage.completion_tokens <= 4


def test_max_tokens_gives_length(smollm2_backend: LlamaCppBackend) -> None:
    r = collect(smollm2_backend.stream_chat(_ask("Count from one to one hundred in words."), GenerationParams(temperature=0, max_tokens=5)))
    assert r.finish_reason == "length" and r.usage.completion_tokens == 5


def test_stop_sequence(smollm2_backend: LlamaCppBackend) -> None:
    r = collect(
        smollm2_backend.stream_chat(
            _ask("List the numbers 1, 2, 3, 4, 5 separated by commas."), GenerationParams(temperature=0, max_tokens=40, stop=("3",))
        )
    )
    assert "3" not in r.text and r.finish_reason == "stop"


def test_history_is_trimmed_to_fit(smollm2_backend: LlamaCppBackend) -> None:
    filler = "word " * 300
    msgs = [Message("system", "Be brief.")]
    for i in range(12):
        msgs += [Message("user", f"{i} {filler}"), Message("assistant", "ok")]
    msgs.append(Message("user", "Say hi."))
    r = collect(smollm2_backend.stream_chat(msgs, GenerationParams(temperature=0, max_tokens=8)))
    assert r.trimmed_messages > 0
    assert r.usage.prompt_tokens + r.usage.completion_tokens <= smollm2_backend.context_length


def test_prompt_longer_than_context_is_refused(smollm2_backend: LlamaCppBackend) -> None:
    huge = "lorem ipsum " * 3000
    with pytest.raises(ContextOverflowError, match="context window"):
        collect(smollm2_backend.stream_chat(_ask(huge), GREEDY))
    # the backend still works afterwards
    assert collect(smollm2_backend.stream_chat(_ask("Hi"), GREEDY)).text


def test_json_schema_constrained_output(smollm2_backend: LlamaCppBackend) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    r = collect(
        smollm2_backend.stream_chat(
            _ask("Alice is 31 years old. Give her name and age as JSON."),
            GenerationParams(temperature=0, max_tokens=60),
            response_format={"type": "json_object", "schema": schema},
        )
    )
    data = json.loads(r.text)
    assert isinstance(data["name"], str) and isinstance(data["age"], int)


def test_unsupported_schema_is_clear(smollm2_backend: LlamaCppBackend) -> None:
    with pytest.raises(SchemaError):
        collect(
            smollm2_backend.stream_chat(
                _ask("x"), GREEDY, response_format={"type": "json_object", "schema": {"$ref": "https://example.com/s.json"}}
            )
        )


def test_one_generation_at_a_time(smollm2_backend: LlamaCppBackend) -> None:
    """Two threads share one model: the lock serialises them and both get complete answers."""
    out: list[str] = []

    def work() -> None:
        out.append(collect(smollm2_backend.stream_chat(_ask("Say hello."), GREEDY)).text)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(out) == 2 and out[0] == out[1]


def test_missing_and_invalid_model_files(tmp_path) -> None:
    with pytest.raises(ModelNotFoundError):
        LlamaCppBackend(tmp_path / "missing.gguf")
    fake = tmp_path / "fake.gguf"
    fake.write_text("this is not a model" * 100)
    with pytest.raises(InvalidModelError):
        LlamaCppBackend(fake)


def test_schema_bounds_that_would_abort_llama_cpp_are_refused(smollm2_backend: LlamaCppBackend) -> None:
    schema = {"type": "object", "properties": {"note": {"type": "string", "maxLength": 2000}}}
    with pytest.raises(SchemaError, match="maxLength=2000"):
        collect(smollm2_backend.stream_chat(_ask("x"), GREEDY, response_format={"type": "json_object", "schema": schema}))


def test_closing_waits_for_the_generation_in_progress(smollm2_path) -> None:
    """Switching models while another thread generates must not free the model under it."""
    backend = LlamaCppBackend(smollm2_path, n_ctx=512)
    started = threading.Event()
    out: list[ChatResult] = []

    def work() -> None:
        for ev in backend.stream_chat(_ask("Tell me a story."), GenerationParams(temperature=0, max_tokens=40)):
            started.set()
            if isinstance(ev, ChatResult):
                out.append(ev)

    t = threading.Thread(target=work)
    t.start()
    assert started.wait(60)
    backend.close()  # blocks until the stream above has finished
    t.join(60)
    assert out and out[0].usage.completion_tokens > 0
