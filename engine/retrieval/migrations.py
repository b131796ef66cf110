"""Schema migrations of a library file, as named steps applied in order in exactly one place.

Each step runs in the same transaction as its record in the ``migrations`` table, so a kill during an
upgrade leaves the file at the previous version. A file with a step this build does not know (written by
a newer Lampwright) is refused rather than guessed at.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import apsw

from engine.errors import LibraryError

log = logging.getLogger(__name__)


def m001_initial(db: apsw.Connection, dim: int) -> None:
    """Documents, chunks, the FTS5 index (kept in sync by triggers) and the sqlite-vec table."""
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE documents(
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL DEFAULT '',
            size INTEGER NOT NULL DEFAULT 0,
            mtime REAL NOT NULL DEFAULT 0,
            sha256 TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,              -- indexed | duplicate | skipped | failed
            error TEXT NOT NULL DEFAULT '',
            title TEXT NOT NULL DEFAULT '',
            pages INTEGER NOT NULL DEFAULT 0,
            chunks INTEGER NOT NULL DEFAULT 0,
            duplicate_of INTEGER REFERENCES documents(id),
            indexed_at REAL NOT NULL DEFAULT 0
        );
        CREATE INDEX documents_sha ON documents(sha256) WHERE status = 'indexed';
        CREATE INDEX documents_dup ON documents(duplicate_of) WHERE duplicate_of IS NOT NULL;
        CREATE TABLE chunks(
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: the RAM index syncs by id
            document_id INTEGER NOT NULL REFERENCES documents(id),
            ordinal INTEGER NOT NULL,
            text TEXT NOT NULL,
            heading TEXT NOT NULL DEFAULT '',
            page INTEGER,
            char_start INTEGER NOT NULL,
            char_end INTEGER NOT NULL,
            n_tokens INTEGER NOT NULL
        );
        CREATE INDEX chunks_document ON chunks(document_id, ordinal);
        CREATE VIRTUAL TABLE chunks_fts USING fts5(
            text, heading, content='chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
            INSERT INTO chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading);
        END;
        CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, text, heading) VALUES ('delete', old.id, old.text, old.heading);
        END;
        """
    )
    db.execute(f"CREATE VIRTUAL TABLE chunk_vecs USING vec0(embedding float[{int(dim)}] distance_metric=cosine)")


#: every step, in order; append new ones, never edit or reorder applied ones
MIGRATIONS: tuple[tuple[str, Callable[[apsw.Connection, int], None]], ...] = (("m001_initial", m001_initial),)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: apsw.Connection, dim: int) -> int:
    """Bring ``db`` to the current schema; returns the schema version. Call with the writer connection."""
    db.execute("CREATE TABLE IF NOT EXISTS migrations(name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    applied = {row[0] for row in db.execute("SELECT name FROM migrations")}
    known = {name for name, _ in MIGRATIONS}
    unknown = applied - known
    if unknown:
        raise LibraryError(
            f"This library was written by a newer Lampwright (schema steps {', '.join(sorted(unknown))}). "
            "Upgrade Lampwright to open it."
        )
    for version, (name, step) in enumerate(MIGRATIONS, start=1):
        if name in applied:
            continue
        log.info("applying library migration %s", name)
        with db:  # one transaction per step, with its record
            step(db, dim)
            db.execute("INSERT INTO migrations(name, applied_at) VALUES (?, ?)", (name, time.time()))
            db.execute(
                "INSERT INTO meta(key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (str(version),),
            )
    return SCHEMA_VERSION
