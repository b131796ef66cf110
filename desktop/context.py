"""What every view gets: the engine facade and the job runner (the composition root builds it)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from desktop.workers import GeneratorJob, JobRunner
from engine.core import Engine

log = logging.getLogger(__name__)


class AppEvents(QObject):
    """App-wide notifications views emit and the main window shows (status bar, error banner).

    Emit them from the GUI thread (job signals already arrive there).
    """

    #: a user-facing error message (a LampwrightError's text); shown in the banner, never blocking
    error = Signal(str)
    #: a short transient status line
    status = Signal(str)
    #: a model started loading (its name or path)
    model_loading = Signal(str)
    #: a model is loaded and ready (its display name)
    model_loaded = Signal(str)
    #: a chat call finished (the engine's ChatResult)
    generation_finished = Signal(object)
    #: background work progress: (label, done, total); total 0 = unknown, done == total = finished
    progress = Signal(str, int, int)


@dataclass
class AppContext:
    """Shared objects for views. No globals: views receive this from ``desktop.app``."""

    engine: Engine
    #: ingestion, search, evaluation ... (thread pool)
    jobs: JobRunner
    #: inference: a single thread, since one model serves one thread at a time
    inference: JobRunner
    #: app-wide notifications (errors, status, model loaded, tokens/s)
    events: AppEvents = field(default_factory=AppEvents)

    def load_model(self, model: str | None = None) -> GeneratorJob:
        """Load ``model`` (name or path; the configured default when None) on the inference worker.

        Emits ``events.model_loading`` now and ``events.model_loaded`` or ``events.error`` later.
        Loading an already loaded model is instant.
        """
        label = model or self.engine.settings.model
        self.events.model_loading.emit(label)
        job = self.inference.submit(self.engine.backend, model, pass_cancel=False)
        job.signals.done.connect(lambda backend: self.events.model_loaded.emit(str(backend.model_name)))
        job.signals.failed.connect(self.events.error.emit)
        return job
