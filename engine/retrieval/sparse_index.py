"""A RAM-resident BM25 index over a library's chunks, scored exactly like the FTS5 ``bm25()`` we ship.

FTS5 stays the store of record (and the fallback); its OR query ranks every chunk matching any query term,
which took ~300 ms per query at 100k chunks. Here each chunk is tokenised once with FTS5's own tokenizer
(``porter unicode61 remove_diacritics 2``, through apsw), term frequencies are kept as term -> chunk
postings (weighted: text 1.0, heading 0.5, as in ``bm25(chunks_fts, 1.0, 0.5)``) with each chunk's length,
and BM25 is computed at query time from a few postings lists, so IDF and average length stay exact as the
library changes. Sync is incremental like :class:`engine.retrieval.dense.DenseIndex`: chunk ids only grow,
so new chunks are those above the highest id loaded (appended as a new segment, segments merged now and
then) and removed chunks are masked out (a rebuild happens when many are dead).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import apsw
import numpy as np

from engine.retrieval.sparse import _WORD, STOPWORDS
from engine.retrieval.store import LibraryStore

log = logging.getLogger(__name__)

K1, B = 1.2, 0.75  # FTS5's bm25() constants
TEXT_WEIGHT, HEADING_WEIGHT = 1.0, 0.5  # the column weights of sparse.bm25_search
_MAX_SEGMENTS = 8
_DEAD_REBUILD = 0.25  # rebuild when this fraction of loaded chunks was removed


@dataclass(frozen=True)
class _Segment:
    """Postings of a run of chunks: ``pos[ptr[t]:ptr[t+1]]`` are the chunks (positions) holding term ``t``."""

    ptr: np.ndarray  # int64, len = vocabulary size when built + 1
    pos: np.ndarray  # int32 positions into SparseIndex.ids
    tf: np.ndarray  # float32 weighted term frequency

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        if term + 1 >= len(self.ptr):
            return self.pos[:0], self.tf[:0]
        a, b = int(self.ptr[term]), int(self.ptr[term + 1])
        return self.pos[a:b], self.tf[a:b]


def _postings(terms: np.ndarray, pos: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, ...]:
    """Unique (term, position, summed weight) triples, ordered by term then position."""
    if not len(terms):
        return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32)
    lo = int(pos.min())
    span = int(pos.max()) - lo + 1
    keys = terms.astype(np.int64) * span + (pos - lo)
    uniq, inverse = np.unique(keys, return_inverse=True)
    tf = np.bincount(inverse, weights=weights).astype(np.float32)
    return (uniq // span).astype(np.int32), (uniq % span + lo).astype(np.int32), tf


def _segment(parts: Sequence[tuple[np.ndarray, ...]], vocab_size: int) -> _Segment:
    """A segment from batches of :func:`_postings` triples (positions ascending from batch to batch)."""
    terms = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int32)
    order = np.argsort(terms, kind="stable")  # term-major, positions stay ascending within a term
    ptr = np.zeros(vocab_size + 1, dtype=np.int64)
    np.cumsum(np.bincount(terms, minlength=vocab_size), out=ptr[1:])
    pos = np.concatenate([p[1] for p in parts])[order] if parts else np.zeros(0, np.int32)
    tf = np.concatenate([p[2] for p in parts])[order] if parts else np.zeros(0, np.float32)
    return _Segment(ptr, pos, tf)


class SparseIndex:
    """BM25 over RAM postings; :meth:`search` returns ``None`` for queries it leaves to FTS5."""

    def __init__(self, store: LibraryStore, batch: int = 2048) -> None:
        self.store = store
        self.batch = batch
        self._lock = threading.Lock()
        self._tok: Any = None
        self._reset()

    def _reset(self) -> None:
        self.ids = np.zeros(0, dtype=np.int64)
        self.alive = np.zeros(0, dtype=bool)
        self.lengths = np.zeros(0, dtype=np.float64)
        self.vocab: dict[str, int] = {}
        self.segments: list[_Segment] = []
        self._version: int | None = None

    def __len__(self) -> int:
        return int(self.alive.sum())

    def _tokenize(self, text: str, reason: int) -> list[str]:
        if self._tok is None:
            self._tok = self.store.reader.fts5_tokenizer("porter", ["unicode61", "remove_diacritics", "2"])
        return list(self._tok(text.encode("utf-8"), reason, None, include_offsets=False, include_colocated=False))

    # ---- sync --------------------------------------------------------------------------------------
    def sync(self, *, force: bool = False) -> None:
        """Pick up chunks added or removed since the last sync (cheap when nothing changed)."""
        with self._lock:
            version = self.store.data_version()
            if not force and version == self._version:
                return
            if len(self.ids):
                alive = np.isin(self.ids, self.store.chunk_ids(), assume_unique=True)
                if (~alive).sum() > _DEAD_REBUILD * len(alive):
                    log.debug("sparse index: rebuilding (%d of %d chunks removed)", (~alive).sum(), len(alive))
                    self._reset()
                else:
                    self.alive = alive
            self._load_after(int(self.ids[-1]) if len(self.ids) else 0)
            if len(self.segments) > _MAX_SEGMENTS:
                self._merge()
            self._version = version
            log.debug("sparse index: %d chunks, %d terms", len(self.ids), len(self.vocab))

    def _load_after(self, after: int) -> None:
        vocab = self.vocab
        doc = apsw.FTS5_TOKENIZE_DOCUMENT
        ids: list[int] = []
        lengths: list[int] = []
        parts: list[tuple[np.ndarray, ...]] = []
        base = len(self.ids)
        last = after
        while True:
            rows = self.store.reader.execute(
                "SELECT id, text, heading FROM chunks WHERE id > ? ORDER BY id LIMIT ?", (last, self.batch)
            ).fetchall()
            if not rows:
                break
            terms: list[int] = []
            pos: list[int] = []
            weights: list[float] = []
            for cid, text, heading in rows:
                p = base + len(ids)
                body = self._tokenize(text, doc)
                head = self._tokenize(heading, doc) if heading else []
                ids.append(cid)
                lengths.append(len(body) + len(head))
                terms.extend([vocab.setdefault(t, len(vocab)) for t in body])
                terms.extend([vocab.setdefault(t, len(vocab)) for t in head])
                pos.extend([p] * (len(body) + len(head)))
                weights.extend([TEXT_WEIGHT] * len(body))
                weights.extend([HEADING_WEIGHT] * len(head))
            # compact each batch at once: Python lists of every token of 100k chunks would take ~1 GB
            parts.append(_postings(np.asarray(terms, np.int64), np.asarray(pos, np.int64), np.asarray(weights)))
            last = rows[-1][0]
        if not ids:
            return
        self.segments = [*self.segments, _segment(parts, len(vocab))]
        self.ids = np.concatenate([self.ids, np.asarray(ids, dtype=np.int64)])
        self.alive = np.concatenate([self.alive, np.ones(len(ids), dtype=bool)])
        self.lengths = np.concatenate([self.lengths, np.asarray(lengths, dtype=np.float64)])

    def _merge(self) -> None:
        parts = [
            (np.repeat(np.arange(len(seg.ptr) - 1, dtype=np.int32), np.diff(seg.ptr)), seg.pos, seg.tf)
            for seg in self.segments  # in position order: each segment holds later chunks than the one before
        ]
        self.segments = [_segment(parts, len(self.vocab))]

    # ---- search ------------------------------------------------------------------------------------
    def query_terms(self, query: str) -> list[str] | None:
        """The query's terms as :func:`engine.retrieval.sparse.fts_query` phrases them (``None``: multi-token)."""
        words = [w.lower() for w in _WORD.findall(query)]
        kept = [w for w in words if w not in STOPWORDS] or words
        out = []
        for w in dict.fromkeys(kept):
            toks = self._tokenize(w, apsw.FTS5_TOKENIZE_QUERY)
            if len(toks) != 1:  # a phrase of several tokens (or none): FTS5 handles it
                return None
            out.append(toks[0])
        return out

    def search(
        self, query: str, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """(chunk ids, BM25 scores, best first) as FTS5 ``bm25()`` ranks them; ``None`` to fall back to FTS5."""
        self.sync()
        terms = self.query_terms(query)
        if terms is None:
            return None
        with self._lock:  # one consistent snapshot (sync replaces arrays, never edits them)
            ids, alive, lengths, segments = self.ids, self.alive, self.lengths, self.segments
        empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        n = int(alive.sum())
        if not terms or not n or k <= 0:
            return empty
        avgdl = float(lengths[alive].sum()) / n
        scores = np.zeros(len(ids), dtype=np.float64)
        hit = np.zeros(len(ids), dtype=bool)
        for term in terms:
            t = self.vocab.get(term)
            if t is None:
                continue
            parts = [seg.postings(t) for seg in segments]
            pos = np.concatenate([p for p, _ in parts])
            tf = np.concatenate([f for _, f in parts]).astype(np.float64)
            keep = alive[pos]
            if not keep.all():
                pos, tf = pos[keep], tf[keep]
            if not len(pos):
                continue
            idf = math.log((n - len(pos) + 0.5) / (len(pos) + 0.5))
            idf = idf if idf > 0 else 1e-6
            scores[pos] += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[pos] / avgdl))
            hit[pos] = True
        cand = np.flatnonzero(hit)
        if allowed is not None and len(cand):
            cand = cand[np.isin(ids[cand], allowed)]
        if not len(cand):
            return empty
        s = scores[cand]
        if k < len(cand):
            top = np.argpartition(-s, k - 1)[:k]
            cand, s = cand[top], s[top]
        order = np.argsort(-s, kind="stable")
        return ids[cand[order]], s[order].astype(np.float32)
