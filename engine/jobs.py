"""Cancellation and progress for long operations.

Every long engine operation accepts a :class:`CancelToken` and a progress callback. The GUI turns
progress into signals, the CLI into a progress bar.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from engine.errors import CancelledError


class CancelToken:
    """A thread-safe flag a caller sets to ask a running operation to stop."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the operation to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`CancelledError` if cancellation was requested."""
        if self._event.is_set():
            raise CancelledError("Cancelled by the user.")


@dataclass(frozen=True, slots=True)
class Progress:
    """One progress report: ``done`` of ``total`` units (``total`` 0 when unknown)."""

    done: int
    total: int
    message: str = ""

    @property
    def fraction(self) -> float | None:
        """Completed fraction in [0, 1], or None when the total is unknown."""
        return self.done / self.total if self.total else None


ProgressCallback = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    """Progress callback that ignores reports."""
