"""Rerankers: re-order the first candidates of a hybrid search with a finer (slower) model.

Two implementations of one protocol: a cross-encoder from a local sentence-transformers folder (for users
who have one; Lampwright never downloads it), and :class:`MaxSimReranker`, which works with the packaged
bi-encoder alone: each candidate is scored by its best-matching sentence (late interaction at sentence
level) blended with the first-stage score. Rerankers are measured apart from first-stage latency.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from engine.errors import ConfigError, MissingDependencyError, ModelLoadError
from engine.retrieval.embedder import Embedder
from engine.retrieval.types import SearchHit

_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])|\n+")


class Reranker(Protocol):
    """Re-orders hits for a query."""

    name: str
    #: how many first-stage candidates it wants
    depth: int

    def rerank(self, query: str, hits: Sequence[SearchHit]) -> list[SearchHit]:
        """The same hits, best first, with ``score`` replaced and the old one kept in ``scores``."""
        ...


def _minmax(x: np.ndarray) -> np.ndarray:
    if not len(x):
        return x
    lo, hi = float(x.min()), float(x.max())
    return np.ones_like(x) if hi - lo < 1e-12 else (x - lo) / (hi - lo)


def _with_scores(hits: Sequence[SearchHit], scores: np.ndarray, extra: dict[str, np.ndarray]) -> list[SearchHit]:
    out = []
    for i, h in enumerate(hits):
        signals = dict(h.scores)
        signals["first_stage"] = h.score
        signals.update({k: float(v[i]) for k, v in extra.items()})
        out.append(replace(h, score=float(scores[i]), scores=signals))
    order = np.argsort(-scores, kind="stable")
    return [out[i] for i in order]


def split_sentences(text: str, *, min_chars: int = 20) -> list[str]:
    """Sentences of a passage; short fragments are merged into their neighbour."""
    parts = [p.strip() for p in _SENT.split(text) if p.strip()]
    merged: list[str] = []
    for p in parts:
        if merged and len(merged[-1]) < min_chars:
            merged[-1] = f"{merged[-1]} {p}"
        else:
            merged.append(p)
    return merged or [text]


class MaxSimReranker:
    """Best-sentence similarity with the packaged bi-encoder, blended with the first-stage score."""

    name = "maxsim"

    def __init__(self, embedder: Embedder, *, depth: int = 30, weight: float = 0.5, cache_size: int = 20_000) -> None:
        self.embedder, self.depth, self.weight = embedder, depth, weight
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def _sentence_vectors(self, hits: Sequence[SearchHit]) -> list[np.ndarray]:
        missing = [h for h in hits if h.chunk_id not in self._cache]
        if missing:
            sents = [split_sentences(h.text) for h in missing]
            flat = [s for ss in sents for s in ss]
            vecs = self.embedder.embed(flat)
            at = 0
            for h, ss in zip(missing, sents, strict=True):
                self._cache[h.chunk_id] = vecs[at : at + len(ss)]
                at += len(ss)
        out = []
        for h in hits:
            self._cache.move_to_end(h.chunk_id)
            out.append(self._cache[h.chunk_id])
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return out

    def rerank(self, query: str, hits: Sequence[SearchHit]) -> list[SearchHit]:  # noqa: D102
        if not hits:
            return []
        q = self.embedder.embed([query])[0]
        maxsim = np.array([float((v @ q).max()) for v in self._sentence_vectors(hits)], dtype=np.float32)
        prior = np.array([h.score for h in hits], dtype=np.float32)
        scores = self.weight * _minmax(maxsim) + (1 - self.weight) * _minmax(prior)
        return _with_scores(hits, scores, {"maxsim": maxsim})


class PrfReranker:
    """Pseudo-relevance feedback in embedding space, with no model call beyond the query's embedding.

    The query vector is moved towards the mean of the top ``feedback`` first-stage chunks (Rocchio), and
    every candidate is re-scored by its cosine to that vector, blended with the first-stage score. Chunk
    vectors come from the RAM index, so this costs one small matrix product per query.
    """

    name = "prf"

    def __init__(
        self,
        embed_query: Callable[[str], np.ndarray],
        vectors: Callable[[np.ndarray], np.ndarray],
        *,
        depth: int = 100,
        feedback: int = 3,
        beta: float = 0.5,
        weight: float = 0.5,
    ) -> None:
        self.embed_query, self.vectors = embed_query, vectors
        self.depth, self.feedback, self.beta, self.weight = depth, feedback, beta, weight

    def rerank(self, query: str, hits: Sequence[SearchHit]) -> list[SearchHit]:  # noqa: D102
        if not hits:
            return []
        vecs = self.vectors(np.array([h.chunk_id for h in hits], dtype=np.int64))
        q = self.embed_query(query)
        q2 = q + self.beta * vecs[: self.feedback].mean(axis=0)
        q2 /= max(float(np.linalg.norm(q2)), 1e-12)
        prf = vecs @ q2
        prior = np.array([h.score for h in hits], dtype=np.float32)
        scores = self.weight * _minmax(prf) + (1 - self.weight) * _minmax(prior)
        return _with_scores(hits, scores, {"prf": prf})


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder loaded from a local folder (torch)."""

    def __init__(self, folder: str | Path, *, depth: int = 30, batch_size: int = 16) -> None:
        self.folder = Path(folder).expanduser()
        if not (self.folder / "config.json").exists():
            raise ConfigError(f"{folder} is not a local cross-encoder folder (no config.json).")
        self.name = f"cross-encoder:{self.folder.name}"
        self.depth, self.batch_size = depth, batch_size
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import CrossEncoder
            except ImportError as exc:
                raise MissingDependencyError("The cross-encoder needs sentence-transformers.") from exc
            try:
                self._model = CrossEncoder(str(self.folder), device="cpu", local_files_only=True)
            except Exception as exc:
                raise ModelLoadError(f"Cannot load the cross-encoder in {self.folder}: {exc}") from exc
        return self._model

    def rerank(self, query: str, hits: Sequence[SearchHit]) -> list[SearchHit]:  # noqa: D102
        if not hits:
            return []
        pairs = [(query, h.text) for h in hits]
        scores = np.asarray(self._load().predict(pairs, batch_size=self.batch_size, show_progress_bar=False), dtype=np.float32)
        if scores.ndim > 1:
            scores = scores[:, -1]
        return _with_scores(hits, scores, {"cross_encoder": scores})
