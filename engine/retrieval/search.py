"""Search modes over one library: bm25, dense, hybrid (fusion) and rerank."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from engine.errors import ConfigError
from engine.retrieval.dense import DenseIndex
from engine.retrieval.fusion import FusionConfig, fuse, weights_for
from engine.retrieval.sparse import bm25_search
from engine.retrieval.sparse_index import SparseIndex
from engine.retrieval.store import LibraryStore
from engine.retrieval.types import SEARCH_MODES, SearchFilters, SearchHit

log = logging.getLogger(__name__)


def filter_sql(filters: SearchFilters | None) -> tuple[str, tuple[Any, ...]]:
    """``SELECT id FROM chunks ...`` for the filters ('' when none is set)."""
    if filters is None or not filters.active:
        return "", ()
    where: list[str] = []
    args: list[Any] = []
    if filters.path_glob:
        # a duplicate's path counts too: its content is stored under the first path only
        where.append(
            "(d.path GLOB ? OR EXISTS (SELECT 1 FROM documents d2 WHERE d2.duplicate_of = d.id AND d2.path GLOB ?))"
        )
        args += [filters.path_glob, filters.path_glob]
    if filters.kinds:
        where.append(f"d.kind IN ({', '.join('?' for _ in filters.kinds)})")
        args += list(filters.kinds)
    if filters.modified_after is not None:
        where.append("d.mtime >= ?")
        args.append(filters.modified_after)
    if filters.modified_before is not None:
        where.append("d.mtime < ?")
        args.append(filters.modified_before)
    sql = "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id WHERE " + " AND ".join(where)
    return sql, tuple(args)


class Searcher:
    """Runs queries against a store, its dense index and an embedder (loaded lazily)."""

    def __init__(
        self,
        store: LibraryStore,
        dense: DenseIndex,
        embed_query: Callable[[str], np.ndarray],
        fusion: FusionConfig | None = None,
        sparse: SparseIndex | None = None,
    ) -> None:
        self.store, self.dense, self.embed_query = store, dense, embed_query
        self.fusion = fusion or FusionConfig()
        self.sparse = sparse  # RAM BM25; None (or a query it cannot phrase) uses FTS5

    def bm25(self, query: str, k: int, fsql: str = "", fargs: tuple[Any, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
        """BM25 from the RAM index when there is one, else (or for multi-token words) from FTS5."""
        if self.sparse is not None:
            allowed = self._allowed(fsql, fargs) if fsql else None
            found = self.sparse.search(query, k, allowed)
            if found is not None:
                return found
        return bm25_search(self.store.reader, query, k, allowed_sql=fsql, allowed_args=fargs)

    def _allowed(self, fsql: str, fargs: tuple[Any, ...]) -> np.ndarray:
        rows = self.store.reader.execute(fsql, fargs).fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def candidates(
        self, query: str, mode: str, depth: int, filters: SearchFilters | None = None, fusion: FusionConfig | None = None
    ) -> list[tuple[int, float, dict[str, float]]]:
        """(chunk id, score, per-signal scores) for ``mode`` (not rerank), best first."""
        if mode not in SEARCH_MODES:
            raise ConfigError(f"Unknown search mode {mode!r}; choose one of {', '.join(SEARCH_MODES)}.")
        cfg = fusion or self.fusion
        fsql, fargs = filter_sql(filters)
        lists: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if mode in ("bm25", "hybrid", "rerank"):
            lists["bm25"] = self.bm25(query, max(depth, cfg.depth), fsql, fargs)
        if mode in ("dense", "hybrid", "rerank"):
            allowed = self._allowed(fsql, fargs) if fsql else None
            lists["dense"] = self.dense.search(self.embed_query(query), max(depth, cfg.depth), allowed)
        if len(lists) == 1:
            name, (ids, scores) = next(iter(lists.items()))
            return [(int(i), float(s), {name: float(s)}) for i, s in zip(ids[:depth], scores[:depth], strict=True)]
        return fuse(lists, weights_for(cfg), cfg)[:depth]

    def hits(self, ranked: list[tuple[int, float, dict[str, float]]]) -> list[SearchHit]:
        """Materialise ranked chunk ids as hits (text, document, page ...), keeping the order."""
        if not ranked:
            return []
        ids = [cid for cid, _, _ in ranked]
        rows = {}
        db = self.store.reader
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            sql = (
                "SELECT c.id, c.document_id, d.path, c.text, c.page, c.char_start, c.char_end, c.heading, d.title, d.kind "
                f"FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id IN ({','.join('?' * len(part))})"
            )
            for r in db.execute(sql, part):
                rows[r[0]] = r
        out = []
        for cid, score, signals in ranked:
            r = rows.get(cid)
            if r is None:  # removed between ranking and reading
                continue
            out.append(
                SearchHit(
                    chunk_id=cid, document_id=r[1], path=r[2], text=r[3], score=score, page=r[4], char_start=r[5],
                    char_end=r[6], heading=r[7], title=r[8], kind=r[9], scores=signals,
                )
            )
        return out
