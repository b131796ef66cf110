"""Incremental, resumable ingestion of folders (and of in-memory records such as a BEIR corpus).

For each file: unchanged size+mtime -> skipped without reading; same sha256 -> mtime refreshed; content
already indexed under another path -> recorded as a duplicate (stored once); otherwise parsed in a child
process (time limit, crash isolation), chunked, embedded and written in ONE transaction. Parsed documents
are buffered only until ``flush_chunks`` chunks are waiting, so memory stays bounded whatever the corpus
size, and a kill at any moment loses at most the documents in that buffer (they are redone next run).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.jobs import CancelToken, Progress
from engine.retrieval.chunking import Chunker
from engine.retrieval.embedder import Embedder
from engine.retrieval.parsers import ParseLimits, ParseOutcome
from engine.retrieval.store import LibraryStore
from engine.retrieval.types import Block, Chunk, FileEvent, IngestReport, ParsedDocument

log = logging.getLogger(__name__)

IngestEvent = Progress | FileEvent | IngestReport
_SKIP_DIRS = frozenset({"node_modules", "__pycache__", ".git", ".hg", ".svn", ".venv", "venv", ".tox"})


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """Knobs of one ingestion run."""

    limits: ParseLimits = field(default_factory=ParseLimits)
    flush_chunks: int = 256  # embed when this many chunks wait
    batch_size: int = 32  # embedding batch (bigger batches only raise peak memory on CPU)
    isolate_parsing: bool = True  # child process with a time limit (False: parse in this process)
    retry_failed: bool = False  # re-read files that failed or were skipped last time
    remove_missing: bool = True  # forget files under the ingested folders that no longer exist
    include_hidden: bool = False


def sha256_file(path: Path) -> str:
    """Streaming content hash."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def walk(root: Path, *, include_hidden: bool = False) -> Iterator[Path]:
    """Files under ``root`` (or ``root`` itself), sorted, skipping hidden and tool folders."""
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and (include_hidden or not d.startswith(".")))
        for name in sorted(filenames):
            if include_hidden or not name.startswith("."):
                p = Path(dirpath) / name
                if p.is_file() and not p.is_symlink():
                    yield p


@dataclass(slots=True)
class _Pending:
    path: str
    kind: str
    size: int
    mtime: float
    sha256: str
    doc: ParsedDocument
    chunks: list[Chunk]


