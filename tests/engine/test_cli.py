"""The `lampwright` console script, run as a user would (a real subprocess)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "lampwright"


def run(*args: str, home: Path, stdin: str | None = None, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LAMPWRIGHT_HOME=str(home))
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env, input=stdin, timeout=timeout)


def test_chat_prints_a_reply(lampwright_home: Path) -> None:
    p = run("chat", "Say hello", "--max-tokens", "16", "--temperature", "0", home=lampwright_home)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip()
    assert "tok/s" in p.stderr


def test_chat_json_and_saved_conversation(lampwright_home: Path) -> None:
    p = run("chat", "Say hello", "--max-tokens", "8", "--json", "--save", home=lampwright_home)
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["completion_tokens"] > 0 and data["text"]
    listed = json.loads(run("conversations", "list", "--json", home=lampwright_home).stdout)
    assert listed[0]["messages"] == 2
    md = run("conversations", "export", listed[0]["id"], home=lampwright_home).stdout
    assert "Say hello" in md


def test_models_list_and_info(lampwright_home: Path) -> None:
    rows = json.loads(run("models", "list", "--json", home=lampwright_home).stdout)
    assert rows[0]["name"] == "smollm2-135m-instruct" and rows[0]["quantization"] == "Q4_1"
    info = json.loads(run("models", "info", "smollm2-135m-instruct", "--json", home=lampwright_home).stdout)
    assert info["context_length"] == 8192


@pytest.mark.parametrize(
    ("setup", "expect"),
    [
        ("missing", "not found"),
        ("truncated", "truncated"),
        ("renamed", "not a GGUF file"),
    ],
)
def test_model_errors_are_clear(lampwright_home: Path, tmp_path: Path, smollm2_path: Path, setup: str, expect: str) -> None:
    path = tmp_path / "m.gguf"
    if setup == "truncated":
        path.write_bytes(smollm2_path.read_bytes()[: 30_000_000])
    elif setup == "renamed":
        path.write_bytes(b"%PDF-1.4\n" + b"x" * 1000)
    p = run("chat", "hi", "--model", str(path), home=lampwright_home)
    assert p.returncode == 2
    assert expect in p.stderr and "Traceback" not in p.stderr


def test_prompt_longer_than_context(lampwright_home: Path) -> None:
    p = run("chat", "summarise", home=lampwright_home, stdin="lorem ipsum dolor " * 4000)
    assert p.returncode == 2
    assert "context window" in p.stderr and "Traceback" not in p.stderr


def test_backend_unreachable(lampwright_home: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    lampwright_home.mkdir(parents=True, exist_ok=True)
    (lampwright_home / "settings.json").write_text(
        json.dumps({"backend": "openai", "backend_url": f"http://127.0.0.1:{port}/v1"})
    )
    p = run("chat", "hi", home=lampwright_home)
    assert p.returncode == 2
    assert "Cannot reach" in p.stderr and "Traceback" not in p.stderr
