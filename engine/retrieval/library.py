"""A document library: the facade over store, embedder, chunker, ingestion and search."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import ConfigError, LibraryError, NotFoundError
from engine.jobs import CancelToken
from engine.retrieval.chunking import Chunker, ChunkingOptions
from engine.retrieval.dense import DenseIndex
from engine.retrieval.embedder import PACKAGED_MODEL, Embedder, open_embedder, resolve_model_dir
from engine.retrieval.embedder import _dimension as dimension_of
from engine.retrieval.fusion import FusionConfig
from engine.retrieval.ingest import IngestEvent, IngestOptions, Ingestor
from engine.retrieval.rerank import Reranker
from engine.retrieval.search import Searcher
from engine.retrieval.sparse_index import SparseIndex
from engine.retrieval.store import LibraryStore
from engine.retrieval.types import DocumentInfo, LibraryInfo, SearchFilters, SearchHit

log = logging.getLogger(__name__)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_name(name: str) -> str:
    """Library names become file names: letters, digits, '-', '_', '.'."""
    if not _NAME.match(name):
        raise ConfigError(f"Invalid library name {name!r}: use letters, digits, '-', '_' or '.' (max 64).")
    return name


class Library:
    """One library file, opened for ingestion and search. Thread-safe for one writer plus readers."""

    def __init__(
        self,
        path: Path,
        *,
        model: str | None = None,
        runtime: str = "auto",
        embedder: Embedder | None = None,
        chunking: ChunkingOptions | None = None,
        fusion: FusionConfig | None = None,
        reranker: Reranker | None = None,
        create: bool = True,
    ) -> None:
        self.path = Path(path)
        self.name = self.path.stem
        if not create and not self.path.exists():
            raise NotFoundError(f"No library named {self.name!r}. Create it with `lampwright ingest FOLDER --library {self.name}`.")
        if embedder is not None:
            model_name, dim = embedder.name, embedder.dim
            self._model_spec: str | None = model
        else:
            folder, model_name = resolve_model_dir(model)
            dim = dimension_of(folder)
            self._model_spec = None if model_name == PACKAGED_MODEL else str(folder)
        self.store = LibraryStore(self.path, dim=dim, model=model_name)
        if self.store.get_meta("embedding_model_path") is None and self._model_spec:
            with self.store.db:
                self.store.set_meta("embedding_model_path", self._model_spec)
        if embedder is None and self.store.model != model_name and model is None:
            # an existing library made with another model: use the one it records
            self._model_spec = self.store.get_meta("embedding_model_path")
            model_name = self.store.model
        self.store.raise_if_model_differs(model_name, dim if embedder is not None else self.store.dim)
        recorded = self.store.get_meta("embedding_runtime")
        # "auto" follows the runtime the library was built with: int8 and fp32 vectors should not mix
        self.runtime = recorded if runtime == "auto" and recorded else runtime
        self._embedder = embedder
        self._embed_lock = threading.Lock()
        self.chunking = chunking or ChunkingOptions()
        self.dense = DenseIndex(self.store)
        self.sparse = SparseIndex(self.store)
        self.searcher = Searcher(self.store, self.dense, self.embed_query, fusion, self.sparse)
        self.reranker = reranker

    # ---- embedder ----------------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        """The embedder (loaded on first use)."""
        with self._embed_lock:
            if self._embedder is None:
                self._embedder = open_embedder(self._model_spec, self.runtime)
                self.store.raise_if_model_differs(self._embedder.name, self._embedder.dim)
            return self._embedder

    def embed_query(self, text: str) -> np.ndarray:
        """The query's vector."""
        return self.embedder.embed([text])[0]

    # ---- ingestion ---------------------------------------------------------------------------------
    def _ingestor(self, options: IngestOptions | None) -> Ingestor:
        chunker = Chunker(self.embedder.tokenizer(), self.chunking)
        ing = Ingestor(self.store, self.embedder, chunker, options or IngestOptions())
        return ing

    def ingest(
        self, paths: Iterable[str | Path], *, options: IngestOptions | None = None, cancel: CancelToken | None = None
    ) -> Iterator[IngestEvent]:
        """Index files and folders incrementally (see :mod:`engine.retrieval.ingest`)."""
        with _IngestLock(self.path):
            self.store.set_meta_if_missing("embedding_runtime", self.embedder.runtime)
            yield from self._ingestor(options).ingest_paths([Path(p) for p in paths], cancel)
            self.store.optimize_if_needed()

    def ingest_records(
        self,
        records: Iterable[tuple[str, str, str]],
        *,
        total: int = 0,
        options: IngestOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[IngestEvent]:
        """Index (id, title, text) records; the id stands in for a path."""
        with _IngestLock(self.path):
            self.store.set_meta_if_missing("embedding_runtime", self.embedder.runtime)
            yield from self._ingestor(options).ingest_records(records, total, cancel)
            self.store.optimize_if_needed()

    def remove(self, path: str) -> bool:
        """Forget one document."""
        return self.store.remove_document(path)

    # ---- search ------------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        k: int = 10,
        mode: str = "hybrid",
        filters: SearchFilters | None = None,
        fusion: FusionConfig | None = None,
    ) -> list[SearchHit]:
        """The ``k`` best passages for ``query``."""
        if not query.strip():
            return []
        if mode == "rerank":
            reranker = self.reranker or self._default_reranker()
            ranked = self.searcher.candidates(query, "hybrid", max(k, reranker.depth), filters, fusion)
            hits = self.searcher.hits(ranked)
            head = reranker.rerank(query, hits[: reranker.depth])
            return (head + hits[reranker.depth :])[:k]
        return self.searcher.hits(self.searcher.candidates(query, mode, k, filters, fusion))

    def _default_reranker(self) -> Reranker:
        from engine.retrieval.rerank import PrfReranker

        self.reranker = PrfReranker(self.embed_query, self.dense.vectors)
        return self.reranker

    def warm(self) -> None:
        """Load the embedder and the RAM index now (first search is then fast)."""
        self.embedder.embed(["warm up"])
        self.dense.sync()
        self.sparse.sync()

    # ---- info --------------------------------------------------------------------------------------
    def info(self) -> LibraryInfo:
        """Counts and settings."""
        counts = self.store.counts()
        return LibraryInfo(
            name=self.name,
            path=str(self.path),
            documents=sum(counts.values()),
            chunks=self.store.chunk_count(),
            by_status=counts,
            embedding_model=self.store.model,
            dimension=self.store.dim,
            schema_version=self.store.schema_version,
            size_bytes=sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*") if p.is_file()),
        )

    def documents(self, *, status: str | None = None, limit: int = 10_000) -> list[DocumentInfo]:
        """Document rows (path, status, error ...)."""
        return self.store.documents(status=status, limit=limit)

    def integrity(self) -> dict[str, Any]:
        """Integrity report (see :meth:`LibraryStore.integrity`)."""
        return self.store.integrity()

    def close(self) -> None:
        """Close the file."""
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _IngestLock:
    """Advisory lock file so two processes never ingest into one library at once."""

    def __init__(self, path: Path) -> None:
        self.path = path.with_name(path.name + ".ingest.lock")
        self._fh: Any = None

    def __enter__(self) -> _IngestLock:
        self._fh = open(self.path, "a+")  # noqa: SIM115 - held for the whole ingestion
        try:
            import fcntl

            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # Windows: SQLite's own locking still keeps the file consistent
            pass
        except OSError as exc:
            self._fh.close()
            raise LibraryError(
                f"Another process is ingesting into the library {self.path.name.split('.')[0]!r}; wait for it to finish."
            ) from exc
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(f"{os.getpid()} {time.time()}\n")
        self._fh.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()  # closing releases the flock
            self._fh = None


def libraries_dir(home: Path) -> Path:
    """Folder of library files under a Lampwright home."""
    return home / "libraries"


def library_path(root: Path, name: str) -> Path:
    """The file of library ``name`` in folder ``root``."""
    return root / f"{check_name(name)}.sqlite"


def list_libraries(root: Path) -> list[str]:
    """Names of the libraries in ``root``."""
    return sorted(p.stem for p in root.glob("*.sqlite")) if root.exists() else []


def delete_library(root: Path, name: str) -> None:
    """Delete a library file (and its WAL and lock files)."""
    path = library_path(root, name)
    if not path.exists():
        raise NotFoundError(f"No library named {name!r}.")
    for p in root.glob(path.name + "*"):
        p.unlink(missing_ok=True)
