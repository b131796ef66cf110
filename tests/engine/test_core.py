from __future__ import annotations

import json

import pytest

from engine.core import Engine
from engine.errors import ModelNotFoundError
from engine.jobs import CancelToken
from engine.settings import Settings
from engine.types import ChatResult, GenerationParams, Message, TokenDelta


def test_conversation_roundtrip_persists_across_engines(settings: Settings) -> None:
    eng = Engine(settings)
    conv = eng.conversations.create(system_prompt="Answer in one word.", params=GenerationParams(temperature=0, max_tokens=8))
    events = list(eng.send(conv.id, "What color is the sky?", context={"source": "test"}))
    result = events[-1]
    assert isinstance(result, ChatResult) and result.text
    eng.close()

    eng2 = Engine(settings)
    again = eng2.conversations.get(conv.id)
    assert again.title == "What color is the sky?"
    assert again.system_prompt == "Answer in one word."
    msgs = eng2.conversations.messages(conv.id)
    assert [m.message.role for m in msgs] == ["user", "assistant"]
    assert msgs[1].message.content == result.text
    assert msgs[1].meta["completion_tokens"] == result.usage.completion_tokens
    eng2.close()


def test_stopped_reply_is_kept(engine: Engine) -> None:
    conv = engine.conversations.create(params=GenerationParams(max_tokens=300))
    token = CancelToken()
    n = 0
    for ev in engine.send(conv.id, "Write a long poem about the sea.", cancel=token):
        if isinstance(ev, TokenDelta):
            n += 1
            if n == 2:
                token.cancel()
    stored = engine.conversations.messages(conv.id)
    assert stored[-1].meta["finish_reason"] == "cancelled"
    assert stored[-1].message.content


def test_export_rename_delete(engine: Engine) -> None:
    conv = engine.conversations.create(title="First", system_prompt="sys")
    engine.conversations.append(conv.id, Message("user", "hello"))
    engine.conversations.append(conv.id, Message("assistant", "**hi**"))
    md = engine.conversations.export_markdown(conv.id)
    assert "# First" in md and "### You" in md and "**hi**" in md
    data = engine.conversations.export_json(conv.id)
    assert json.loads(json.dumps(data))["messages"][1]["content"] == "**hi**"
    engine.conversations.rename(conv.id, "Renamed")
    assert engine.conversations.list()[0].title == "Renamed"
    engine.conversations.delete(conv.id)
    assert engine.conversations.list() == []
    with pytest.raises(Exception, match="No conversation"):
        engine.conversations.get(conv.id)


def test_observers_see_results_and_errors(engine: Engine, tmp_path) -> None:
    seen: list[tuple] = []
    engine.observers.append(lambda r, e, ctx: seen.append((r, e, ctx)))
    engine.observers.append(lambda r, e, ctx: 1 / 0)  # a broken observer never breaks a call
    r = engine.chat([Message("user", "Hi")], GenerationParams(temperature=0, max_tokens=4), context={"source": "test"})
    assert seen[0][0] is r and seen[0][2]["source"] == "test" and seen[0][2]["backend"] == "llamacpp"
    with pytest.raises(ModelNotFoundError):
        engine.chat([Message("user", "Hi")], model=str(tmp_path / "missing.gguf"))
    assert isinstance(seen[-1][1], ModelNotFoundError)


def test_switch_models(engine: Engine) -> None:
    a = engine.backend("smollm2-135m-instruct")
    assert a.model_name == "smollm2-135m-instruct"
    b = engine.backend("gemma3-270m")
    assert b is not a and b.model_name == "gemma3-270m"
    r = engine.chat([Message("user", "The capital of France is")], GenerationParams(temperature=0, max_tokens=6), model="gemma3-270m")
    assert r.usage.completion_tokens > 0
