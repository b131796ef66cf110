"""The RAM BM25 index ranks like FTS5's bm25() and follows ingest/delete without a rebuild."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.retrieval.sparse import bm25_search
from engine.retrieval.sparse_index import SparseIndex
from engine.retrieval.store import LibraryStore
from engine.retrieval.types import Chunk

WORDS = (
    "lease tenant renewal notice rent payment landlord contract clause term party agreement property repair "
    "insurance deposit cafe café naïve running runs runner ran protein cell gene expression mutation cancer "
    "therapy patient clinical trial dose response model network training data learning sample measurement"
).split()
HEADINGS = ["", "", "Renewal terms", "Clinical results", "Running the model"]


def _text(rng: np.random.Generator, n: int) -> str:
    p = 1.0 / np.arange(1, len(WORDS) + 1)  # Zipf-like, so IDF and lengths vary as in real text
    return " ".join(rng.choice(WORDS, size=n, p=p / p.sum()))


def _write(store: LibraryStore, name: str, texts: list[tuple[str, str]]) -> None:
    chunks = [Chunk(i, t, 0, len(t), len(t) // 4, heading=h) for i, (t, h) in enumerate(texts)]
    vecs = np.ones((len(chunks), store.dim), dtype=np.float32) / np.sqrt(store.dim)
    store.write_document(path=name, kind="text", size=0, mtime=0.0, sha256=name, title="", pages=0, chunks=chunks,
                         embeddings=vecs)


@pytest.fixture
def store(tmp_path: Path):
    st = LibraryStore(tmp_path / "sparse.sqlite", dim=8, model="test")
    rng = np.random.default_rng(7)
    for d in range(60):
        _write(st, f"doc{d}", [(_text(rng, int(rng.integers(5, 120))), HEADINGS[(d + j) % 5]) for j in range(5)])
    yield st
    st.close()


QUERIES = [
    "lease renewal notice", "the running runner", "Café naive therapy", "protein gene expression in cancer",
    "clinical trial dose-response", "deposit", "what is the model training data?", "unknownword lease",
]


def _assert_same_ranking(store: LibraryStore, index: SparseIndex, query: str, k: int = 10) -> None:
    ref_ids, ref_scores = bm25_search(store.reader, query, k)
    got = index.search(query, k)
    assert got is not None
    ids, scores = got
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-5)
    # every chunk FTS5 ranks has the same score here (ids may differ only among exact ties)
    all_ids, all_scores = index.search(query, len(index))  # type: ignore[misc]
    mine = dict(zip(all_ids.tolist(), all_scores.tolist(), strict=True))
    for cid, s in zip(ref_ids.tolist(), ref_scores.tolist(), strict=True):
        assert mine[cid] == pytest.approx(s, rel=1e-5)
    assert len(all_ids) == len(bm25_search(store.reader, query, 10_000)[0])  # same matching set


def test_scores_and_ranking_match_fts5(store: LibraryStore) -> None:
    index = SparseIndex(store)
    for q in QUERIES:
        _assert_same_ranking(store, index, q)
    assert index.search("zzzz", 10) is not None and len(index.search("zzzz", 10)[0]) == 0  # type: ignore[index]


def test_ingest_and_delete_are_seen_without_rebuild(store: LibraryStore) -> None:
    index = SparseIndex(store, batch=64)
    index.sync()
    vocab, first = index.vocab, index.segments[0]
    _write(store, "new", [("zeppelin airship lease over the clinical trial", "Zeppelin")])
    ids, _ = index.search("zeppelin", 5)  # type: ignore[misc]
    assert len(ids) == 1
    assert index.vocab is vocab and index.segments[0] is first and len(index.segments) == 2  # appended, not rebuilt
    for q in QUERIES:  # IDF and average length follow the new chunk
        _assert_same_ranking(store, index, q)
    assert store.remove_document("new")
    assert len(index.search("zeppelin", 5)[0]) == 0  # type: ignore[index]
    assert index.segments[0] is first
    for q in QUERIES:
        _assert_same_ranking(store, index, q)
    assert store.remove_document("doc3")
    for q in QUERIES:
        _assert_same_ranking(store, index, q)


def test_segments_merge_and_mass_delete_rebuilds(store: LibraryStore) -> None:
    index = SparseIndex(store)
    index.sync()
    for i in range(12):  # more segments than the merge threshold
        _write(store, f"extra{i}", [(f"extra words number {i} lease", "")])
        index.sync()
    assert len(index.segments) <= 9
    for q in QUERIES:
        _assert_same_ranking(store, index, q)
    for d in range(40):
        store.remove_document(f"doc{d}")
    for q in QUERIES:
        _assert_same_ranking(store, index, q)
    assert len(index.ids) == store.chunk_count()  # rebuilt without the dead chunks


def test_multi_token_words_fall_back_to_fts5(store: LibraryStore) -> None:
    index = SparseIndex(store)
    assert index.search("foo_bar lease", 5) is None  # FTS5 phrases "foo_bar" as two tokens


def test_allowed_restricts(store: LibraryStore) -> None:
    index = SparseIndex(store)
    ids, _ = index.search("lease", 100)  # type: ignore[misc]
    allowed = ids[1::2]
    got, _ = index.search("lease", 100, allowed)  # type: ignore[misc]
    assert set(got.tolist()) == set(allowed.tolist())
