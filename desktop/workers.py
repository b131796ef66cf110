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

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

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


class JobRunner(QObject):
    """Owns a thread pool and keeps jobs alive until they finish."""

    def __init__(self, max_threads: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._jobs: set[GeneratorJob] = set()

    def start(self, job: GeneratorJob) -> GeneratorJob:
        """Run ``job`` on the pool."""
        self._jobs.add(job)
        job.signals.finished.connect(lambda j=job: self._jobs.discard(j))
        self.pool.start(job)
        return job

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> GeneratorJob:
        """Build a job for ``fn`` and start it (connect to ``job.signals`` right after)."""
        return self.start(GeneratorJob(fn, *args, **kwargs))

    def cancel_all(self) -> None:
        """Drop jobs that have not started and ask running ones to stop (used on shutdown)."""
        self.pool.clear()
        for job in list(self._jobs):
            job.cancel()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until every job ended (used on shutdown and in tests)."""
        return bool(self.pool.waitForDone(msecs))
