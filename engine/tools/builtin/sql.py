"""``sql_query``: read-only SQL over the user's CSV, Parquet and DuckDB files with DuckDB.

Each CSV/Parquet file becomes a view named after the file; each DuckDB file is attached
``READ_ONLY`` under its name. Only a single ``SELECT`` statement is accepted, access to any other
file is switched off, and the configuration is locked so a query cannot switch it back on.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.errors import ToolError
from engine.tools.base import Tool, tool

log = logging.getLogger(__name__)

DATA_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".duckdb": "duckdb", ".db": "duckdb"}
MAX_ROWS = 50


def data_files(paths: Sequence[str | Path]) -> dict[str, tuple[str, Path]]:
    """``{table name: (kind, path)}`` for the given files and the data files inside given folders."""
    found: list[Path] = []
    for p in (Path(x).expanduser() for x in paths):
        if p.is_dir():
            found.extend(sorted(f for f in p.iterdir() if f.suffix.lower() in DATA_SUFFIXES))
        elif p.suffix.lower() in DATA_SUFFIXES:
            found.append(p)
    out: dict[str, tuple[str, Path]] = {}
    for f in found:
        base = re.sub(r"\W+", "_", f.stem).strip("_").lower() or "t"
        name = base if not base[0].isdigit() else f"t_{base}"
        n = 2
        while name in out:
            name, n = f"{base}_{n}", n + 1
        out[name] = (DATA_SUFFIXES[f.suffix.lower()], f.resolve())
    return out


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class ReadOnlyDuckDB:
    """One DuckDB connection exposing the data files read-only; queries are serialised."""

    def __init__(self, files: dict[str, tuple[str, Path]]) -> None:
        import duckdb

        self._duckdb = duckdb
        self.files = files
        self._lock = threading.Lock()
        con = duckdb.connect(":memory:")
        try:
            for name, (kind, path) in files.items():
                if kind == "duckdb":
                    con.execute(f"ATTACH {_lit(path)} AS {name} (READ_ONLY)")
                elif kind == "csv":
                    con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_csv_auto({_lit(path)})")
                else:
                    con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({_lit(path)})")
            allowed = [str(p) for _, p in files.values()]
            con.execute("SET allowed_paths = ?", [allowed])
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
        except duckdb.Error as exc:
            con.close()
            raise ToolError(f"Cannot open the data files for SQL ({exc}).") from exc
        self._con = con

    def schema_text(self) -> str:
        """Tables and columns, one line per table (for the tool description)."""
        lines = []
        with self._lock:
            rows = self._con.execute(
                "SELECT table_catalog, table_schema, table_name, string_agg(column_name || ' ' || data_type, ', ' "
                "ORDER BY ordinal_position) FROM information_schema.columns "
                "WHERE table_schema NOT IN ('information_schema', 'pg_catalog') "
                "GROUP BY ALL ORDER BY ALL"
            ).fetchall()
        for catalog, schema, table, cols in rows:
            qual = table if catalog in ("memory", "temp") else f"{catalog}.{table}" if schema == "main" else f"{catalog}.{schema}.{table}"
            lines.append(f"{qual}({cols})")
        return "; ".join(lines)

    def query(self, sql: str, max_rows: int = MAX_ROWS) -> tuple[list[str], list[tuple[Any, ...]], bool]:
        """Run one SELECT; returns (columns, rows, more rows exist)."""
        duckdb = self._duckdb
        try:
            statements = duckdb.extract_statements(sql)
        except duckdb.Error as exc:
            raise ToolError(f"The SQL does not parse: {exc}") from exc
        if len(statements) != 1:
            raise ToolError(f"Send exactly one SQL statement (got {len(statements)}).")
        if statements[0].type != duckdb.StatementType.SELECT:
            kind = str(statements[0].type).rsplit(".", 1)[-1]
            raise ToolError(f"Only SELECT queries are allowed: the data is read-only ({kind} refused).")
        with self._lock:
            try:
                cur = self._con.execute(sql)
                rows = cur.fetchmany(max_rows + 1)
                cols = [d[0] for d in (cur.description or [])]
            except duckdb.Error as exc:
                raise ToolError(f"The query failed: {exc}") from exc
        return cols, rows[:max_rows], len(rows) > max_rows

    def close(self) -> None:
        """Close the connection."""
        self._con.close()


def format_table(cols: list[str], rows: list[tuple[Any, ...]], more: bool) -> str:
    """A compact pipe table for the model."""
    if not rows:
        return "(no rows)"
    lines = [" | ".join(cols)] + [" | ".join("" if v is None else str(v) for v in r) for r in rows]
    if more:
        lines.append(f"[... more rows; only the first {len(rows)} shown: add LIMIT or aggregate]")
    return "\n".join(lines)


def sql_tools(paths: Sequence[str | Path]) -> list[Tool]:
    """``sql_query`` over the data files in ``paths`` (none when there are no data files)."""
    files = data_files(paths)
    if not files:
        return []
    db = ReadOnlyDuckDB(files)
    try:
        tables = db.schema_text()
    except Exception as exc:  # a malformed file must not stop the other tools
        log.warning("cannot describe data files: %s", exc)
        tables = ", ".join(files)

    first = next(iter(files))

    @tool(
        description=(
            "Run one read-only SQL SELECT (DuckDB dialect) over the user's data files and return the rows. "
            f"Tables: {tables}"
        ),
        timeout_s=30.0,
        examples=[
            (f"Count the rows in {first}", {"sql": f"SELECT count(*) FROM {first}"}),
            (f"Show the first 5 rows of {first}", {"sql": f"SELECT * FROM {first} LIMIT 5"}),
        ],
    )
    def sql_query(sql: str) -> str:
        """Run a read-only SQL query.

        Args:
            sql: one SELECT statement.
        """
        return format_table(*db.query(sql))

    return [sql_query]
