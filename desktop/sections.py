"""The sidebar's sections. A section is listed only when its capability works on this install.

Each view is a ``QWidget`` subclass built as ``View(ctx)`` where ``ctx`` is :class:`desktop.context.AppContext`
(the engine, the job runner, settings). Imports are lazy so the window appears fast.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass


def _has(*modules: str) -> Callable[[], bool]:
    return lambda: all(importlib.util.find_spec(m) is not None for m in modules)


@dataclass(frozen=True, slots=True)
class Section:
    """One sidebar entry."""

    key: str
    title: str
    view: str  # "module:Class"
    available: Callable[[], bool] = lambda: True

    def load(self) -> type:
        """Import and return the view class."""
        module, _, cls = self.view.partition(":")
        return getattr(importlib.import_module(module), cls)  # type: ignore[no-any-return]


SECTIONS: list[Section] = [
    Section("chat", "Chat", "desktop.views.chat_view:ChatView"),
    Section("library", "Library", "desktop.views.library_view:LibraryView", available=_has("apsw", "sqlite_vec")),
    Section("telemetry", "Telemetry", "desktop.views.telemetry_view:TelemetryView", available=_has("duckdb")),
    Section("prompts", "Prompts", "desktop.views.prompts_view:PromptsView"),
]


def available_sections() -> list[Section]:
    """Sections whose dependencies are installed."""
    return [s for s in SECTIONS if s.available()]
