"""The DuckDB telemetry file: opening it (with retries while another process holds it), migrations, bulk append.

DuckDB lets one process at a time open a file for writing, so every Lampwright process (GUI, CLI, server)
opens the telemetry file only for the moment it writes a batch or runs a query, and retries while another
holds it. Inside one process all connections share one database instance.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from engine.errors import TelemetryUnavailableError
from engine.telemetry.record import COLUMN_NAMES, COLUMNS

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1


def _m001_calls(con: Any) -> None:
    cols = ",\n    ".join(f"{name} {kind}" for name, kind in COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS calls (\n    {cols}\n)")


MIGRATIONS: tuple[tuple[int, Callable[[Any], None]], ...] = ((1, _m001_calls),)


def migrate(con: Any) -> None:
    """Bring the schema to :data:`SCHEMA_VERSION` (the one place migrations run)."""
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    current = int(row[0][0]) if row else 0
    if current > SCHEMA_VERSION:
        raise TelemetryUnavailableError(
            f"The telemetry file was written by a newer Lampwright (schema {current} > {SCHEMA_VERSION}); "
            "update Lampwright to read it.",
            locked=False,
        )
    for version, step in MIGRATIONS:
        if version > current:
            con.execute("BEGIN TRANSACTION")
            try:
                step(con)
                con.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                    [str(version)],
                )
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise


_MIGRATED: set[tuple[str, int]] = set()


def _file_key(path: Path) -> tuple[str, int]:
    try:
        return str(path.resolve()), path.stat().st_ino
    except OSError:
        return str(path), -1


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "lock" in text or "resource temporarily unavailable" in text


def open_db(path: Path, *, wait_s: float = 0.0) -> Any:
    """Open (creating and migrating) the telemetry file; retry for ``wait_s`` while another process holds it.

    Raises:
        TelemetryUnavailableError: the file is locked (after waiting) or is not a readable DuckDB file.
    """
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    delay = 0.02
    while True:
        try:
            con = duckdb.connect(str(path))
        except duckdb.Error as exc:
            locked = _is_lock_error(exc)
            if locked and time.monotonic() < deadline:
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
                continue
            if locked:
                msg = (
                    f"The telemetry file {path} is in use by another process ({exc}). Lampwright keeps "
                    "recording in memory and retries; close the other program to read it."
                )
            else:
                msg = (
                    f"The telemetry file {path} cannot be opened ({exc}). It may be damaged: move it "
                    "aside to start a fresh one (calls are kept in memory meanwhile)."
                )
            raise TelemetryUnavailableError(msg, locked=locked) from exc
        try:
            key = _file_key(path)
            if key not in _MIGRATED:  # once per file per process: opening stays cheap for dashboards
                migrate(con)
                _MIGRATED.add(_file_key(path))
        except TelemetryUnavailableError:
            con.close()
            raise
        except duckdb.Error as exc:
            con.close()
            raise TelemetryUnavailableError(
                f"The telemetry file {path} cannot be used ({exc}). Move it aside to start a fresh one.",
                locked=False,
            ) from exc
        return con


def append_rows(con: Any, rows: Sequence[tuple[Any, ...]]) -> None:
    """Bulk-append rows (in :data:`COLUMNS` order) to ``calls`` in one statement."""
    if not rows:
        return
    if hasattr(con, "appender"):  # DuckDB >= 2: the native appender
        with con.appender("calls", columns=list(COLUMN_NAMES)) as app:
            app.append_rows(rows)
        return
    # older DuckDB: one INSERT over column lists (unnest), still a single statement
    columns = [list(col) for col in zip(*rows, strict=True)]
    select = ", ".join(f"unnest(${i + 1})" for i in range(len(COLUMN_NAMES)))
    con.execute(f"INSERT INTO calls ({', '.join(COLUMN_NAMES)}) SELECT {select}", columns)
