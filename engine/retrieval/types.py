"""Value types of the retrieval engine: parsed documents, chunks, hits, ingest events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: what happened to one file during ingestion
FileState = Literal["indexed", "unchanged", "duplicate", "skipped", "failed", "removed"]
SearchMode = Literal["bm25", "dense", "hybrid", "rerank"]
SEARCH_MODES: tuple[str, ...] = ("bm25", "dense", "hybrid", "rerank")


@dataclass(frozen=True, slots=True)
class Block:
    """A structural unit of a parsed document: a paragraph, heading, table or code block.

    ``start`` and ``end`` are character offsets into :attr:`ParsedDocument.text`.
    """

    start: int
    end: int
    page: int | None = None
    heading: str = ""
    kind: str = "paragraph"  # paragraph | heading | table | code


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """Text extracted from one file, with its structure."""

    text: str
    blocks: tuple[Block, ...]
    kind: str  # pdf | docx | markdown | html | text | code
    title: str = ""
    pages: int = 0


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage ready to embed: text plus where it came from."""

    ordinal: int
    text: str
    char_start: int
    char_end: int
    n_tokens: int
    page: int | None = None
    heading: str = ""


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrict a search to some documents (all fields optional, combined with AND)."""

    path_glob: str | None = None  # e.g. "*/contracts/*" or "*.pdf"
    kinds: tuple[str, ...] = ()  # pdf, docx, markdown, html, text, code, record
    modified_after: float | None = None  # unix time
    modified_before: float | None = None

    @property
    def active(self) -> bool:
        """True when at least one filter is set."""
        return bool(self.path_glob or self.kinds or self.modified_after is not None or self.modified_before is not None)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One ranked passage."""

    chunk_id: int
    document_id: int
    path: str
    text: str
    score: float
    page: int | None = None
    char_start: int = 0
    char_end: int = 0
    heading: str = ""
    title: str = ""
    kind: str = ""
    scores: dict[str, float] = field(default_factory=dict)  # per-signal scores (bm25, dense, fused ...)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {
            "chunk_id": self.chunk_id,
            "document_id": self.document_id,
            "path": self.path,
            "title": self.title,
            "kind": self.kind,
            "page": self.page,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "heading": self.heading,
            "score": round(self.score, 6),
            "scores": {k: round(v, 6) for k, v in self.scores.items()},
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class FileEvent:
    """The outcome for one file (or record) during ingestion."""

    path: str
    state: FileState
    chunks: int = 0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class IngestReport:
    """Totals of one ingestion run."""

    library: str
    seen: int = 0
    indexed: int = 0
    unchanged: int = 0
    duplicate: int = 0
    skipped: int = 0
    failed: int = 0
    removed: int = 0
    chunks: int = 0
    seconds: float = 0.0
    cancelled: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """One row of a library's document table."""

    id: int
    path: str
    kind: str
    size: int
    mtime: float
    status: str
    error: str
    chunks: int
    duplicate_of: int | None = None
    title: str = ""


@dataclass(frozen=True, slots=True)
class LibraryInfo:
    """Summary of a library."""

    name: str
    path: str
    documents: int
    chunks: int
    by_status: dict[str, int]
    embedding_model: str
    dimension: int
    schema_version: int
    size_bytes: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}
