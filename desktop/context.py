"""What every view gets: the engine facade and the job runner (the composition root builds it)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.core import Engine

from desktop.workers import JobRunner


@dataclass
class AppContext:
    """Shared objects for views. No globals: views receive this from ``desktop.app``."""

    engine: Engine
    #: ingestion, search, evaluation ... (thread pool)
    jobs: JobRunner
    #: inference: a single thread, since one model serves one thread at a time
    inference: JobRunner
