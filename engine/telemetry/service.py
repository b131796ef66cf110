"""The telemetry facade the engine holds: record calls (never blocking), query them, export them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.errors import LampwrightError
from engine.telemetry import queries
from engine.telemetry.cost import TelemetryConfig
from engine.telemetry.hashing import CACHE_FILE, HashCache
from engine.telemetry.queries import CallFilter
from engine.telemetry.record import CallRecord, record_from_call
from engine.telemetry.schema import open_db
from engine.telemetry.sink import TelemetrySink
from engine.types import ChatResult

log = logging.getLogger(__name__)


class Telemetry:
    """Per-call telemetry in one DuckDB file: a background writer plus read queries."""

    def __init__(
        self,
        path: Path,
        config: TelemetryConfig | None = None,
        *,
        hash_cache: Path | None = None,
        flush_interval: float = 0.5,
    ) -> None:
        self.path = Path(path)
        self.config = config or TelemetryConfig()
        self.hashes = HashCache(hash_cache or self.path.with_name(CACHE_FILE))
        self.sink = TelemetrySink(self.path, flush_interval=flush_interval, enrich=self._enrich)

    @classmethod
    def for_home(cls, home: Path, path: Path | None = None) -> Telemetry:
        """Telemetry configured from ``home/telemetry.json``, writing ``home/telemetry.duckdb``."""
        return cls(path or Path(home) / "telemetry.duckdb", TelemetryConfig.load(Path(home)))

    # ---- writing -----------------------------------------------------------------------------------
    def observe(self, result: ChatResult | None, error: LampwrightError | None, ctx: dict[str, Any]) -> None:
        """An :class:`engine.core.Engine` observer: turn a finished call into a row and queue it."""
        if not self.config.enabled:
            return
        rec = record_from_call(result, error, ctx, store_content=self.config.store_content)
        self.record(rec)

    def record(self, rec: CallRecord) -> None:
        """Queue a row, filling in the cost estimate when it is not set. Never blocks, never raises."""
        if not self.config.enabled:
            return
        try:
            if not (rec.cost_usd or rec.energy_wh or rec.cloud_equiv_usd):
                cost, energy, cloud = self.config.cost.estimate(
                    rec.backend, rec.model, rec.prompt_tokens, rec.completion_tokens, rec.latency_ms / 1000
                )
                rec = rec.with_(cost_usd=cost, energy_wh=energy, cloud_equiv_usd=cloud)
            self.sink.put(rec)
        except Exception:  # telemetry must never break a call
            log.exception("could not record telemetry")

    def _enrich(self, rec: CallRecord) -> CallRecord:
        """Runs on the writer thread: add the model file's hash (hashed once per file version)."""
        if rec.model_path and not rec.model_sha256 and Path(rec.model_path).is_file():
            return rec.with_(model_sha256=self.hashes.sha256(rec.model_path))
        return rec

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until queued rows are in the file; False when it is unavailable (rows stay queued)."""
        return self.sink.flush(timeout)

    def close(self) -> None:
        """Flush and stop the writer (pending rows are spilled to disk if the file is unavailable)."""
        self.sink.close()

    # ---- reading -----------------------------------------------------------------------------------
    @contextmanager
    def connect(self, wait_s: float = 5.0) -> Iterator[Any]:
        """A short-lived connection for queries (after flushing this process's queued rows).

        Raises:
            TelemetryUnavailableError: the file stayed locked for ``wait_s`` or is damaged.
        """
        self.sink.flush(timeout=wait_s)
        con = open_db(self.path, wait_s=wait_s)
        try:
            yield con
        finally:
            con.close()

    def summary(self, flt: CallFilter | None = None, group_by: tuple[str, ...] = ()) -> dict[str, Any]:
        """See :func:`engine.telemetry.queries.summary`."""
        with self.connect() as con:
            return queries.summary(con, flt, group_by)

    def series(
        self,
        flt: CallFilter | None = None,
        *,
        bucket: str | None = None,
        group_by: tuple[str, ...] = ("model", "adapter", "prompt_version"),
    ) -> tuple[str, list[dict[str, Any]]]:
        """See :func:`engine.telemetry.queries.series`."""
        with self.connect() as con:
            return queries.series(con, flt, bucket=bucket, group_by=group_by)

    def calls(self, flt: CallFilter | None = None, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """See :func:`engine.telemetry.queries.list_calls`."""
        with self.connect() as con:
            return queries.list_calls(con, flt, limit=limit, offset=offset)

    def call(self, call_id: str) -> dict[str, Any]:
        """See :func:`engine.telemetry.queries.get_call`."""
        with self.connect() as con:
            return queries.get_call(con, call_id)

    def distinct(self, column: str, flt: CallFilter | None = None) -> list[str]:
        """See :func:`engine.telemetry.queries.distinct`."""
        with self.connect() as con:
            return queries.distinct(con, column, flt)

    def export(self, path: Path, fmt: str = "csv", flt: CallFilter | None = None) -> int:
        """See :func:`engine.telemetry.queries.export`."""
        with self.connect() as con:
            return queries.export(con, Path(path), fmt, flt)
