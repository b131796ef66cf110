"""Security by default: token, Host allowlist, Origin, body size, bounded queue; the stored token."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import httpx
import pytest
from serve_helpers import TOKEN, start_server


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


CHAT = {"model": "smollm2-135m-instruct", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}


def test_missing_and_wrong_token_are_401(server):
    for headers in ({}, auth("wrong-token-xyz"), {"Authorization": "Basic " + TOKEN}, {"Authorization": TOKEN}):
        for method, path in (("GET", "/v1/models"), ("POST", "/v1/chat/completions"), ("GET", "/api/tags"), ("POST", "/api/chat")):
            r = httpx.request(method, server.url + path, headers=headers, json=CHAT)
            assert r.status_code == 401, (headers, path)
            assert r.headers["www-authenticate"] == "Bearer"
    assert httpx.get(server.url + "/health").status_code == 200  # liveness needs no token
    assert httpx.get(server.url + "/v1/models", headers=auth()).status_code == 200


def test_foreign_host_header_is_rejected(server):
    for host in ("evil.example.com", "evil.example.com:80", "127.0.0.1.evil.com", "attacker"):
        r = httpx.get(server.url + "/v1/models", headers={**auth(), "Host": host})
        assert r.status_code == 400, host
    for host in ("localhost", "127.0.0.1", f"127.0.0.1:{server.url.rsplit(':', 1)[1]}"):
        assert httpx.get(server.url + "/v1/models", headers={**auth(), "Host": host}).status_code == 200


def test_foreign_origin_is_rejected_and_no_wildcard_cors(server):
    r = httpx.get(server.url + "/v1/models", headers={**auth(), "Origin": "https://evil.example.com"})
    assert r.status_code == 403
    r = httpx.options(
        server.url + "/v1/chat/completions",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code == 403
    r = httpx.get(server.url + "/v1/models", headers=auth())
    assert "access-control-allow-origin" not in r.headers


def test_oversized_body_is_413(server):
    big = {**CHAT, "messages": [{"role": "user", "content": "x" * (5 * 1024 * 1024)}]}
    r = httpx.post(server.url + "/v1/chat/completions", headers=auth(), json=big)
    assert r.status_code == 413

    def chunks():  # no Content-Length: the limit is enforced while the body streams in
        for _ in range(80):
            yield b"x" * 65536

    r = httpx.post(server.url + "/api/chat", headers={**auth(), "Content-Type": "application/json"}, content=chunks())
    assert r.status_code == 413
    assert httpx.post(server.url + "/v1/chat/completions", headers=auth(), json=CHAT, timeout=120).status_code == 200


def test_schema_llama_cpp_cannot_take_is_400_not_a_crash(server):
    body = {**CHAT, "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "maxLength": 5000}}}}
    r = httpx.post(server.url + "/v1/chat/completions", headers=auth(), json=body, timeout=120)
    assert r.status_code == 400 and "maxLength" in r.json()["error"]["message"]
    assert httpx.post(server.url + "/v1/chat/completions", headers=auth(), json=CHAT, timeout=120).status_code == 200


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory):
    served = start_server(tmp_path_factory.mktemp("tight-home"), "--max-queue", "0", "--max-body", "65536")
    yield served
    served.stop()


LONG = {
    "model": "smollm2-135m-instruct",
    "messages": [{"role": "user", "content": "Write a long story."}],
    "max_tokens": 160,
    # at least 400 characters: the generation cannot end early, so the slot stays taken
    "response_format": {"type": "json_object", "schema": {"type": "string", "minLength": 400, "maxLength": 600}},
    "stream": True,
}


@pytest.mark.slow
def test_queue_full_is_429_and_server_survives(tight_server):
    url = tight_server.url
    with httpx.Client(timeout=120) as c, c.stream("POST", url + "/v1/chat/completions", headers=auth(), json=LONG) as running:
        assert running.status_code == 200
        lines = running.iter_lines()
        while not next(lines).startswith("data: "):
            pass  # the first event: the generation holds the only slot now
        results: list[int] = []

        def hit() -> None:
            results.append(httpx.post(url + "/v1/chat/completions", headers=auth(), json=CHAT, timeout=60).status_code)

        threads = [threading.Thread(target=hit) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [429] * 6
        r = httpx.post(url + "/api/chat", headers=auth(), json={**CHAT, "stream": False}, timeout=60)
        assert r.status_code == 429 and r.headers["retry-after"] == "1" and "busy" in r.json()["error"]
    # the client went away: its generation is cancelled and the slot frees up
    for _ in range(100):
        r = httpx.post(url + "/v1/chat/completions", headers=auth(), json=CHAT, timeout=120)
        if r.status_code == 200:
            break
    assert r.status_code == 200
    assert tight_server.proc.poll() is None


def test_small_body_limit(tight_server):
    r = httpx.post(tight_server.url + "/v1/chat/completions", headers=auth(), json={**CHAT, "messages": [{"role": "user", "content": "y" * 70000}]})
    assert r.status_code == 413


def test_generated_token_is_stored_and_reused(tmp_path):
    home = tmp_path / "h"
    first = start_server(home, token="")
    try:
        stored = (home / "server-token").read_text().strip()
        assert len(stored) >= 20 and f"Token: {stored}\n" in first.log
        assert (home / "server-token").stat().st_mode & 0o077 == 0  # owner-only
        assert httpx.get(first.url + "/v1/models", headers=auth(stored)).status_code == 200
    finally:
        first.stop()
    second = start_server(home, token="")
    try:
        assert httpx.get(second.url + "/v1/models", headers=auth(stored)).status_code == 200
    finally:
        second.stop()


def test_binds_loopback_only_by_default(server):
    port = int(server.url.rsplit(":", 1)[1])
    tcp = Path("/proc/net/tcp")
    if not tcp.exists():
        pytest.skip("needs Linux /proc/net/tcp")
    listening = [
        line.split()[1]
        for line in tcp.read_text().splitlines()[1:]
        if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port
    ]
    assert listening == [f"0100007F:{port:04X}"]  # 127.0.0.1 only, not 0.0.0.0
    addrs = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)} - {"127.0.0.1", "127.0.1.1"}
    for addr in addrs:
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex((addr, port)) != 0, f"reachable on {addr}"
    assert json.loads(httpx.get(server.url + "/health").text)["status"] == "ok"
