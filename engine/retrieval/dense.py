"""A RAM-resident copy of a library's embeddings for fast exact KNN.

sqlite-vec's ``vec0`` table stays the store of record; its brute-force scan takes ~80 ms per query at
100k x 384 (no SIMD in the wheel) where one BLAS matrix-vector product takes a few ms. The matrix is
loaded once (in batches) and kept in sync incrementally: chunk ids only grow (AUTOINCREMENT), so new
rows are those above the highest id loaded, and removed rows are found by comparing id lists.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from engine.retrieval.store import LibraryStore

log = logging.getLogger(__name__)


class DenseIndex:
    """Exact cosine search over normalised float32 rows, with optional candidate masks."""

    def __init__(self, store: LibraryStore) -> None:
        self.store = store
        self.ids = np.zeros(0, dtype=np.int64)
        self.mat = np.zeros((0, store.dim), dtype=np.float32)
        self._version: int | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    def sync(self, *, force: bool = False) -> None:
        """Pick up rows added or removed since the last sync (cheap when nothing changed)."""
        with self._lock:
            version = self.store.data_version()
            if not force and version == self._version:
                return
            after = int(self.ids[-1]) if len(self.ids) else 0
            if len(self.ids):
                alive = self.store.chunk_ids()
                keep = np.isin(self.ids, alive, assume_unique=True)
                if not keep.all():
                    self.ids, self.mat = self.ids[keep], self.mat[keep]
            new_ids, new_rows = [], []
            for ids, rows in self.store.iter_vectors(after):
                new_ids.append(ids)
                new_rows.append(rows)
            if new_ids:
                self.ids = np.concatenate([self.ids, *new_ids])
                self.mat = np.concatenate([self.mat, *new_rows]) if len(self.mat) else np.concatenate(new_rows)
            self._version = version
            log.debug("dense index: %d rows", len(self.ids))

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, cosine scores) of the ``k`` nearest rows, best first; ``allowed`` restricts ids."""
        self.sync()
        ids, mat = self.ids, self.mat
        if not len(ids) or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = mat @ np.asarray(query, dtype=np.float32).reshape(-1)
        if allowed is not None:
            scores = np.where(np.isin(ids, allowed), scores, -np.inf)
        k = min(k, len(ids))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(ids) else np.arange(len(ids))
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[np.isfinite(scores[top])]
        return ids[top], scores[top]

    def vectors(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Rows for some chunk ids (missing ids give zero rows)."""
        self.sync()
        pos = np.searchsorted(self.ids, chunk_ids)
        pos = np.clip(pos, 0, max(len(self.ids) - 1, 0))
        out = np.zeros((len(chunk_ids), self.store.dim), dtype=np.float32)
        if len(self.ids):
            hit = self.ids[pos] == chunk_ids
            out[hit] = self.mat[pos[hit]]
        return out