class Ingestor:
    """Runs one ingestion into a store with an embedder."""

    def __init__(self, store: LibraryStore, embedder: Embedder, chunker: Chunker, options: IngestOptions) -> None:
        self.store, self.embedder, self.chunker, self.opt = store, embedder, chunker, options
        self.counts: dict[str, int] = dict.fromkeys(
            ("seen", "indexed", "unchanged", "duplicate", "skipped", "failed", "removed", "chunks"), 0
        )
        self._pending: list[_Pending] = []
        self._pending_chunks = 0
        self._pending_sha: dict[str, str] = {}
        self._deferred_dups: list[tuple[str, str, int, float, str]] = []
        self.on_indexed: list[Any] = []  # callbacks(chunk_ids) for RAM indexes

    # ---- events ------------------------------------------------------------------------------------
    def _event(self, path: str, state: str, chunks: int = 0, reason: str = "") -> FileEvent:
        self.counts[state] = self.counts.get(state, 0) + 1
        return FileEvent(path, state, chunks, reason)  # type: ignore[arg-type]

    # ---- files -------------------------------------------------------------------------------------
    def ingest_paths(self, roots: Iterable[Path], cancel: CancelToken | None = None) -> Iterator[IngestEvent]:
        """Ingest every file under ``roots``; yields progress, one FileEvent per file, then the report."""
        from engine.retrieval.parsers.worker import InlineParser, ParseWorker

        started = time.monotonic()
        roots = [Path(r).expanduser().resolve() for r in roots]
        files = [p for r in roots for p in walk(r, include_hidden=self.opt.include_hidden)]
        total = len(files)
        yield Progress(0, total, f"{total} files")
        parser = ParseWorker(self.opt.limits) if self.opt.isolate_parsing else InlineParser(self.opt.limits)
        cancelled = False
        try:
            for i, path in enumerate(files):
                if cancel is not None and cancel.cancelled:
                    cancelled = True
                    break
                self.counts["seen"] += 1
                yield from self._one_file(path, parser)
                yield Progress(i + 1, total, path.name)
            yield from self._flush()
        finally:
            parser.close()
        if not cancelled and self.opt.remove_missing:
            present = {str(p) for p in files}
            for root in roots:
                prefix = str(root) if root.is_file() else str(root) + os.sep
                for stored in self.store.paths(prefix):
                    if stored not in present and not Path(stored).exists():
                        self.store.remove_document(stored)
                        yield self._event(stored, "removed", reason="file no longer exists")
        yield self._report(started, cancelled)

    def _one_file(self, path: Path, parser: Any) -> Iterator[IngestEvent]:
        key = str(path)
        try:
            st = path.stat()
        except FileNotFoundError:
            if self.store.remove_document(key):
                yield self._event(key, "removed", reason="file disappeared")
            return
        known = self.store.stored_file(key)
        retry = self.opt.retry_failed and known is not None and known.status in ("failed", "skipped")
        if known and not retry and known.size == st.st_size and known.mtime == st.st_mtime:
            yield self._event(key, "unchanged")
            return
        try:
            sha = sha256_file(path)
        except FileNotFoundError:
            if self.store.remove_document(key):
                yield self._event(key, "removed", reason="file disappeared")
            return
        except OSError as exc:
            self.store.mark_document(path=key, status="failed", error=f"cannot read: {exc}", size=st.st_size, mtime=st.st_mtime)
            yield self._event(key, "failed", reason=f"cannot read: {exc}")
            return
        if known and not retry and known.sha256 == sha and known.status in ("indexed", "duplicate"):
            self.store.touch(key, st.st_mtime)
            yield self._event(key, "unchanged")
            return
        yield from self._dedupe_or_parse(key, path, st.st_size, st.st_mtime, sha, parser)

    def _dedupe_or_parse(self, key: str, path: Path | None, size: int, mtime: float, sha: str, parser: Any) -> Iterator[IngestEvent]:
        if sha in self._pending_sha and self._pending_sha[sha] != key:
            self._deferred_dups.append((key, sha, size, mtime, ""))
            return
        original = self.store.indexed_with_sha(sha, exclude_path=key)
        if original is not None:
            self.store.mark_document(path=key, status="duplicate", size=size, mtime=mtime, sha256=sha, duplicate_of=original)
            yield self._event(key, "duplicate", reason="same content as an indexed file")
            return
        assert path is not None
        outcome: ParseOutcome = parser.parse(path)
        if outcome.doc is None:
            state = "skipped" if outcome.status == "skipped" else "failed"
            self.store.mark_document(path=key, status=state, error=outcome.reason, kind=outcome.kind, size=size, mtime=mtime, sha256=sha)
            yield self._event(key, state, reason=outcome.reason)
            return
        yield from self._add_pending(key, outcome.doc, size, mtime, sha)

    def _add_pending(self, key: str, doc: ParsedDocument, size: int, mtime: float, sha: str) -> Iterator[IngestEvent]:
        chunks = self.chunker.chunk(doc)
        if not chunks:
            self.store.mark_document(path=key, status="skipped", error="empty (no text)", kind=doc.kind, size=size, mtime=mtime, sha256=sha)
            yield self._event(key, "skipped", reason="empty (no text)")
            return
        self._pending.append(_Pending(key, doc.kind, size, mtime, sha, doc, chunks))
        self._pending_sha[sha] = key
        self._pending_chunks += len(chunks)
        if self._pending_chunks >= self.opt.flush_chunks:
            yield from self._flush()

    def _flush(self) -> Iterator[IngestEvent]:
        if self._pending:
            texts = [_embed_text(p.doc.title, c) for p in self._pending for c in p.chunks]
            vecs = self.embedder.embed(texts, batch_size=self.opt.batch_size)
            at = 0
            for p in self._pending:
                n = len(p.chunks)
                _, ids = self.store.write_document(
                    path=p.path, kind=p.kind, size=p.size, mtime=p.mtime, sha256=p.sha256,
                    title=p.doc.title, pages=p.doc.pages, chunks=p.chunks, embeddings=vecs[at : at + n],
                )
                at += n
                self.counts["chunks"] += n
                for cb in self.on_indexed:
                    cb(ids)
                yield self._event(p.path, "indexed", chunks=n)
            self._pending.clear()
            self._pending_chunks = 0
            self._pending_sha.clear()
        dups, self._deferred_dups = self._deferred_dups, []
        for key, sha, size, mtime, _ in dups:
            original = self.store.indexed_with_sha(sha, exclude_path=key)
            self.store.mark_document(path=key, status="duplicate", size=size, mtime=mtime, sha256=sha, duplicate_of=original)
            yield self._event(key, "duplicate", reason="same content as an indexed file")

    # ---- records -----------------------------------------------------------------------------------
    def ingest_records(
        self, records: Iterable[tuple[str, str, str]], total: int = 0, cancel: CancelToken | None = None
    ) -> Iterator[IngestEvent]:
        """Ingest (id, title, text) records (BEIR corpora, API uploads): the id is stored as the path."""
        started = time.monotonic()
        cancelled = False
        yield Progress(0, total, "records")
        for i, (rid, title, text) in enumerate(records):
            if cancel is not None and cancel.cancelled:
                cancelled = True
                break
            self.counts["seen"] += 1
            body = f"{title}\n\n{text}" if title else text
            sha = hashlib.sha256(body.encode("utf-8")).hexdigest()
            known = self.store.stored_file(rid)
            if known is not None and known.sha256 == sha:
                yield self._event(rid, "unchanged")
            else:
                doc = record_document(title, text)
                if not doc.text.strip():
                    self.store.mark_document(path=rid, status="skipped", error="empty (no text)", kind="record", sha256=sha)
                    yield self._event(rid, "skipped", reason="empty (no text)")
                else:
                    yield from self._add_pending(rid, doc, len(body), 0.0, sha)
            if (i + 1) % 64 == 0:
                yield Progress(i + 1, total, rid)
        yield from self._flush()
        yield self._report(started, cancelled)

    def _report(self, started: float, cancelled: bool) -> IngestReport:
        c = self.counts
        return IngestReport(
            library=self.store.path.stem, seen=c["seen"], indexed=c["indexed"], unchanged=c["unchanged"],
            duplicate=c["duplicate"], skipped=c["skipped"], failed=c["failed"], removed=c["removed"],
            chunks=c["chunks"], seconds=round(time.monotonic() - started, 3), cancelled=cancelled,
        )


def record_document(title: str, text: str) -> ParsedDocument:
    """A parsed document for a (title, text) record: the title is a heading block."""
    title, text = title.strip(), text.strip()
    blocks: list[Block] = []
    parts: list[str] = []
    pos = 0
    if title:
        blocks.append(Block(0, len(title), None, title, "heading"))
        parts.append(title)
        pos = len(title)
    for para in (p for p in text.split("\n\n") if p.strip()):
        if parts:
            parts.append("\n\n")
            pos += 2
        blocks.append(Block(pos, pos + len(para), None, title, "paragraph"))
        parts.append(para)
        pos += len(para)
    return ParsedDocument(text="".join(parts), blocks=tuple(blocks), kind="record", title=title)


def _embed_text(title: str, chunk: Chunk) -> str:
    """What the embedder sees: the chunk, with the document title in front when the chunk lacks it."""
    if title and not chunk.text.startswith(title):
        return f"{title}\n{chunk.text}"
    return chunk.text
