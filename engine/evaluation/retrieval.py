"""Retrieval quality of a library on a BEIR-format set: nDCG@10, Recall@10/100, MRR@10 and latency.

The corpus is ingested once into a library named after it (``beir-<folder>-<hash>``), so evaluating
several modes re-embeds nothing, and an interrupted ingestion resumes. Fusion weights are tuned on the
``train`` split only, never on the split that is reported.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.evaluation.beir import corpus_fingerprint, corpus_size, iter_corpus, load_qrels, load_queries
from engine.evaluation.metrics import evaluate_run
from engine.jobs import CancelToken, Progress
from engine.retrieval.fusion import FusionConfig, fuse, weights_for
from engine.retrieval.library import Library
from engine.retrieval.types import IngestReport, SearchHit

log = logging.getLogger(__name__)
CONVEX_GRID = tuple(i / 20 for i in range(21))


def beir_library_name(folder: Path, runtime: str = "auto", chunk_size: int = 0) -> str:
    """Name of the cached library holding a BEIR corpus."""
    suffix = "-int8" if runtime == "onnx-int8" else ""
    size = f"-c{chunk_size}" if chunk_size else ""
    return f"beir-{folder.resolve().name}-{corpus_fingerprint(folder)}{size}{suffix}"


def ingest_corpus(lib: Library, folder: Path, cancel: CancelToken | None = None) -> Iterator[Progress | IngestReport]:
    """Ingest (or finish ingesting) a BEIR corpus into ``lib``."""
    total = corpus_size(folder)
    for ev in lib.ingest_records(iter_corpus(folder), total=total, cancel=cancel):
        if isinstance(ev, Progress | IngestReport):
            yield ev


def doc_ranking(hits: Sequence[SearchHit], limit: int = 100) -> list[str]:
    """Document ids (paths) in order of their best chunk."""
    seen: dict[str, None] = {}
    for h in hits:
        if h.path not in seen:
            seen[h.path] = None
            if len(seen) >= limit:
                break
    return list(seen)


def evaluate_mode(
    lib: Library,
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
    mode: str,
    *,
    fusion: FusionConfig | None = None,
    depth: int = 200,
    cancel: CancelToken | None = None,
) -> Iterator[Progress | dict[str, Any]]:
    """Search every judged query; yields progress, then the metrics dict (with latency percentiles)."""
    run: dict[str, list[str]] = {}
    latencies: list[float] = []
    qids = [q for q in qrels if q in queries]
    lib.warm()
    for i, qid in enumerate(qids):
        if cancel is not None:
            cancel.raise_if_cancelled()
        t = time.perf_counter()
        hits = lib.search(queries[qid], k=depth, mode=mode, fusion=fusion)
        latencies.append(time.perf_counter() - t)
        run[qid] = doc_ranking(hits)
        if (i + 1) % 20 == 0:
            yield Progress(i + 1, len(qids), mode)
    metrics: dict[str, Any] = dict(evaluate_run(run, qrels))
    lat = np.asarray(latencies) * 1000
    metrics.update(
        mode=mode,
        p50_ms=round(float(np.percentile(lat, 50)), 2) if len(lat) else 0.0,
        p95_ms=round(float(np.percentile(lat, 95)), 2) if len(lat) else 0.0,
    )
    if fusion is not None and mode in ("hybrid", "rerank"):
        metrics["fusion"] = {"method": fusion.method, "dense_weight": fusion.dense_weight, "rrf_k": fusion.rrf_k}
    yield metrics


def tune_fusion(
    lib: Library,
    queries: dict[str, str],
    qrels_train: dict[str, dict[str, int]],
    *,
    weights: Sequence[float] = CONVEX_GRID,
    depth: int = 100,
    cancel: CancelToken | None = None,
) -> Iterator[Progress | dict[str, Any]]:
    """Pick the fusion (convex weight or RRF) with the best nDCG@10 on the train split.

    Both first-stage lists are computed once per query; each candidate fusion only re-fuses them.
    Yields progress, then ``{"best": FusionConfig, "table": [...]}``.
    """
    qids = [q for q in qrels_train if q in queries]
    lists: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    lib.warm()
    s = lib.searcher
    for i, qid in enumerate(qids):
        if cancel is not None:
            cancel.raise_if_cancelled()
        bm = s.candidates(queries[qid], "bm25", depth)
        de = s.candidates(queries[qid], "dense", depth)
        lists[qid] = {
            "bm25": (np.array([c for c, _, _ in bm], dtype=np.int64), np.array([x for _, x, _ in bm], dtype=np.float32)),
            "dense": (np.array([c for c, _, _ in de], dtype=np.int64), np.array([x for _, x, _ in de], dtype=np.float32)),
        }
        if (i + 1) % 50 == 0:
            yield Progress(i + 1, len(qids), "train queries")
    doc_of = _chunk_documents(lib)
    configs = [FusionConfig(method="convex", dense_weight=w, depth=depth) for w in weights]
    configs += [FusionConfig(method="rrf", rrf_k=k, depth=depth) for k in (10, 30, 60)]
    table: list[dict[str, Any]] = []
    for cfg in configs:
        run = {}
        for qid, ls in lists.items():
            fused = fuse(ls, weights_for(cfg), cfg)
            ranked: dict[str, None] = {}
            for cid, _, _ in fused:
                ranked.setdefault(doc_of.get(cid, ""), None)
            run[qid] = list(ranked)[:100]
        m = evaluate_run(run, qrels_train)
        table.append({"method": cfg.method, "dense_weight": cfg.dense_weight, "rrf_k": cfg.rrf_k, **m})
    best_row = max(table, key=lambda r: r["ndcg@10"])
    best = FusionConfig(
        method=best_row["method"], dense_weight=best_row["dense_weight"], rrf_k=best_row["rrf_k"], depth=depth
    )
    yield {"best": best, "table": table}


def _chunk_documents(lib: Library) -> dict[int, str]:
    rows = lib.store.reader.execute("SELECT c.id, d.path FROM chunks c JOIN documents d ON d.id = c.document_id")
    return {int(cid): str(path) for cid, path in rows}


def load_split(folder: Path, split: str) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Queries and qrels of one split."""
    return load_queries(folder), load_qrels(folder, split)


__all__ = ["beir_library_name", "evaluate_mode", "ingest_corpus", "load_split", "tune_fusion"]
