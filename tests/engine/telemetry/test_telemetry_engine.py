"""Engine calls are recorded through Engine.observers, and the CLI reads them back."""

from __future__ import annotations

import hashlib
import json

from click.testing import CliRunner

from engine.cli import main
from engine.errors import ModelNotFoundError
from engine.types import GenerationParams, Message


def test_engine_chat_is_recorded_with_replay_facts(engine, smollm2_path):
    msgs = [Message("system", "Be brief."), Message("user", "Say hello.")]
    result = engine.chat(msgs, GenerationParams(max_tokens=8, temperature=0.8), context={"source": "gui", "route": "chat", "prompt_id": "greet", "prompt_version": "abc123"})
    rows = engine.telemetry.calls()
    assert len(rows) == 1
    row = engine.telemetry.call(rows[0]["call_id"])
    assert row["source"] == "gui" and row["route"] == "chat"
    assert row["prompt_id"] == "greet" and row["prompt_version"] == "abc123"
    assert row["model"] == "smollm2-135m-instruct"
    assert row["model_sha256"] == hashlib.sha256(smollm2_path.read_bytes()).hexdigest()
    assert row["prompt_tokens"] == result.usage.prompt_tokens
    assert row["completion_tokens"] == result.usage.completion_tokens
    assert row["ttft_ms"] > 0 and row["latency_ms"] >= row["ttft_ms"]
    assert row["reply"] == result.text
    assert [m["content"] for m in json.loads(row["messages"])] == ["Be brief.", "Say hello."]
    assert row["seed"] is not None  # the seed drawn for the call is recorded, so it can be replayed
    assert row["status"] == "ok" and row["energy_wh"] > 0


def test_failed_call_is_recorded_as_error(engine):
    try:
        engine.chat([Message("user", "hi")], model="/nonexistent/model.gguf")
    except ModelNotFoundError:
        pass
    row = engine.telemetry.calls()[0]
    assert row["status"] == "error"
    assert "not found" in row["error"].lower()


def test_cli_summary_show_and_replay(lampwright_home):
    runner = CliRunner()
    r = runner.invoke(main, ["chat", "--max-tokens", "8", "--temperature", "0.9", "Name a fruit."])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["telemetry", "summary", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["calls"] == 1 and data["completion_tokens"] > 0
    r = runner.invoke(main, ["telemetry", "list", "--json"])
    call_id = json.loads(r.output)[0]["call_id"]
    r = runner.invoke(main, ["telemetry", "show", call_id[:12], "--json"])
    assert r.exit_code == 0, r.output
    spec = json.loads(r.output)
    assert spec["source"] == "cli" and spec["messages"][-1]["content"] == "Name a fruit."
    assert len(spec["model_sha256"]) == 64 and spec["seed"] is not None
    # sampling at temperature 0.9: the recorded seed reproduces the reply exactly
    r = runner.invoke(main, ["telemetry", "replay", call_id, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["identical"] is True
    r = runner.invoke(main, ["telemetry", "summary", "--json", "--by", "route"])
    routes = {g["route"]: g["calls"] for g in json.loads(r.output)["groups"]}
    assert routes == {"chat": 1, "replay": 1}


def test_cli_export(lampwright_home, tmp_path):
    from engine.telemetry import CallRecord, Telemetry, new_call_id, utcnow

    t = Telemetry.for_home(lampwright_home)
    for _ in range(3):
        t.record(CallRecord(call_id=new_call_id(), ts=utcnow(), source="api", model="x"))
    t.close()
    out = tmp_path / "calls.parquet"
    r = CliRunner().invoke(main, ["telemetry", "export", "--format", "parquet", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "Wrote 3 calls" in r.output and out.stat().st_size > 0
