"""The OpenAI-compatible backend against a real server no one here wrote: llama-cpp-python's own."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from engine.errors import BackendUnavailableError
from engine.inference.base import collect
from engine.inference.openai_compat import OpenAICompatBackend
from engine.jobs import CancelToken
from engine.types import ChatResult, GenerationParams, Message, TokenDelta


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(smollm2_path: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--model_alias", "smollm2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if httpx.get(url + "/models", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("llama_cpp.server did not start")
    yield url
    proc.terminate()
    proc.wait(10)


def test_streams_from_llama_cpp_server(llama_server: str) -> None:
    backend = OpenAICompatBackend(llama_server)
    assert backend.model_name == "smollm2"
    events = list(backend.stream_chat([Message("user", "What is the capital of France?")], GenerationParams(temperature=0, max_tokens=20)))
    deltas = [e for e in events if isinstance(e, TokenDelta)]
    result = events[-1]
    assert isinstance(result, ChatResult)
    assert len(deltas) > 2 and "Paris" in result.text
    assert result.usage.completion_tokens > 0
    backend.close()


def test_structured_output_through_server(llama_server: str) -> None:
    import json

    backend = OpenAICompatBackend(llama_server)
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    r = collect(
        backend.stream_chat(
            [Message("user", "Which city is the capital of France? Answer as JSON.")],
            GenerationParams(temperature=0, max_tokens=30),
            response_format={"type": "json_object", "schema": schema},
        )
    )
    assert isinstance(json.loads(r.text)["city"], str)


def test_cancel_remote_stream(llama_server: str) -> None:
    backend = OpenAICompatBackend(llama_server)
    token = CancelToken()
    result = None
    for ev in backend.stream_chat([Message("user", "Tell a long story.")], GenerationParams(max_tokens=300), cancel=token):
        if isinstance(ev, TokenDelta):
            token.cancel()
        else:
            result = ev
    assert result is not None and result.finish_reason == "cancelled"


def test_unreachable_server_is_clear() -> None:
    with pytest.raises(BackendUnavailableError, match="Cannot reach"):
        OpenAICompatBackend(f"http://127.0.0.1:{_free_port()}/v1")
