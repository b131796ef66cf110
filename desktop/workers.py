"""Run engine work off the GUI thread and turn its results into Qt signals.

Engine operations are generators (token deltas, progress events) or plain calls. :class:`GeneratorJob`
runs one on a thread pool and emits each yielded value on :attr:`JobSignals.item`, the return value on
``done`` and a user-facing message on ``failed``. Cancelling sets the job's :class:`CancelToken`, which
the engine checks between steps, so the GUI never blocks and Stop takes effect at once.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from engine.errors import CancelledError, LampwrightError
from engine.jobs import CancelToken

log = logging.getLogger(__name__)


class JobSignals(QObject):
    """Signals of one job (emitted from the worker thread, delivered on the GUI thread)."""

    item = Signal(object)
    done = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    finished = Signal()  # always last, after done/failed/cancelled
    #: emitted with the job itself after ``finished``; JobRunner forgets the job on it
    ended = Signal(object)


class GeneratorJob(QRunnable):
    """Runs ``fn(*args, cancel=token, **kwargs)``; iterates it when it returns an iterator."""

    def __init__(self, fn: Callable[..., Any], *args: Any, pass_cancel: bool = True, **kwargs: Any) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.signals = JobSignals()
        self.cancel_token = CancelToken()
        self._fn, self._args, self._kwargs = fn, args, kwargs
        if pass_cancel:
            self._kwargs["cancel"] = self.cancel_token

    def cancel(self) -> None:
        """Ask the job to stop at its next check."""
        self.cancel_token.cancel()

    def run(self) -> None:  # noqa: D102 - QRunnable API
        s = self.signals
        try:
            out = self._fn(*self._args, **self._kwargs)
            if isinstance(out, Iterator):
                last = None
                for value in out:
                    last = value
                    s.item.emit(value)
                out = last
            if self.cancel_token.cancelled:
                s.cancelled.emit()
            s.done.emit(out)
        except CancelledError:
            s.cancelled.emit()
        except LampwrightError as exc:
            s.failed.emit(str(exc))
        except Exception as exc:  # a bug: show it, log the traceback, keep the app alive
            log.error("job failed: %s", traceback.format_exc())
            s.failed.emit(f"Unexpected error: {exc!r}. See the log for details.")
        finally:
            s.finished.emit()
            s.ended.emit(self)


class JobRunner(QObject):
    """Owns a thread pool and keeps jobs alive until they finish."""

    def __init__(self, max_threads: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._jobs: set[GeneratorJob] = set()
        self._pending: list[GeneratorJob] = []

    def start(self, job: GeneratorJob) -> GeneratorJob:
        """Run ``job`` on the pool."""
        self._jobs.add(job)
        job.signals.ended.connect(self._forget)
        # Start on the next event-loop turn, not now: a job that fails at once would otherwise emit
        # before the caller has connected to its signals, and the message would be lost.
        self._pending.append(job)
        if len(self._pending) == 1:
            QTimer.singleShot(0, self._start_pending)
        return job

    def _start_pending(self) -> None:
        pending, self._pending = self._pending, []
        for job in pending:
            self.pool.start(job)

    def _forget(self, job: GeneratorJob) -> None:
        self._jobs.discard(job)

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> GeneratorJob:
        """Build a job for ``fn`` and start it (connect to ``job.signals`` right after)."""
        return self.start(GeneratorJob(fn, *args, **kwargs))

    def cancel_all(self) -> None:
        """Drop jobs that have not started and ask running ones to stop (used on shutdown)."""
        self._pending.clear()
        self.pool.clear()
        for job in list(self._jobs):
            job.cancel()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until every job ended (used on shutdown and in tests)."""
        self._start_pending()
        return bool(self.pool.waitForDone(msecs))
