from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from engine.errors import ConfigError, LibraryError
from engine.retrieval.fusion import FusionConfig, fuse
from engine.retrieval.ingest import IngestOptions
from engine.retrieval.sparse import fts_query
from engine.retrieval.types import SearchFilters


@pytest.fixture
def indexed(library, docs_dir: Path):
    list(library.ingest([docs_dir], options=IngestOptions(isolate_parsing=False)))
    return library


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid", "rerank"])
def test_every_mode_finds_the_right_document(indexed, mode: str) -> None:
    cases = {
        "when does the lease renew": "lease.pdf",
        "how many days of paid holiday": "handbook.docx",
        "sourdough starter fermentation": "page.html",
        "recursive fibonacci function": "script.py",
    }
    for query, expected in cases.items():
        hits = indexed.search(query, k=3, mode=mode)
        assert hits, (mode, query)
        assert hits[0].path.endswith(expected), (mode, query, [h.path for h in hits])
        assert hits == sorted(hits, key=lambda h: -h.score)


def test_hits_carry_page_span_and_scores(indexed) -> None:
    hit = indexed.search("renewal notice five years", k=1, mode="hybrid")[0]
    assert hit.page == 2 and hit.kind == "pdf"
    assert "renews" in hit.text
    assert set(hit.scores) == {"bm25", "dense"}
    assert hit.char_end > hit.char_start


def test_filters(indexed, docs_dir: Path) -> None:
    q = "text"
    only_md = indexed.search("garden basil", k=10, mode="hybrid", filters=SearchFilters(kinds=("markdown",)))
    assert only_md and all(h.kind == "markdown" for h in only_md)
    by_glob = indexed.search(q, k=10, mode="dense", filters=SearchFilters(path_glob="*.docx"))
    assert by_glob and all(h.path.endswith(".docx") for h in by_glob)
    future = time.time() + 3600
    assert indexed.search("lease", k=5, mode="bm25", filters=SearchFilters(modified_after=future)) == []
    old = docs_dir / "notes.md"
    os.utime(old, (1_000_000_000, 1_000_000_000))  # 2001
    list(indexed.ingest([docs_dir], options=IngestOptions(isolate_parsing=False)))
    before_2010 = indexed.search("garden", k=5, mode="hybrid", filters=SearchFilters(modified_before=1_262_304_000))
    assert [Path(h.path).name for h in before_2010] == ["notes.md"]


def test_dense_index_follows_changes_made_by_another_connection(indexed, docs_dir: Path, minilm) -> None:
    from engine.retrieval.library import Library

    assert indexed.search("lighthouse ships", k=1, mode="dense")[0].path.endswith("readme.txt")
    n = len(indexed.dense)
    other = Library(indexed.path, embedder=minilm)  # a second writer process would look like this
    (docs_dir / "ships.txt").write_text("Container ships cross the ocean carrying cargo.", encoding="utf-8")
    (docs_dir / "readme.txt").unlink()
    list(other.ingest([docs_dir], options=IngestOptions(isolate_parsing=False)))
    other.close()
    hits = indexed.search("lighthouse ships", k=10, mode="dense")
    assert len(indexed.dense) == n  # one chunk gone, one added
    assert all(not h.path.endswith("readme.txt") for h in hits)
    assert any(h.path.endswith("ships.txt") for h in hits)


def test_fts_query_quotes_words_and_drops_stopwords() -> None:
    assert fts_query('what is the "lease" AND NOT renewal?') == '"lease" OR "renewal"'
    assert fts_query("the") == '"the"'
    assert fts_query("   ") == ""


def test_fusion_methods() -> None:
    a = (np.array([1, 2, 3]), np.array([3.0, 2.0, 1.0], dtype=np.float32))
    b = (np.array([3, 4]), np.array([0.9, 0.1], dtype=np.float32))
    convex = fuse({"bm25": a, "dense": b}, {"bm25": 0.5, "dense": 0.5}, FusionConfig())
    assert [c for c, _, _ in convex][:2] == [1, 3]  # 1: 0.5 from bm25; 3: 0 + 0.5
    rrf = fuse({"bm25": a, "dense": b}, {"bm25": 1, "dense": 1}, FusionConfig(method="rrf"))
    assert rrf[0][0] == 3  # in both lists
    with pytest.raises(ConfigError):
        FusionConfig(method="max")


def test_unknown_mode_and_empty_query(indexed) -> None:
    with pytest.raises(ConfigError):
        indexed.search("x", mode="magic")
    assert indexed.search("   ", mode="hybrid") == []


def test_library_refuses_another_embedding_model(tmp_path: Path, minilm) -> None:
    from dataclasses import dataclass

    from engine.retrieval.library import Library

    Library(tmp_path / "m.sqlite", embedder=minilm).close()

    @dataclass
    class Other:
        name: str = "other-model"
        dim: int = 384
        max_tokens: int = 128
        runtime: str = "test"

    with pytest.raises(LibraryError, match="embedded with all-MiniLM-L6-v2"):
        Library(tmp_path / "m.sqlite", embedder=Other())  # type: ignore[arg-type]


def test_newer_schema_is_refused(tmp_path: Path, minilm) -> None:
    from engine.retrieval.library import Library

    lib = Library(tmp_path / "n.sqlite", embedder=minilm)
    with lib.store.db:
        lib.store.db.execute("INSERT INTO migrations(name, applied_at) VALUES ('m999_future', 0)")
    lib.close()
    with pytest.raises(LibraryError, match="newer Lampwright"):
        Library(tmp_path / "n.sqlite", embedder=minilm)


def test_maxsim_reranker_prefers_the_passage_with_the_matching_sentence(minilm) -> None:
    from engine.retrieval.rerank import MaxSimReranker, split_sentences
    from engine.retrieval.types import SearchHit

    filler = "The committee met on Tuesday. Minutes were approved without changes. Coffee was served."
    hits = [
        SearchHit(1, 1, "a.txt", filler + " Nothing else happened.", score=1.0),
        SearchHit(2, 2, "b.txt", filler + " Penguins huddle together to survive the Antarctic winter.", score=0.9),
    ]
    assert len(split_sentences(hits[1].text)) == 3  # "Coffee was served." is short: merged with the next
    out = MaxSimReranker(minilm, weight=0.8).rerank("how do penguins survive the cold winter", hits)
    assert [h.chunk_id for h in out] == [2, 1]
    assert out[0].scores["first_stage"] == 0.9 and "maxsim" in out[0].scores


def test_default_reranker_uses_feedback_and_keeps_candidates(indexed) -> None:
    hybrid = indexed.search("garden watering basil", k=6, mode="hybrid")
    reranked = indexed.search("garden watering basil", k=6, mode="rerank")
    assert {h.chunk_id for h in reranked} == {h.chunk_id for h in hybrid}
    assert all("prf" in h.scores and "first_stage" in h.scores for h in reranked)


def test_auto_runtime_follows_the_library(tmp_path: Path, minilm) -> None:
    from engine.retrieval.library import Library

    with Library(tmp_path / "rt.sqlite", embedder=minilm) as lib:
        list(lib.ingest_records([("a", "T", "some text")], total=1))
        assert lib.store.get_meta("embedding_runtime") == minilm.runtime
    with Library(tmp_path / "rt.sqlite") as lib:  # no embedder given: "auto" resolves to the recorded one
        assert lib.runtime == minilm.runtime
