"""GGUF discovery, metadata and the bundled-model locator."""

from engine.models.bundled import BUNDLED, DEFAULT_MODEL, bundled_path
from engine.models.gguf_meta import GGUFInfo, read_gguf_info
from engine.models.registry import ModelEntry, cached_info, list_models, resolve_model

__all__ = [
    "BUNDLED",
    "DEFAULT_MODEL",
    "GGUFInfo",
    "ModelEntry",
    "bundled_path",
    "cached_info",
    "list_models",
    "read_gguf_info",
    "resolve_model",
]
