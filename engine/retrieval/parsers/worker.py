"""Parse files in a child process so that a hung or crashing parser cannot take ingestion down.

The child gets one request at a time over a pipe. When a file takes longer than the time limit the
child is killed and a fresh one started; when it dies (a crash in a C extension, memory exhausted) the
file is reported as failed. The child exits on its own when the parent goes away (the pipe closes).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import time
from pathlib import Path
from typing import Any

from engine.retrieval.parsers import ParseLimits, ParseOutcome, parse_file

log = logging.getLogger(__name__)


def _child(conn: Any, limits: ParseLimits, memory_cap: int) -> None:  # pragma: no cover - runs in the child
    if memory_cap:
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))
        except (ImportError, ValueError, OSError):
            pass
    from engine.retrieval.parsers import _registry

    _registry()  # import every parser now, so the time limit counts parsing only
    conn.send("ready")
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if path is None:
            return
        conn.send(parse_file(Path(path), limits))


class ParseWorker:
    """One child process parsing files with a per-file time limit. Not thread-safe: one caller."""

    def __init__(self, limits: ParseLimits | None = None, *, memory_cap_bytes: int = 4 << 30) -> None:
        self.limits = limits or ParseLimits()
        self.memory_cap = memory_cap_bytes
        self._ctx = mp.get_context("spawn")  # never fork a process that may hold torch threads
        self._proc: Any = None
        self._conn: Any = None
        self._pending: tuple[str, float] | None = None

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(
            target=_child, args=(child, self.limits, self.memory_cap), daemon=True, name="lampwright-parser"
        )
        self._proc.start()
        child.close()
        self._conn = parent
        if not parent.poll(120) or parent.recv() != "ready":
            self._kill()
            raise RuntimeError("the parser process did not start")

    def submit(self, path: Path) -> None:
        """Start parsing ``path`` (one file at a time: collect it with :meth:`result`)."""
        if self._pending is not None:
            raise RuntimeError("collect the previous result first")
        if self._proc is None or not self._proc.is_alive():
            self._start()
        self._conn.send(str(path))
        self._pending = (str(path), time.monotonic())

    def result(self) -> ParseOutcome:
        """Wait for the submitted file, up to the time limit counted from submission."""
        if self._pending is None:
            raise RuntimeError("nothing submitted")
        path, started = self._pending
        self._pending = None
        remaining = self.limits.time_limit_s - (time.monotonic() - started)
        try:
            if self._conn.poll(max(remaining, 0.0)):
                out: ParseOutcome = self._conn.recv()
                return out
        except (EOFError, OSError):
            self._kill()
            return ParseOutcome(None, "failed", "the parser crashed on this file (out of memory or a bug)")
        self._kill()
        return ParseOutcome(None, "failed", f"parsing took longer than {self.limits.time_limit_s:g} s; gave up")

    def parse(self, path: Path) -> ParseOutcome:
        """Submit and wait; parses in this process when no child process can be started."""
        try:
            self.submit(path)
        except (RuntimeError, OSError) as exc:
            log.warning("cannot start a parser process (%s); parsing in-process without a time limit", exc)
            self._pending = None
            return parse_file(path, self.limits)
        return self.result()

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        """Stop the child."""
        if self._conn is not None and self._proc is not None and self._proc.is_alive():
            try:
                self._conn.send(None)
                self._proc.join(2)
            except (OSError, EOFError):
                pass
        self._kill()


class InlineParser:
    """Same interface, parsing in this process (no time limit): for tests and frozen apps without spawn."""

    def __init__(self, limits: ParseLimits | None = None) -> None:
        self.limits = limits or ParseLimits()
        self._pending: Path | None = None

    def submit(self, path: Path) -> None:  # noqa: D102
        self._pending = path

    def result(self) -> ParseOutcome:  # noqa: D102
        assert self._pending is not None
        path, self._pending = self._pending, None
        return parse_file(path, self.limits)

    def parse(self, path: Path) -> ParseOutcome:  # noqa: D102
        return parse_file(path, self.limits)

    def close(self) -> None:  # noqa: D102
        pass
