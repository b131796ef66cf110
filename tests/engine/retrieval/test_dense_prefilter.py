"""The binary sign-bit prefilter of the dense index: near-exact top-k, bits kept in sync incrementally."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.retrieval import dense
from engine.retrieval.dense import DenseIndex
from engine.retrieval.store import LibraryStore
from engine.retrieval.types import Chunk


def _write(store: LibraryStore, name: str, vecs: np.ndarray) -> None:
    chunks = [Chunk(i, f"{name} {i}", 0, 5, 2) for i in range(len(vecs))]
    store.write_document(path=name, kind="text", size=0, mtime=0.0, sha256=name, title="", pages=0, chunks=chunks,
                         embeddings=vecs.astype(np.float32))


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    # clustered like real embeddings: a few centres plus noise
    centres = rng.normal(size=(20, dim))
    v = centres[rng.integers(0, 20, n)] + rng.normal(0, 0.8, (n, dim))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_prefilter_keeps_clear_neighbours_and_follows_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dim = 384  # MiniLM
    rng = np.random.default_rng(3)
    store = LibraryStore(tmp_path / "d.sqlite", dim=dim, model="test")
    queries = _unit(rng, 10, dim)
    for d in range(10):
        _write(store, f"doc{d}", _unit(rng, 300, dim))
        # ten planted neighbours per query (cosine ~0.6-0.8), spread over the documents
        planted = queries + rng.normal(0, 0.04, queries.shape) * rng.uniform(0.5, 1.5, (len(queries), 1))
        _write(store, f"near{d}", planted / np.linalg.norm(planted, axis=1, keepdims=True))
    index = DenseIndex(store)
    exact = [index.search(q, 10) for q in queries]
    monkeypatch.setattr(dense, "BINARY_PREFILTER_ROWS", 1000)
    monkeypatch.setattr(dense, "BINARY_CANDIDATES", 300)  # 10% of the rows
    for q, (ids, scores) in zip(queries, exact, strict=True):
        got_ids, got_scores = index.search(q, 10)
        assert got_ids.tolist() == ids.tolist()
        np.testing.assert_allclose(got_scores, scores, rtol=1e-5)
    # a new row equal to the query comes first; a removed document never comes back
    _write(store, "new", queries[:1])
    assert index.search(queries[0], 1)[0][0] == store.chunk_ids()[-1]
    assert len(index.bits) == len(index.ids)
    store.remove_document("near0")
    alive = set(store.chunk_ids().tolist())
    assert set(index.search(queries[1], 10)[0].tolist()) <= alive
    assert len(index.bits) == len(index.ids) == len(alive)
    store.close()
