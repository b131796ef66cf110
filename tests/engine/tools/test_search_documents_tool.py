from __future__ import annotations

import json
from pathlib import Path

from engine.core import Engine
from engine.tools import execute
from engine.types import ToolCall


def test_no_libraries_no_search_tool(engine: Engine):
    assert "search_documents" not in engine.tools


def test_search_documents_wraps_the_users_library(engine: Engine, tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "refunds.md").write_text("# Refund policy\n\nCustomers may return goods within 30 days for a full refund.\n")
    (docs / "shipping.md").write_text("# Shipping\n\nParcels to Norway take five working days by road.\n")
    list(engine.library("notes", create=True).ingest([docs]))
    reg = engine.reload_tools()
    t = reg.require("search_documents")
    assert t.parameters["properties"]["library"]["enum"] == ["notes"] and not t.side_effects
    out = execute(reg, ToolCall("1", "search_documents", json.dumps({"query": "how many days to return goods for a refund", "k": 1})))
    assert out.ok, out.content
    assert out.content.startswith("[1] refunds.md:") and "30 days" in out.content
    bad = execute(reg, ToolCall("2", "search_documents", json.dumps({"query": "x", "library": "other"})))
    assert bad.status == "invalid_arguments"
