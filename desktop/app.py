"""The composition root: builds settings, the engine, the job runners and the window, then runs Qt.

The window is shown first; the model loads on the inference worker right after, and the sample
library is indexed on the job pool (when the engine offers it), so start-up stays fast and nothing
here imports torch.

Set ``LAMPWRIGHT_STARTUP_PROBE=/path/file.json`` to record start-up figures (``shown_at`` and
``model_loaded_at`` as ``time.time()``, resident memory from ``/proc``) and quit once the model is
loaded; ``tests/bench/bench_startup.py`` uses it.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop.context import AppContext
from desktop.main_window import MainWindow
from desktop.widgets.theme import apply_theme, theme_choice
from desktop.workers import GeneratorJob, JobRunner
from engine.errors import LampwrightError
from engine.jobs import Progress
from engine.settings import Settings, default_home

log = logging.getLogger(__name__)

PROBE_ENV = "LAMPWRIGHT_STARTUP_PROBE"
SAMPLE_LIBRARY_LABEL = "Indexing the sample library"


def rss_kb() -> int:
    """This process's resident memory in KiB (VmRSS from /proc; 0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def load_settings(home: str | Path | None) -> tuple[Settings, str | None]:
    """Settings of ``home``; defaults plus the reason when the settings file is unreadable."""
    folder = Path(home) if home else default_home()
    try:
        return Settings.load(folder), None
    except LampwrightError as exc:
        return Settings(home=folder), str(exc)


def create_context(settings: Settings) -> AppContext:
    """The engine and the two job runners every view shares."""
    from engine.core import open_engine

    engine = open_engine(settings)
    return AppContext(engine=engine, jobs=JobRunner(2), inference=JobRunner(1))


def start_sample_library(ctx: AppContext) -> GeneratorJob | None:
    """Index the bundled sample library on the job pool, if the engine offers it (idempotent there)."""
    ensure = getattr(ctx.engine, "ensure_sample_library", None)
    if ensure is None:
        return None
    try:
        params = inspect.signature(ensure).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    kwargs: dict[str, Any] = {}
    events = ctx.events
    if "progress" in params:
        # called on the worker thread; Qt queues the signal to the GUI thread
        kwargs["progress"] = lambda p: events.progress.emit(SAMPLE_LIBRARY_LABEL, p.done, p.total)

    def _run(**kw: Any) -> Any:
        out = ensure(**kw)
        if isinstance(out, Iterator):
            last = None
            for item in out:
                if isinstance(item, Progress):
                    events.progress.emit(SAMPLE_LIBRARY_LABEL, item.done, item.total)
                last = item
            return last
        return out

    events.progress.emit(SAMPLE_LIBRARY_LABEL, 0, 0)
    job = ctx.jobs.submit(_run, pass_cancel="cancel" in params, **kwargs)
    job.signals.finished.connect(lambda: events.progress.emit(SAMPLE_LIBRARY_LABEL, 1, 1))
    job.signals.failed.connect(lambda msg: events.error.emit(f"The sample library could not be indexed: {msg}"))
    return job


def start_background(ctx: AppContext, *, sample_library: bool = True) -> GeneratorJob:
    """After the window shows: load the model on the inference worker, index the sample library."""
    job = ctx.load_model()
    if sample_library:
        start_sample_library(ctx)
    return job


def shutdown(ctx: AppContext, timeout_ms: int = 15_000) -> None:
    """Stop background work and release the model and databases."""
    ctx.inference.cancel_all()
    ctx.jobs.cancel_all()
    ctx.inference.wait(timeout_ms)
    ctx.jobs.wait(timeout_ms)
    ctx.engine.close()


class _Probe:
    """Writes start-up figures to the file named by ``$LAMPWRIGHT_STARTUP_PROBE``."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.data: dict[str, Any] = {"pid": os.getpid()}

    def record(self, stage: str, **values: Any) -> None:
        self.data.update(values)
        self.data[f"torch_imported_{stage}"] = "torch" in sys.modules
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data), encoding="utf-8")
        os.replace(tmp, self.path)


def _quit_on_signals(app: QApplication) -> None:
    """Ctrl+C or SIGTERM closes the app cleanly (running replies are stopped and stored)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    # Python runs signal handlers only between bytecodes: wake the interpreter now and then
    ticker = QTimer(app)
    ticker.timeout.connect(lambda: None)
    ticker.start(250)


def run(home: str | None = None) -> int:
    """Open the Lampwright window on ``home`` (``$LAMPWRIGHT_HOME`` or the user data dir when None)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Lampwright")
    app.setApplicationDisplayName("Lampwright")
    settings, settings_error = load_settings(home)
    apply_theme(app, theme_choice(settings.home))
    ctx = create_context(settings)
    window = MainWindow(ctx)
    window.show()
    if settings_error:
        window.show_error(f"{settings_error} Using default settings for now.")

    probe_path = os.environ.get(PROBE_ENV)
    probe = _Probe(probe_path) if probe_path else None

    def after_shown() -> None:
        if probe is not None:
            probe.record("shown", shown_at=time.time(), rss_kb_shown=rss_kb())
        job = start_background(ctx, sample_library=probe is None)
        if probe is not None:

            def loaded() -> None:
                probe.record(
                    "model",
                    model_loaded_at=time.time(),
                    rss_kb_model=rss_kb(),
                    model=str(getattr(ctx.engine.loaded_backend, "model_name", "")),
                )
                app.quit()

            job.signals.finished.connect(loaded)
            QTimer.singleShot(180_000, app.quit)

    QTimer.singleShot(0, after_shown)
    _quit_on_signals(app)
    code = app.exec()
    shutdown(ctx)
    return int(code)
