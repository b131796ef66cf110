"""The official `ollama` client (and Lampwright's OllamaBackend) against a running `lampwright serve`."""

from __future__ import annotations

import json
import math

import ollama
import pytest

from engine.errors import ModelNotFoundError
from engine.types import GenerationParams, Message, TokenDelta

MODEL = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def client(server):
    c = ollama.Client(host=server.url, headers={"Authorization": f"Bearer {server.token}"}, timeout=120)
    yield c
    c.close()


def test_tags(client):
    models = {m.model: m for m in client.list().models}
    assert MODEL in models
    assert models[MODEL].details.format == "gguf"
    assert models[MODEL].size > 50_000_000


def test_chat(client):
    r = client.chat(
        model=MODEL,
        messages=[{"role": "user", "content": "Say hello."}],
        options={"num_predict": 12, "temperature": 0, "seed": 1},
    )
    assert r.done and r.message.role == "assistant" and r.message.content.strip()
    assert r.prompt_eval_count > 0 and 0 < r.eval_count <= 12
    assert r.total_duration > 0


def test_chat_streaming_matches(client):
    kwargs = dict(model=MODEL, messages=[{"role": "user", "content": "Count to five."}], options={"num_predict": 16, "temperature": 0, "seed": 2})
    full = client.chat(**kwargs).message.content
    chunks = list(client.chat(**kwargs, stream=True))
    assert len(chunks) > 3 and chunks[-1].done and not any(c.done for c in chunks[:-1])
    assert "".join(c.message.content or "" for c in chunks) == full


def test_chat_latest_tag_and_json_format(client):
    r = client.chat(
        model=MODEL + ":latest",
        messages=[{"role": "user", "content": "Give a JSON object about a cat with keys name and age."}],
        format={"type": "object", "properties": {"name": {"type": "string", "maxLength": 20}, "age": {"type": "integer"}}, "required": ["name", "age"]},
        options={"num_predict": 40, "temperature": 0},
    )
    data = json.loads(r.message.content)
    assert set(data) == {"name", "age"} and isinstance(data["age"], int)


def test_chat_tools(client):
    tool = {
        "type": "function",
        "function": {
            "name": "add",
            "description": "Add two integers.",
            "parameters": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]},
        },
    }
    r = client.chat(model=MODEL, messages=[{"role": "user", "content": "Use the add tool to add 2 and 3."}], tools=[tool], options={"num_predict": 40, "temperature": 0})
    # auto mode: the model may call the tool or answer; whichever it does must be well formed
    if r.message.tool_calls:
        call = r.message.tool_calls[0]
        assert call.function.name == "add"
        assert isinstance(call.function.arguments["a"], int)
    else:
        assert r.message.content


def test_generate(client):
    r = client.generate(model=MODEL, prompt="The sky is", system="Complete the sentence.", options={"num_predict": 10, "temperature": 0, "seed": 5})
    assert r.done and r.response.strip() and r.eval_count > 0
    chunks = list(client.generate(model=MODEL, prompt="The sky is", system="Complete the sentence.", options={"num_predict": 10, "temperature": 0, "seed": 5}, stream=True))
    assert "".join(c.response for c in chunks) == r.response


def test_embed(client):
    r = client.embed(model="all-minilm-l6-v2", input=["A dog runs in the park.", "A puppy plays on the grass.", "Interest rates rose."])
    a, b, c = r.embeddings
    assert len(a) == 384

    def cos(x, y):
        return sum(p * q for p, q in zip(x, y, strict=True)) / math.sqrt(sum(p * p for p in x) * sum(q * q for q in y))

    assert cos(a, b) > cos(a, c) + 0.2
    single = client.embed(model="all-minilm-l6-v2", input="A dog runs in the park.")
    assert cos(single.embeddings[0], a) > 0.999


def test_unknown_model_and_wrong_token(server, client):
    with pytest.raises(ollama.ResponseError) as err:
        client.chat(model="llama3", messages=[{"role": "user", "content": "hi"}])
    assert err.value.status_code == 404
    bad = ollama.Client(host=server.url, headers={"Authorization": "Bearer nope-nope-nope"})
    with pytest.raises(ollama.ResponseError) as err:
        bad.list()
    assert err.value.status_code == 401


def test_ollama_backend_against_lampwright(server):
    from engine.inference.ollama import OllamaBackend

    backend = OllamaBackend(server.url, api_key=server.token)
    try:
        assert backend.model_name == MODEL  # the first model the server lists
        events = list(backend.stream_chat([Message("user", "Say hi.")], GenerationParams(max_tokens=8, temperature=0, seed=4)))
        deltas = [e for e in events if isinstance(e, TokenDelta)]
        result = events[-1]
        assert deltas and result.text == "".join(d.text for d in deltas)
        assert result.usage.prompt_tokens > 0 and 0 < result.usage.completion_tokens <= 8
        structured = list(
            backend.stream_chat(
                [Message("user", "A colour as JSON.")],
                GenerationParams(max_tokens=30, temperature=0),
                response_format={"type": "json_object", "schema": {"type": "object", "properties": {"colour": {"type": "string", "maxLength": 12}}, "required": ["colour"]}},
            )
        )[-1]
        assert "colour" in json.loads(structured.text)
    finally:
        backend.close()
    missing = OllamaBackend(server.url, model="no-such-model", api_key=server.token)
    with pytest.raises(ModelNotFoundError):
        list(missing.stream_chat([Message("user", "hi")], GenerationParams(max_tokens=2)))
    missing.close()


def test_open_backend_uses_settings(server, tmp_path):
    from engine.inference import open_backend
    from engine.settings import Settings

    s = Settings(home=tmp_path, backend="ollama", backend_url=server.url, backend_api_key=server.token, model=MODEL)
    backend = open_backend(s, MODEL)
    try:
        assert backend.kind == "ollama"
        assert backend.stream_chat([Message("user", "hi")], GenerationParams(max_tokens=3)) is not None
    finally:
        backend.close()
