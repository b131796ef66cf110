"""Lampwright's engine: a Qt-free library with the whole product minus the window.

``open_engine(settings)`` returns the facade that the GUI, the CLI and the HTTP API share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.settings import Settings

__all__ = ["Engine", "Settings", "open_engine"]


def open_engine(settings: Settings | None = None) -> Engine:
    """Build the engine (imports stay lazy so `import engine` is cheap)."""
    from engine.core import open_engine as _open

    return _open(settings)


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from engine.core import Engine

        return Engine
    if name == "Settings":
        from engine.settings import Settings

        return Settings
    raise AttributeError(name)
