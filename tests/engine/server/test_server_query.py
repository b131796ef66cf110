"""/query (RAG) against a running server and a real document library."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

pytest.importorskip("apsw")

DOCS = {
    "tides.md": "# Tides\n\nOcean tides are caused mainly by the Moon's gravity pulling on the oceans, raising two bulges.\n",
    "bees.md": "# Bees\n\nHoney bees tell each other where flowers are with a waggle dance inside the hive.\n",
    "rust.md": "# Rust\n\nIron rusts when it reacts with oxygen and water, forming iron oxide.\n",
}


@pytest.fixture(scope="module")
def library(server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("docs")
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "LAMPWRIGHT_HOME": str(server.home)}
    cmd = [sys.executable, "-c", "from engine.cli import main; main()", "ingest", str(folder), "--library", "docs"]
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=600)
    return "docs"


def test_query_answers_with_citations_and_is_recorded(server, library):
    headers = {"Authorization": f"Bearer {server.token}"}
    body = {"question": "What causes ocean tides?", "library": library, "k": 2, "max_tokens": 48, "temperature": 0, "seed": 1}
    r = httpx.post(server.url + "/query", headers=headers, json=body, timeout=300)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["answer"].strip()
    assert len(data["citations"]) == 2
    assert data["citations"][0]["path"].endswith("tides.md")
    assert data["usage"]["prompt_tokens"] > 20 and data["usage"]["completion_tokens"] > 0
    assert data["latency_ms"] >= data["retrieval_ms"] > 0

    from engine.telemetry import CallFilter, Telemetry

    tel = Telemetry(server.home / "telemetry.duckdb")
    try:
        deadline = time.monotonic() + 15
        while not (rows := tel.calls(CallFilter(route="/query"))) and time.monotonic() < deadline:
            time.sleep(0.3)
        row = tel.call(rows[0]["call_id"])
        assert row["retrieval_library"] == "docs" and row["retrieval_k"] == 2
        assert row["retrieval_top_score"] == pytest.approx(data["citations"][0]["score"], rel=1e-4)
        assert row["retrieval_rewritten"] is False
    finally:
        tel.close()


def test_query_errors(server):
    headers = {"Authorization": f"Bearer {server.token}"}
    r = httpx.post(server.url + "/query", headers=headers, json={"question": "x", "library": "missing"}, timeout=60)
    assert r.status_code == 404 and "No library" in r.json()["error"]["message"]
    r = httpx.post(server.url + "/query", headers=headers, json={"question": ""}, timeout=60)
    assert r.status_code == 422
    assert httpx.post(server.url + "/query", json={"question": "x"}).status_code == 401
