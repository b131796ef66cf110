"""Shared fixtures: every test gets its own Lampwright home; the real packaged models are used."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def lampwright_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point $LAMPWRIGHT_HOME at a fresh folder for each test."""
    home = tmp_path / "home"
    monkeypatch.setenv("LAMPWRIGHT_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def smollm2_path() -> Path:
    """The packaged SmolLM2-135M-Instruct Q4_1 GGUF."""
    from engine.models import bundled_path

    return bundled_path("smollm2-135m-instruct")


@pytest.fixture(scope="session")
def smollm2_backend(smollm2_path: Path):
    """One loaded SmolLM2 backend shared by the session (loading takes ~0.2 s, but memory adds up)."""
    from engine.inference.llamacpp import LlamaCppBackend

    backend = LlamaCppBackend(smollm2_path, n_ctx=2048, name="smollm2-135m-instruct")
    yield backend
    backend.close()


@pytest.fixture
def settings(lampwright_home: Path):
    """Default settings in the per-test home, with a small context for speed."""
    from engine.settings import Settings

    return Settings(home=lampwright_home, n_ctx=2048)


@pytest.fixture
def engine(settings):
    """An engine on the per-test home."""
    from engine.core import Engine

    eng = Engine(settings)
    yield eng
    eng.close()
