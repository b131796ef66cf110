"""The official `openai` client against a running `lampwright serve`."""

from __future__ import annotations

import json
import math

import openai
import pytest
from pydantic import BaseModel

MODEL = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def client(server):
    c = openai.OpenAI(base_url=server.url + "/v1", api_key=server.token, max_retries=0, timeout=120)
    yield c
    c.close()


def test_models_lists_bundled_and_embedding_model(client):
    ids = [m.id for m in client.models.list().data]
    assert MODEL in ids
    assert "all-minilm-l6-v2" in ids


def test_chat_completion(client):
    r = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "What is the capital of France?"}],
        max_tokens=24,
        temperature=0,
        seed=1,
    )
    choice = r.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content.strip()
    assert choice.finish_reason in ("stop", "length")
    assert r.usage.prompt_tokens > 5
    assert 0 < r.usage.completion_tokens <= 24
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_same_seed_same_answer(client):
    kwargs = dict(model=MODEL, messages=[{"role": "user", "content": "Tell me a fact."}], max_tokens=16, temperature=1.0, seed=7)
    a = client.chat.completions.create(**kwargs).choices[0].message.content
    b = client.chat.completions.create(**kwargs).choices[0].message.content
    assert a == b


def test_streaming_matches_non_streaming(client):
    kwargs = dict(model=MODEL, messages=[{"role": "user", "content": "Name three colours."}], max_tokens=20, temperature=0, seed=3)
    full = client.chat.completions.create(**kwargs).choices[0].message.content
    stream = client.chat.completions.create(**kwargs, stream=True, stream_options={"include_usage": True})
    parts, finishes, usage = [], [], None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for ch in chunk.choices:
            if ch.delta.content:
                parts.append(ch.delta.content)
            if ch.finish_reason:
                finishes.append(ch.finish_reason)
    assert len(parts) > 3  # really streamed, token by token
    assert "".join(parts) == full
    assert finishes and finishes[-1] in ("stop", "length")
    assert usage is not None and usage.completion_tokens >= len(parts) - 1


WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "maxLength": 40}},
            "required": ["city"],
        },
    },
}


def test_tool_call_forced(client):
    r = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "What's the weather in Paris?"}],
        tools=[WEATHER],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        max_tokens=60,
        temperature=0,
    )
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather"
    args = json.loads(call.function.arguments)
    assert isinstance(args["city"], str) and args["city"]
    # the tool result goes back, and the model answers (auto: it may call again or answer)
    follow = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "user", "content": "What's the weather in Paris?"},
            choice.message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "Sunny, 21 C"},
        ],
        tools=[WEATHER],
        max_tokens=80,
        temperature=0,
    )
    msg = follow.choices[0].message
    assert msg.content or msg.tool_calls


def test_tool_call_streamed(client):
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Weather in Rome?"}],
        tools=[WEATHER],
        tool_choice="required",
        max_tokens=60,
        temperature=0,
        stream=True,
    )
    calls, finish = [], None
    for chunk in stream:
        for ch in chunk.choices:
            calls.extend(ch.delta.tool_calls or [])
            finish = ch.finish_reason or finish
    assert finish == "tool_calls"
    assert calls[0].function.name == "get_weather"
    assert "city" in json.loads(calls[0].function.arguments)


class City(BaseModel):
    name: str
    country: str
    population_millions: float


def test_structured_output_parse(client):
    r = client.chat.completions.parse(
        model=MODEL,
        messages=[{"role": "user", "content": "Describe Paris as JSON with name, country and population."}],
        response_format=City,
        max_tokens=80,
        temperature=0,
    )
    parsed = r.choices[0].message.parsed
    assert isinstance(parsed, City)
    assert parsed.name


def test_json_object_mode(client):
    r = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Give a JSON object with a key 'colour'."}],
        response_format={"type": "json_object"},
        max_tokens=40,
        temperature=0,
    )
    assert isinstance(json.loads(r.choices[0].message.content), dict)


def _cos(a, b):
    return sum(x * y for x, y in zip(a, b, strict=True)) / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def test_embeddings(client):
    texts = ["A cat sits on the mat.", "A kitten is sitting on a rug.", "Quarterly tax filing deadlines."]
    r = client.embeddings.create(model="all-minilm-l6-v2", input=texts)
    vecs = [d.embedding for d in sorted(r.data, key=lambda d: d.index)]
    assert len(vecs) == 3 and all(len(v) == 384 for v in vecs)
    assert _cos(vecs[0], vecs[1]) > _cos(vecs[0], vecs[2]) + 0.2
    assert r.usage.prompt_tokens > 10


def test_unknown_model_is_404(client):
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}], max_tokens=4)


def test_wrong_token_is_401(server):
    bad = openai.OpenAI(base_url=server.url + "/v1", api_key="wrong-token-123", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()


def test_api_calls_are_recorded_in_telemetry(client, server):
    import time

    from engine.telemetry import CallFilter, Telemetry

    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hello"}], max_tokens=4)
    tel = Telemetry(server.home / "telemetry.duckdb")
    try:
        deadline = time.monotonic() + 15
        while True:  # the server writes in the background every half second
            rows = tel.calls(CallFilter(source="api", route="/v1/chat/completions"), limit=1000)
            if rows or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert rows, "no api rows recorded"
        row = tel.call(rows[0]["call_id"])
        assert row["model"] == MODEL
        assert len(row["model_sha256"]) == 64
        assert row["prompt_tokens"] > 0 and row["latency_ms"] > 0
        assert json.loads(row["messages"])[-1]["content"] in ("hello", "Tell me a fact.", "Name three colours.") or row["messages"]
    finally:
        tel.close()
