"""``lampwright ingest | search | libraries | eval retrieval``: document libraries from the command line."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from engine.cli import main
from engine.cli._common import echo_json, open_cli_engine

MODES = ("bm25", "dense", "hybrid", "rerank")
RUNTIMES = ("auto", "onnx", "onnx-int8", "torch")


def _date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value).timestamp()
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)") from exc


def _library_options(runtime: str, chunk_size: int | None, overlap: int | None, reranker: str | None) -> dict[str, Any]:
    from engine.retrieval.chunking import ChunkingOptions

    opts: dict[str, Any] = {"runtime": runtime}
    if chunk_size or overlap is not None:
        base = ChunkingOptions()
        opts["chunking"] = ChunkingOptions(size=chunk_size or base.size, overlap=base.overlap if overlap is None else overlap)
    if reranker:
        from engine.retrieval.rerank import CrossEncoderReranker

        opts["reranker"] = CrossEncoderReranker(reranker)
    return opts


def _run_with_bar(events: Iterable[Any], *, quiet: bool, label: str) -> tuple[Any, list[Any]]:
    """Drive an engine generator with a rich progress bar; returns (last event, file events)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from engine.jobs import Progress as JobProgress
    from engine.retrieval.types import FileEvent

    files: list[Any] = []
    last: Any = None
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        TextColumn("{task.fields[item]}"), disable=quiet, transient=True,
    ) as bar:
        task = bar.add_task(label, total=None, item="")
        for ev in events:
            last = ev
            if isinstance(ev, JobProgress):
                bar.update(task, completed=ev.done, total=ev.total or None, item=ev.message[-40:])
            elif isinstance(ev, FileEvent):
                files.append(ev)
                if ev.state in ("failed", "skipped") and not quiet:
                    bar.console.print(f"[yellow]{ev.state}[/] {ev.path}: {ev.reason}")
    return last, files


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--library", "-l", default="default", show_default=True, help="Library name.")
@click.option("--runtime", type=click.Choice(RUNTIMES), default="auto", show_default=True, help="Embedding runtime.")
@click.option("--model", default=None, help="A local sentence-transformers folder (default: packaged MiniLM).")
@click.option("--chunk-size", type=int, default=None, help="Chunk size in tokens.")
@click.option("--overlap", type=int, default=None, help="Chunk overlap in tokens.")
@click.option("--retry-failed", is_flag=True, help="Re-read files that failed or were skipped before.")
@click.option("--max-text-mb", type=float, default=None, help="Size cap for text files.")
@click.option("--time-limit", type=float, default=None, help="Per-file parsing time limit (s).")
@click.option("--flush-chunks", type=int, default=None, hidden=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report (and per-file outcomes) as JSON.")
@click.pass_context
def ingest(
    ctx: click.Context, paths: tuple[str, ...], library: str, runtime: str, model: str | None, chunk_size: int | None,
    overlap: int | None, retry_failed: bool, max_text_mb: float | None, time_limit: float | None,
    flush_chunks: int | None, as_json: bool,
) -> None:
    """Index PATHS (files and folders) into a library; only what changed is re-read."""
    from dataclasses import replace

    from engine.retrieval.ingest import IngestOptions
    from engine.retrieval.parsers import ParseLimits

    eng = open_cli_engine(ctx)
    opts = _library_options(runtime, chunk_size, overlap, None)
    if model:
        opts["model"] = model
    lib = eng.library(library, create=True, **opts)
    limits = ParseLimits()
    if max_text_mb:
        limits = replace(limits, max_text_bytes=int(max_text_mb * 1024 * 1024))
    if time_limit:
        limits = replace(limits, time_limit_s=time_limit)
    options = IngestOptions(limits=limits, retry_failed=retry_failed)
    if flush_chunks:
        options = replace(options, flush_chunks=flush_chunks)
    report, files = _run_with_bar(lib.ingest(paths, options=options), quiet=as_json, label=f"ingest → {library}")
    if as_json:
        echo_json({"report": report.to_dict(), "files": [f.__dict__ if hasattr(f, "__dict__") else _fe(f) for f in files]})
        return
    r = report
    click.echo(
        f"{library}: {r.indexed} indexed ({r.chunks} chunks), {r.unchanged} unchanged, {r.duplicate} duplicates, "
        f"{r.skipped} skipped, {r.failed} failed, {r.removed} removed in {r.seconds:.1f} s"
        + (" (cancelled)" if r.cancelled else "")
    )


def _fe(f: Any) -> dict[str, Any]:
    return {"path": f.path, "state": f.state, "chunks": f.chunks, "reason": f.reason}


@main.command()
@click.argument("query")
@click.option("--library", "-l", default="default", show_default=True)
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("--k", "k", type=int, default=5, show_default=True)
@click.option("--path", "path_glob", default=None, help="Only documents whose path matches this glob.")
@click.option("--type", "kinds", multiple=True, help="Only these kinds (pdf, docx, markdown, html, text, code).")
@click.option("--after", default=None, help="Only documents modified on/after this date (YYYY-MM-DD).")
@click.option("--before", default=None, help="Only documents modified before this date.")
@click.option("--runtime", type=click.Choice(RUNTIMES), default="auto", show_default=True)
@click.option("--reranker", default=None, help="A local cross-encoder folder for --mode rerank.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def search(
    ctx: click.Context, query: str, library: str, mode: str, k: int, path_glob: str | None, kinds: tuple[str, ...],
    after: str | None, before: str | None, runtime: str, reranker: str | None, as_json: bool,
) -> None:
    """Ranked passages of a library for QUERY, with document, page and score."""
    from engine.retrieval.types import SearchFilters

    eng = open_cli_engine(ctx)
    lib = eng.library(library, **_library_options(runtime, None, None, reranker))
    filters = SearchFilters(path_glob=path_glob, kinds=kinds, modified_after=_date(after), modified_before=_date(before))
    t = time.perf_counter()
    hits = lib.search(query, k=k, mode=mode, filters=filters)
    ms = (time.perf_counter() - t) * 1000
    if as_json:
        echo_json({"query": query, "library": library, "mode": mode, "ms": round(ms, 1), "hits": [h.to_dict() for h in hits]})
        return
    if not hits:
        click.echo("No results.")
    for i, h in enumerate(hits, 1):
        where = f"{h.path}" + (f" p.{h.page}" if h.page else "")
        click.secho(f"{i}. {where}  [{h.score:.3f}]", bold=True)
        snippet = " ".join(h.text.split())
        click.echo(f"   {snippet[:300]}{'…' if len(snippet) > 300 else ''}")
    click.secho(f"({len(hits)} results, {mode}, {ms:.0f} ms)", dim=True)


@main.group()
def libraries() -> None:
    """List, inspect, check and delete document libraries."""


@libraries.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def libraries_list(ctx: click.Context, as_json: bool) -> None:
    """Every library with its size."""
    eng = open_cli_engine(ctx)
    rows = [eng.library(n).info().to_dict() for n in eng.libraries()]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No libraries yet. Create one with `lampwright ingest FOLDER --library NAME`.")
    for r in rows:
        click.echo(f"{r['name']:<24} {r['documents']:>7} docs {r['chunks']:>8} chunks  {r['size_bytes'] / 1e6:8.1f} MB")


@libraries.command("info")
@click.argument("name")
@click.option("--documents", is_flag=True, help="Also list documents with their status and error.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def libraries_info(ctx: click.Context, name: str, documents: bool, as_json: bool) -> None:
    """Counts, embedding model and (optionally) per-document status of library NAME."""
    lib = open_cli_engine(ctx).library(name)
    data = lib.info().to_dict()
    if documents:
        data["documents_list"] = [d.__dict__ if hasattr(d, "__dict__") else _doc(d) for d in lib.documents()]
    if as_json:
        echo_json(data)
        return
    for key, value in data.items():
        if key != "documents_list":
            click.echo(f"{key:>16}: {value}")
    for d in data.get("documents_list", []):
        click.echo(f"  {d['status']:<9} {d['path']}" + (f"  ({d['error']})" if d["error"] else ""))


def _doc(d: Any) -> dict[str, Any]:
    return {s: getattr(d, s) for s in d.__slots__}


@libraries.command("check")
@click.argument("name")
@click.pass_context
def libraries_check(ctx: click.Context, name: str) -> None:
    """Integrity of library NAME (SQLite, FTS index, orphan rows)."""
    echo_json(open_cli_engine(ctx).library(name).integrity())


@libraries.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def libraries_delete(ctx: click.Context, name: str, yes: bool) -> None:
    """Delete library NAME (the indexed copy only; your files are untouched)."""
    if not yes:
        click.confirm(f"Delete the library {name!r}?", abort=True)
    open_cli_engine(ctx).delete_library(name)
    click.echo(f"Deleted {name}.")


def _eval_group() -> click.Group:
    existing = main.commands.get("eval")
    if isinstance(existing, click.Group):
        return existing

    @main.group("eval")
    def eval_group() -> None:
        """Measure quality: retrieval on BEIR-format sets, and more."""

    return eval_group


@_eval_group().command("retrieval")
@click.option("--beir", "beir", required=True, type=click.Path(exists=True, file_okay=False), help="BEIR-format folder.")
@click.option("--mode", type=click.Choice((*MODES, "all")), default="hybrid", show_default=True)
@click.option("--split", default="test", show_default=True)
@click.option("--runtime", type=click.Choice(RUNTIMES), default="auto", show_default=True)
@click.option("--fusion", type=click.Choice(("convex", "rrf")), default=None, help="Override the fusion method.")
@click.option("--dense-weight", type=float, default=None, help="Override the convex fusion weight.")
@click.option("--tune", is_flag=True, help="Tune fusion on the train split first (never on the reported split).")
@click.option("--chunk-size", type=int, default=None)
@click.option("--overlap", type=int, default=None)
@click.option("--reranker", default=None, help="A local cross-encoder folder for --mode rerank.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def eval_retrieval(
    ctx: click.Context, beir: str, mode: str, split: str, runtime: str, fusion: str | None, dense_weight: float | None,
    tune: bool, chunk_size: int | None, overlap: int | None, reranker: str | None, as_json: bool,
) -> None:
    """nDCG@10, Recall@10, Recall@100 and MRR@10 of a library built from a BEIR folder."""
    from dataclasses import replace

    from engine.evaluation.retrieval import (
        beir_library_name,
        evaluate_mode,
        ingest_corpus,
        load_split,
        tune_fusion,
    )
    from engine.retrieval.fusion import FusionConfig
    from engine.retrieval.types import IngestReport

    folder = Path(beir)
    eng = open_cli_engine(ctx)
    lib_opts = _library_options(runtime, chunk_size, overlap, reranker)
    name = beir_library_name(folder, runtime, chunk_size or 0)
    lib = eng.library(name, create=True, **lib_opts)
    t0 = time.perf_counter()
    report, _ = _run_with_bar(ingest_corpus(lib, folder), quiet=as_json, label=f"index {folder.name}")
    ingest_s = time.perf_counter() - t0
    cfg = lib.searcher.fusion
    tuned: dict[str, Any] | None = None
    if tune:
        queries, train = load_split(folder, "train")
        out, _ = _run_with_bar(tune_fusion(lib, queries, train), quiet=as_json, label="tune on train")
        cfg = out["best"]
        tuned = {"method": cfg.method, "dense_weight": cfg.dense_weight, "rrf_k": cfg.rrf_k,
                 "train_ndcg@10": max(r["ndcg@10"] for r in out["table"])}
    if fusion:
        cfg = replace(cfg, method=fusion)
    if dense_weight is not None:
        cfg = replace(cfg, dense_weight=dense_weight)
    cfg = FusionConfig(method=cfg.method, dense_weight=cfg.dense_weight, rrf_k=cfg.rrf_k, depth=cfg.depth)
    queries, qrels = load_split(folder, split)
    results = []
    for m in MODES if mode == "all" else (mode,):
        res, _ = _run_with_bar(evaluate_mode(lib, queries, qrels, m, fusion=cfg), quiet=as_json, label=f"eval {m}")
        results.append(res)
    info = lib.info()
    extra = {
        "dataset": folder.name, "split": split, "library": name, "documents": info.documents, "chunks": info.chunks,
        "embedding_runtime": lib.embedder.runtime,
        "ingest_s": round(ingest_s, 1) if isinstance(report, IngestReport) and report.indexed else 0.0,
    }
    if tuned:
        extra["tuned"] = tuned
    if as_json:
        echo_json({**results[0], **extra} if len(results) == 1 else {"results": results, **extra})
        return
    click.echo(f"{folder.name} ({split}, {results[0]['queries']} queries, {info.chunks} chunks)")
    click.echo(f"{'mode':<8} {'ndcg@10':>8} {'recall@10':>10} {'recall@100':>11} {'mrr@10':>7} {'p50 ms':>7} {'p95 ms':>7}")
    for r in results:
        click.echo(
            f"{r['mode']:<8} {r['ndcg@10']:>8.4f} {r['recall@10']:>10.4f} {r['recall@100']:>11.4f} {r['mrr@10']:>7.4f} "
            f"{r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f}"
        )
    if tuned:
        click.echo(f"fusion tuned on train: {tuned}")
