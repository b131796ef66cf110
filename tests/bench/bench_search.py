"""Search latency per mode at 10k and 100k chunks, plus the sparse back-ends we chose between.

    lampwright bench search [--json] [--sizes 10000,100000] [--queries 100] [--beir DIR]

Libraries of the requested sizes are synthesised in ``.bench/`` from the BEIR corpus text (cycled, so
FTS5 sees real term statistics) with unit vectors: from the SciFact evaluation library when it exists in
the Lampwright home (cycled with a little noise), random otherwise. Quality is not measured here (see
`lampwright eval retrieval`); latency is end to end per query (query embedding on ONNX Runtime included),
first-stage only: the reranker is reported apart. Also compared on the same chunks: sqlite-vec's vec0 KNN
vs the RAM matrix, and rank-bm25 / bm25s / FTS5 for sparse search (build time and query latency).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BEIR = REPO.parent / "shared" / "eval" / "scifact"


def _pct(xs: list[float]) -> dict[str, float]:
    a = np.asarray(xs) * 1000
    return {"p50_ms": round(float(np.percentile(a, 50)), 2), "p95_ms": round(float(np.percentile(a, 95)), 2)}


def _source_vectors(dim: int) -> np.ndarray | None:
    from engine.retrieval.store import connect
    from engine.settings import default_home

    libs = sorted((default_home() / "libraries").glob("beir-scifact-*.sqlite"))
    for path in libs:
        if "int8" in path.name:
            continue
        db = connect(path)
        rows = db.execute("SELECT embedding FROM chunk_vecs").fetchall()
        db.close()
        if len(rows) > 1000:
            return np.frombuffer(b"".join(r[0] for r in rows), dtype=np.float32).reshape(len(rows), dim)
    return None


def build(path: Path, size: int, beir: Path, embedder) -> None:
    """A library of ``size`` chunks, 8 chunks per document."""
    from engine.evaluation.beir import iter_corpus
    from engine.retrieval.library import Library
    from engine.retrieval.types import Chunk

    texts = [f"{t}. {x}"[:1200] for _, t, x in iter_corpus(beir)]
    rng = np.random.default_rng(0)
    src = _source_vectors(embedder.dim)
    lib = Library(path, embedder=embedder)
    per_doc = 8
    for d in range(size // per_doc):
        chunks, vecs = [], []
        for j in range(per_doc):
            i = d * per_doc + j
            text = texts[i % len(texts)] + (f" (copy {i // len(texts)})" if i >= len(texts) else "")
            chunks.append(Chunk(j, text, 0, len(text), len(text) // 4))
            if src is not None:
                v = src[i % len(src)] + (rng.normal(0, 0.02, src.shape[1]) if i >= len(src) else 0)
            else:
                v = rng.normal(size=embedder.dim)
            vecs.append(v / np.linalg.norm(v))
        lib.store.write_document(path=f"synthetic/{d}", kind="record", size=0, mtime=0.0, sha256=str(d), title="",
                                 pages=0, chunks=chunks, embeddings=np.asarray(vecs, dtype=np.float32))
    lib.store.optimize()
    lib.close()


def bench_size(size: int, queries: list[str], beir: Path, embedder, out_dir: Path, rerank_queries: int) -> dict:
    from engine.retrieval.library import Library

    path = out_dir / f"search-{size}.sqlite"
    if not path.exists():
        t = time.perf_counter()
        build(path, size, beir, embedder)
        print(f"built {size} chunks in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    lib = Library(path, embedder=embedder)
    t = time.perf_counter()
    lib.dense.sync()
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    lib.sparse.sync()
    sparse_s = time.perf_counter() - t
    lib.warm()
    postings = sum(len(s.pos) for s in lib.sparse.segments)
    res: dict = {"chunks": lib.info().chunks, "ram_index_load_s": round(load_s, 2),
                 "ram_index_mb": round(lib.dense.mat.nbytes / 1e6, 1),
                 "bm25_index_build_s": round(sparse_s, 2), "bm25_index_mb": round(postings * 8 / 1e6, 1)}
    for mode in ("bm25", "dense", "hybrid"):
        lat = []
        for q in queries:
            t = time.perf_counter()
            lib.search(q, k=10, mode=mode)
            lat.append(time.perf_counter() - t)
        res[mode] = _pct(lat)
    # components: query embedding alone, sqlite-vec KNN for the same queries
    lat_e, lat_v = [], []
    for q in queries[:30]:
        t = time.perf_counter()
        v = embedder.embed([q])[0]
        lat_e.append(time.perf_counter() - t)
        t = time.perf_counter()
        lib.store.reader.execute(
            "SELECT rowid, distance FROM chunk_vecs WHERE embedding MATCH ? AND k = 10", (v.astype(np.float32).tobytes(),)
        ).fetchall()
        lat_v.append(time.perf_counter() - t)
    res["query_embedding"] = _pct(lat_e)
    res["sqlite_vec_knn"] = _pct(lat_v)
    if rerank_queries:
        lat = []
        for q in queries[:rerank_queries]:
            t = time.perf_counter()
            lib.search(q, k=10, mode="rerank")
            lat.append(time.perf_counter() - t)
        res["rerank"] = _pct(lat)
    lib.close()
    return res


def sparse_compare(beir: Path, queries: list[str], limit: int) -> dict:
    """rank-bm25 vs bm25s vs FTS5 on the first ``limit`` corpus documents."""
    import re

    from engine.evaluation.beir import iter_corpus
    from engine.retrieval.sparse import STOPWORDS

    docs = [f"{t} {x}" for (_, t, x), _ in zip(iter_corpus(beir), range(limit), strict=False)]
    tokenize = lambda s: [w for w in re.findall(r"\w+", s.lower()) if w not in STOPWORDS]  # noqa: E731
    out: dict = {"documents": len(docs)}
    try:
        from rank_bm25 import BM25Okapi

        t = time.perf_counter()
        bm = BM25Okapi([tokenize(d) for d in docs])
        build_s = time.perf_counter() - t
        lat = []
        for q in queries:
            t = time.perf_counter()
            s = bm.get_scores(tokenize(q))
            np.argpartition(-s, 10)[:10]
            lat.append(time.perf_counter() - t)
        out["rank_bm25"] = {"build_s": round(build_s, 2), **_pct(lat), "persistent": False, "incremental": False}
    except ImportError:
        out["rank_bm25"] = "not installed"
    try:
        import bm25s

        t = time.perf_counter()
        retriever = bm25s.BM25()
        retriever.index(bm25s.tokenize(docs, stopwords="en", show_progress=False), show_progress=False)
        build_s = time.perf_counter() - t
        lat = []
        for q in queries:
            t = time.perf_counter()
            retriever.retrieve(bm25s.tokenize([q], stopwords="en", show_progress=False), k=10, show_progress=False)
            lat.append(time.perf_counter() - t)
        out["bm25s"] = {"build_s": round(build_s, 2), **_pct(lat), "persistent": "save/load whole index",
                        "incremental": False}
    except ImportError:
        out["bm25s"] = "not installed"
    import apsw

    from engine.retrieval.sparse import fts_query

    db = apsw.Connection(":memory:")
    t = time.perf_counter()
    db.execute("CREATE VIRTUAL TABLE f USING fts5(text, tokenize='porter unicode61 remove_diacritics 2')")
    with db:
        for d in docs:
            db.execute("INSERT INTO f(text) VALUES (?)", (d,))
    build_s = time.perf_counter() - t
    lat = []
    for q in queries:
        t = time.perf_counter()
        db.execute("SELECT rowid FROM f WHERE f MATCH ? ORDER BY bm25(f) LIMIT 10", (fts_query(q),)).fetchall()
        lat.append(time.perf_counter() - t)
    out["fts5"] = {"build_s": round(build_s, 2), **_pct(lat), "persistent": True, "incremental": True}
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="lampwright bench search", description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--rerank-queries", type=int, default=10, help="queries timed in rerank mode (0: skip)")
    ap.add_argument("--beir", type=Path, default=DEFAULT_BEIR)
    ap.add_argument("--out", type=Path, default=REPO / ".bench")
    args = ap.parse_args(argv)
    from engine.evaluation.beir import load_qrels, load_queries
    from engine.retrieval.embedder import open_embedder

    qs = load_queries(args.beir)
    queries = [qs[q] for q in load_qrels(args.beir, "test") if q in qs][: args.queries]
    embedder = open_embedder()
    args.out.mkdir(parents=True, exist_ok=True)
    result: dict = {"queries": len(queries), "embedding_runtime": embedder.runtime, "sizes": {}}
    for size in (int(s) for s in args.sizes.split(",")):
        result["sizes"][str(size)] = bench_size(size, queries, args.beir, embedder, args.out, args.rerank_queries)
    result["sparse_backends"] = sparse_compare(args.beir, queries, 10_000)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{'chunks':>8} {'mode':<16} {'p50 ms':>8} {'p95 ms':>8}")
    for size, res in result["sizes"].items():
        for mode in ("bm25", "dense", "hybrid", "query_embedding", "sqlite_vec_knn", "rerank"):
            if mode in res:
                print(f"{size:>8} {mode:<16} {res[mode]['p50_ms']:>8.1f} {res[mode]['p95_ms']:>8.1f}")
    print("sparse back-ends on", result["sparse_backends"]["documents"], "documents:")
    for name in ("rank_bm25", "bm25s", "fts5"):
        r = result["sparse_backends"][name]
        print(f"  {name:<10} {r if isinstance(r, str) else json.dumps(r)}")
    return 0
