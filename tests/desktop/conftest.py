"""Fixtures for the desktop tests: the real app context (engine, job runners) on the per-test home."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")


@pytest.fixture
def make_ctx(lampwright_home: Path) -> Iterator[Callable[..., Any]]:
    """Build real app contexts on the per-test home (settings overrides as keyword arguments)."""
    from desktop.app import create_context, shutdown
    from engine.settings import Settings

    made: list[Any] = []

    def make(**overrides: Any) -> Any:
        overrides.setdefault("n_ctx", 2048)
        ctx = create_context(Settings(home=lampwright_home, **overrides))
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        if not getattr(ctx, "_closed", False):
            shutdown(ctx)


@pytest.fixture
def make_window(qtbot, make_ctx) -> Callable[..., Any]:
    """Build and show a main window over a fresh context; returns it (its context is ``window.ctx``)."""
    from desktop.main_window import MainWindow

    def make(ctx: Any = None, **overrides: Any) -> Any:
        window = MainWindow(ctx or make_ctx(**overrides))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


@pytest.fixture
def window(make_window) -> Any:
    """A shown main window on default settings (model not loaded yet)."""
    return make_window()


@pytest.fixture
def wait_job(qtbot) -> Callable[..., None]:
    """Wait until a GeneratorJob has finished (its ``finished`` signal)."""

    def wait(job: Any, timeout: int = 120_000) -> None:
        with qtbot.waitSignal(job.signals.finished, timeout=timeout):
            pass

    return wait


@pytest.fixture
def load_model(qtbot) -> Callable[..., None]:
    """Load a model on the inference worker and wait for it to be ready."""

    def load(ctx: Any, model: str | None = None, timeout: int = 300_000) -> None:
        with qtbot.waitSignal(ctx.events.model_loaded, timeout=timeout):
            ctx.load_model(model)

    return load


@pytest.fixture
def send_and_wait(qtbot) -> Callable[..., Any]:
    """Send text from a chat view and wait for the reply to end; returns the ChatResult."""

    def send(chat: Any, text: str, timeout: int = 180_000) -> Any:
        with qtbot.waitSignal(chat.reply_finished, timeout=timeout) as blocker:
            assert chat.send(text) is not None
        return blocker.args[0]

    return send


def set_params(chat: Any, *, max_tokens: int, temperature: float = 0.0, seed: int = 7) -> None:
    """Edit the conversation settings panel like a user would."""
    chat.panel.max_tokens.setValue(max_tokens)
    chat.panel.temperature.setValue(temperature)
    chat.panel.seed.setValue(seed)


@pytest.fixture
def params() -> Callable[..., None]:
    """:func:`set_params` as a fixture."""
    return set_params
