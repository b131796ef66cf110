"""A scripted backend: a real implementation of the Backend protocol that replies with fixed texts.

It stands in for a model that misbehaves on cue (malformed JSON, unknown tools, injected requests);
everything else in the loop (parsing, validation, confirmation, execution) is the real code.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from engine.jobs import CancelToken
from engine.types import ChatEvent, ChatResult, GenerationParams, Message, Timing, TokenDelta, Usage


class ScriptedBackend:
    """Replies with ``replies`` in order (the last one repeats); records every request."""

    kind = "scripted"
    model_name = "scripted"
    context_length = 4096

    def __init__(self, replies: Sequence[str]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []

    def stream_chat(
        self,
        messages: Sequence[Message],
        params: GenerationParams,
        *,
        response_format: dict[str, Any] | None = None,
        tools: Sequence[dict[str, Any]] | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[ChatEvent]:
        self.requests.append(
            {"messages": list(messages), "response_format": response_format, "tools": tools, "params": params}
        )
        text = self.replies[min(len(self.requests) - 1, len(self.replies) - 1)]
        yield TokenDelta(text)
        yield ChatResult(Message("assistant", text), Usage(10, 5), Timing(0.01, 0.02, 5), "stop", self.model_name)

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    def close(self) -> None:
        pass


@pytest.fixture
def scripted():
    """Factory: ``scripted(["reply 1", "reply 2"])``."""
    return ScriptedBackend


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[str, str]] = {}
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        type(self).hits.append(self.path)
        if path not in self.routes:
            self.send_response(404)
            self.end_headers()
            return
        ctype, body = self.routes[path]
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api_server():
    """A real HTTP server on 127.0.0.1 serving Open-Meteo-like weather and a Stooq-like quote CSV."""
    routes = {
        "/geo": ("application/json", json.dumps({"results": [{"name": "Bangkok", "country": "Thailand", "latitude": 13.75, "longitude": 100.5}]})),
        "/geo-empty": ("application/json", json.dumps({"results": []})),
        "/forecast": (
            "application/json",
            json.dumps(
                {
                    "current": {"time": "2025-05-01T14:00", "temperature_2m": 34.2, "relative_humidity_2m": 61, "wind_speed_10m": 9.5, "weather_code": 2},
                    "current_units": {"temperature_2m": "°C", "relative_humidity_2m": "%", "wind_speed_10m": "km/h"},
                }
            ),
        ),
        "/quote/aapl.us": ("text/csv", "Symbol,Date,Time,Open,High,Low,Close,Volume\nAAPL.US,2025-05-01,22:00:00,210.1,214.5,209.8,213.32,5123456\n"),
        "/quote/zzzz.us": ("text/csv", "Symbol,Date,Time,Open,High,Low,Close,Volume\nZZZZ.US,N/D,N/D,N/D,N/D,N/D,N/D,N/D\n"),
    }
    handler = type("Handler", (_Handler,), {"routes": routes, "hits": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    time.sleep(0.01)
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()
