"""One SQLite file per library, opened through apsw so that sqlite-vec loads on every Python.

The file holds ``meta``, ``documents``, ``chunks``, the FTS5 index ``chunks_fts`` and the sqlite-vec
table ``chunk_vecs`` (the store of record for embeddings). WAL mode; one writer connection per
:class:`LibraryStore` (guarded by a lock, and by a lock file across processes while ingesting); readers
use their own connection. Everything for one document is written in one transaction.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import LibraryError, MissingDependencyError
from engine.retrieval.migrations import migrate
from engine.retrieval.types import Chunk, DocumentInfo

log = logging.getLogger(__name__)

_DOC_COLS = "id, path, kind, size, mtime, status, error, chunks, duplicate_of, title"


def connect(path: Path, *, readonly: bool = False) -> Any:
    """An apsw connection with sqlite-vec loaded, WAL on and a busy timeout."""
    try:
        import apsw
        import sqlite_vec
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MissingDependencyError(
            "Document libraries need the 'apsw' and 'sqlite-vec' packages. Install them with "
            "`pip install 'lampwright[rag]'`."
        ) from exc
    flags = apsw.SQLITE_OPEN_READONLY if readonly else apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
    try:
        db = apsw.Connection(str(path), flags=flags)
        db.set_busy_timeout(15_000)
        db.enable_load_extension(True)
        db.load_extension(sqlite_vec.loadable_path())
        db.enable_load_extension(False)
        if not readonly:
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-32000")
    except apsw.Error as exc:
        raise LibraryError(f"Cannot open the library file {path}: {exc}. Is it a Lampwright library?") from exc
    return db


@dataclass(frozen=True, slots=True)
class StoredFile:
    """What the library remembers about a path (to decide whether it changed)."""

    id: int
    size: int
    mtime: float
    sha256: str
    status: str


class LibraryStore:
    """Reads and writes one library file. Thread-safe: writes are serialized on one connection."""

    def __init__(self, path: Path, *, dim: int, model: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.db = connect(self.path)
        self.schema_version = migrate(self.db, dim)
        stored_model, stored_dim = self.get_meta("embedding_model"), self.get_meta("dimension")
        if stored_model is None:
            with self.db:
                self.set_meta("embedding_model", model)
                self.set_meta("dimension", str(dim))
                self.set_meta("created_at", str(time.time()))
        self.model = self.get_meta("embedding_model") or model
        self.dim = int(stored_dim or dim)
        self._reader: Any = None

    # ---- meta --------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A value of the meta table."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a meta value (inside the caller's transaction, if any)."""
        with self._lock:
            self.db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # ---- reading -----------------------------------------------------------------------------------
    @property
    def reader(self) -> Any:
        """A separate connection for searches (WAL lets it read while the writer writes)."""
        if self._reader is None:
            self._reader = connect(self.path)
        return self._reader

    def stored_file(self, path: str) -> StoredFile | None:
        """The row for ``path``, if any."""
        row = self.db.execute("SELECT id, size, mtime, sha256, status FROM documents WHERE path = ?", (path,)).fetchone()
        return None if row is None else StoredFile(*row)

    def indexed_with_sha(self, sha256: str, *, exclude_path: str = "") -> int | None:
        """Id of an indexed document with this content hash (not at ``exclude_path``)."""
        row = self.db.execute(
            "SELECT id FROM documents WHERE sha256 = ? AND status = 'indexed' AND path != ? LIMIT 1",
            (sha256, exclude_path),
        ).fetchone()
        return None if row is None else int(row[0])

    def paths(self, prefix: str = "") -> list[str]:
        """Every stored path (that starts with ``prefix``)."""
        rows = self.db.execute(
            "SELECT path FROM documents WHERE substr(path, 1, ?) = ?", (len(prefix), prefix)
        )
        return [r[0] for r in rows]

    def documents(self, *, status: str | None = None, limit: int = 10_000, offset: int = 0) -> list[DocumentInfo]:
        """Document rows, newest first."""
        sql = f"SELECT {_DOC_COLS} FROM documents"
        args: list[Any] = []
        if status:
            sql += " WHERE status = ?"
            args.append(status)
        sql += " ORDER BY path LIMIT ? OFFSET ?"
        args += [limit, offset]
        return [DocumentInfo(*row) for row in self.reader.execute(sql, args)]

    def counts(self) -> dict[str, int]:
        """Documents per status."""
        return {s: int(n) for s, n in self.reader.execute("SELECT status, count(*) FROM documents GROUP BY status")}

    def chunk_count(self) -> int:
        """Number of chunks."""
        return int(self.reader.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def iter_vectors(self, after_id: int = 0, batch: int = 4096) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, float32 matrix) batches of embeddings with chunk id > ``after_id``, by id."""
        last = after_id
        while True:
            rows = self.reader.execute(
                "SELECT rowid, embedding FROM chunk_vecs WHERE rowid > ? ORDER BY rowid LIMIT ?", (last, batch)
            ).fetchall()
            if not rows:
                return
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            mat = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), self.dim)
            yield ids, mat
            last = int(ids[-1])

    def chunk_ids(self) -> np.ndarray:
        """Ids of every chunk, ascending."""
        rows = self.reader.execute("SELECT id FROM chunks ORDER BY id").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def data_version(self) -> int:
        """Changes whenever another connection commits (the RAM index re-syncs then)."""
        return int(self.reader.execute("PRAGMA data_version").fetchone()[0])

    # ---- writing -----------------------------------------------------------------------------------
    def write_document(
        self,
        *,
        path: str,
        kind: str,
        size: int,
        mtime: float,
        sha256: str,
        title: str,
        pages: int,
        chunks: Sequence[Chunk],
        embeddings: np.ndarray,
    ) -> tuple[int, list[int]]:
        """Replace whatever is stored for ``path`` with an indexed document, in one transaction."""
        if len(chunks) != len(embeddings):
            raise ValueError("one embedding per chunk")
        vecs = np.ascontiguousarray(embeddings, dtype=np.float32)
        with self._lock, self.db:
            self._delete_path(path)
            self.db.execute(
                "INSERT INTO documents(path, kind, size, mtime, sha256, status, title, pages, chunks, indexed_at) "
                "VALUES (?, ?, ?, ?, ?, 'indexed', ?, ?, ?, ?)",
                (path, kind, size, mtime, sha256, title, pages, len(chunks), time.time()),
            )
            doc_id = self.db.last_insert_rowid()
            ids: list[int] = []
            for c, v in zip(chunks, vecs, strict=True):
                self.db.execute(
                    "INSERT INTO chunks(document_id, ordinal, text, heading, page, char_start, char_end, n_tokens) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (doc_id, c.ordinal, c.text, c.heading, c.page, c.char_start, c.char_end, c.n_tokens),
                )
                cid = self.db.last_insert_rowid()
                self.db.execute("INSERT INTO chunk_vecs(rowid, embedding) VALUES (?, ?)", (cid, v.tobytes()))
                ids.append(cid)
        return doc_id, ids

    def mark_document(
        self,
        *,
        path: str,
        status: str,
        error: str = "",
        kind: str = "",
        size: int = 0,
        mtime: float = 0.0,
        sha256: str = "",
        duplicate_of: int | None = None,
    ) -> int:
        """Record a file that has no chunks of its own (duplicate, skipped, failed), in one transaction."""
        with self._lock, self.db:
            self._delete_path(path)
            self.db.execute(
                "INSERT INTO documents(path, kind, size, mtime, sha256, status, error, duplicate_of, indexed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (path, kind, size, mtime, sha256, status, error, duplicate_of, time.time()),
            )
            return int(self.db.last_insert_rowid())

    def touch(self, path: str, mtime: float) -> None:
        """Remember a new mtime for a file whose content did not change."""
        with self._lock, self.db:
            self.db.execute("UPDATE documents SET mtime = ? WHERE path = ?", (mtime, path))

    def remove_document(self, path: str) -> bool:
        """Forget ``path`` (its chunks, vectors, and FTS rows), in one transaction."""
        with self._lock, self.db:
            return self._delete_path(path)

    def _delete_path(self, path: str) -> bool:
        row = self.db.execute("SELECT id, status FROM documents WHERE path = ?", (path,)).fetchone()
        if row is None:
            return False
        doc_id, status = int(row[0]), row[1]
        if status == "indexed":
            heir = self.db.execute(
                "SELECT id FROM documents WHERE duplicate_of = ? ORDER BY id LIMIT 1", (doc_id,)
            ).fetchone()
            if heir is not None:
                # the content lives on under another path: hand the chunks over instead of deleting them
                heir_id = int(heir[0])
                self.db.execute("UPDATE chunks SET document_id = ? WHERE document_id = ?", (heir_id, doc_id))
                self.db.execute(
                    "UPDATE documents SET status = 'indexed', duplicate_of = NULL, "
                    "(title, pages, chunks) = (SELECT title, pages, chunks FROM documents WHERE id = ?) WHERE id = ?",
                    (doc_id, heir_id),
                )
                self.db.execute("UPDATE documents SET duplicate_of = ? WHERE duplicate_of = ?", (heir_id, doc_id))
            else:
                self.db.execute(
                    "DELETE FROM chunk_vecs WHERE rowid IN (SELECT id FROM chunks WHERE document_id = ?)", (doc_id,)
                )
                self.db.execute("DELETE FROM chunks WHERE document_id = ?", (doc_id,))
        self.db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        return True

    def set_meta_if_missing(self, key: str, value: str) -> None:
        """Set a meta value unless it is already set."""
        if self.get_meta(key) is None:
            with self._lock, self.db:
                self.set_meta(key, value)

    # ---- maintenance -------------------------------------------------------------------------------
    def integrity(self) -> dict[str, Any]:
        """``PRAGMA integrity_check``, the FTS5 check, and counts of orphan rows (all should be clean)."""
        db = self.db
        ok = [r[0] for r in db.execute("PRAGMA integrity_check")]
        try:
            db.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)")
            fts = "ok"
        except Exception as exc:  # apsw raises CorruptError and friends
            fts = str(exc)
        q = lambda sql: int(db.execute(sql).fetchone()[0])  # noqa: E731
        return {
            "integrity_check": ok[0] if len(ok) == 1 else ok,
            "fts": fts,
            "orphan_chunks": q("SELECT count(*) FROM chunks WHERE document_id NOT IN (SELECT id FROM documents)"),
            "chunks_without_vector": q("SELECT count(*) FROM chunks WHERE id NOT IN (SELECT rowid FROM chunk_vecs)"),
            "vectors_without_chunk": q("SELECT count(*) FROM chunk_vecs WHERE rowid NOT IN (SELECT id FROM chunks)"),
            "chunk_count_mismatch": q(
                "SELECT count(*) FROM documents d WHERE status = 'indexed' AND "
                "chunks != (SELECT count(*) FROM chunks c WHERE c.document_id = d.id)"
            ),
            "duplicate_paths": q("SELECT count(*) - count(DISTINCT path) FROM documents"),
        }

    def optimize(self) -> None:
        """Merge FTS segments and checkpoint the WAL (after a big ingest)."""
        with self._lock:
            self.db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('optimize')")
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def optimize_if_needed(self) -> None:
        """Checkpoint the WAL after an ingest; merge FTS segments when many have piled up."""
        with self._lock:
            segments = self.db.execute("SELECT count(DISTINCT segid) FROM chunks_fts_idx").fetchone()[0]
            if segments > 64:
                self.db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('optimize')")
            self.db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        """Close both connections."""
        for conn in (self._reader, self.db):
            if conn is not None:
                try:
                    conn.close()
                except Exception:  # closing twice or during shutdown
                    log.debug("closing library connection failed", exc_info=True)
        self._reader = None

    def raise_if_model_differs(self, model: str, dim: int) -> None:
        """Refuse to mix embeddings of two models in one library."""
        if self.model != model or self.dim != dim:
            raise LibraryError(
                f"The library {self.path.stem} was embedded with {self.model} ({self.dim} dims), not {model} "
                f"({dim} dims). Keep using its model, or delete it (`lampwright libraries delete {self.path.stem}`) and "
                "ingest again with the new one."
            )
