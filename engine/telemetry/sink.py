"""The telemetry writer: one background thread, batched appends, never in a call's way.

:meth:`TelemetrySink.put` only enqueues (microseconds). The writer thread gathers rows for
``flush_interval`` seconds, then appends the batch with DuckDB's appender in one statement. When the file
is locked by another process or damaged, rows stay in memory (bounded) and the writer retries with
backoff, logging one warning per outage. On a clean shutdown (:meth:`close`, also run at exit) pending
rows are written, or, if the file is still unavailable, spilled to a JSON-lines file that the next
successful write imports, so nothing is lost.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

from engine.errors import TelemetryUnavailableError
from engine.telemetry.record import CallRecord
from engine.telemetry.schema import append_rows, open_db

log = logging.getLogger(__name__)

_SINKS: weakref.WeakSet[TelemetrySink] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for sink in list(_SINKS):
        sink.close()


class _Flush:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False


_STOP = object()


class TelemetrySink:
    """Single writer of one telemetry file."""

    def __init__(
        self,
        path: Path,
        *,
        flush_interval: float = 0.5,
        max_buffer: int = 200_000,
        enrich: Callable[[CallRecord], CallRecord] | None = None,
    ) -> None:
        self.path = Path(path)
        self.spill_path = self.path.with_name(self.path.name + ".pending.jsonl")
        self.flush_interval = flush_interval
        self.max_buffer = max_buffer
        self._enrich = enrich
        self._q: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._pending: list[CallRecord] = []
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self._failures = 0
        self._dropped = 0
        self.written = 0  # rows appended by this sink (for tests and the status line)
        self.last_error: str = ""
        _SINKS.add(self)

    # ---- producer side (any thread) ----------------------------------------------------------------
    def put(self, record: CallRecord) -> None:
        """Queue a row; never blocks and never raises."""
        if self._closed:
            log.warning("telemetry sink is closed; dropping call %s", record.call_id)
            return
        self._ensure_thread()
        self._q.put(record)

    def flush(self, timeout: float = 10.0) -> bool:
        """Write everything queued so far; True when it reached the file."""
        if self._closed:
            return not self._pending
        if self._thread is None and not self.spill_path.exists():
            return True
        self._ensure_thread()
        marker = _Flush()
        self._q.put(marker)
        return marker.done.wait(timeout) and marker.ok

    def close(self, timeout: float = 10.0) -> None:
        """Write pending rows (or spill them to disk) and stop the writer. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._q.put(_STOP)
            self._thread.join(timeout)

    @property
    def pending(self) -> int:
        """Rows waiting in memory (not yet in the file)."""
        return len(self._pending) + self._q.qsize()

    # ---- writer thread -----------------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    t = threading.Thread(target=self._run, name="lampwright-telemetry", daemon=True)
                    t.start()
                    self._thread = t

    def _run(self) -> None:
        next_write = 0.0
        stop = False
        while not stop:
            timeout = None if not self._pending else max(0.0, next_write - time.monotonic())
            try:
                item: object | None = self._q.get(timeout=timeout)
            except queue.Empty:
                item = None
            markers: list[_Flush] = []
            while item is not None:
                if isinstance(item, CallRecord):
                    if not self._pending:
                        next_write = max(next_write, time.monotonic() + self.flush_interval)
                    self._pending.append(self._enriched(item))
                elif isinstance(item, _Flush):
                    markers.append(item)
                elif item is _STOP:
                    stop = True
                try:
                    item = self._q.get_nowait()
                except queue.Empty:
                    item = None
            self._trim()
            ok = True
            if markers or stop or (self._pending and time.monotonic() >= next_write):
                ok = self._write()
                next_write = time.monotonic() + (self.flush_interval if ok else self._backoff())
            for m in markers:
                m.ok = ok
                m.done.set()
        self._shutdown()

    def _enriched(self, record: CallRecord) -> CallRecord:
        if self._enrich is None:
            return record
        try:
            return self._enrich(record)
        except Exception:  # enrichment (model hash) is best effort
            log.exception("telemetry enrichment failed")
            return record

    def _backoff(self) -> float:
        return float(min(30.0, 0.5 * 2 ** min(self._failures, 6)))

    def _trim(self) -> None:
        extra = len(self._pending) - self.max_buffer
        if extra > 0:
            del self._pending[:extra]
            self._dropped += extra
            log.warning("Telemetry buffer full: dropped the %d oldest unsaved calls (%d in all).", extra, self._dropped)

    def _write(self) -> bool:
        """Append pending rows (and any spill file) in one connection; False when the file is unavailable."""
        spill = self.spill_path.exists()
        if not self._pending and not spill:
            return True
        batch = list(self._pending)
        try:
            con = open_db(self.path, wait_s=0.5)
        except TelemetryUnavailableError as exc:
            self._failed(exc)
            return False
        try:
            if spill:
                self._import_spill(con)
            append_rows(con, [r.as_row() for r in batch])
        except Exception as exc:  # a damaged file can fail on write; never let it reach a caller
            self._failed(TelemetryUnavailableError(f"Writing telemetry to {self.path} failed: {exc}"))
            return False
        finally:
            con.close()
        if self._failures:
            log.warning("Telemetry file available again; wrote %d buffered calls.", len(batch))
        self._failures = 0
        self.last_error = ""
        self.written += len(batch)
        del self._pending[: len(batch)]
        return True

    def _failed(self, exc: TelemetryUnavailableError) -> None:
        if self._failures == 0:
            log.warning("%s (%d calls kept in memory)", exc, len(self._pending))
        else:
            log.debug("telemetry still unavailable: %s", exc)
        self._failures += 1
        self.last_error = str(exc)

    def _import_spill(self, con: object) -> None:
        rows: list[CallRecord] = []
        for line in self.spill_path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    rows.append(CallRecord.from_json(json.loads(line)))
                except (ValueError, KeyError, TypeError) as exc:
                    log.warning("Skipping an unreadable line in %s: %s", self.spill_path, exc)
        if rows:
            ids = [r.call_id for r in rows]
            known = {row[0] for row in con.execute("SELECT call_id FROM calls WHERE call_id IN ?", [ids]).fetchall()}  # type: ignore[attr-defined]
            append_rows(con, [r.as_row() for r in rows if r.call_id not in known])
            self.written += len(rows) - len(known)
        self.spill_path.unlink()

    def _shutdown(self) -> None:
        deadline = time.monotonic() + 2.0
        while self._pending and not self._write() and time.monotonic() < deadline:
            time.sleep(0.1)
        if self._pending:
            try:
                with self.spill_path.open("a", encoding="utf-8") as fh:
                    for r in self._pending:
                        fh.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
                log.warning(
                    "Telemetry file unavailable at shutdown; saved %d calls to %s (imported on the next start).",
                    len(self._pending),
                    self.spill_path,
                )
                self._pending.clear()
            except OSError as exc:
                log.warning("Could not save %d telemetry calls: %s", len(self._pending), exc)
