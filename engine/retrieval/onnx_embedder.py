"""The same sentence-transformers model on ONNX Runtime: the fast path for ingestion.

The model folder is exported to ONNX once with ``torch.onnx`` (torch is needed only for that step) and
cached under the Lampwright cache folder, keyed by the model's fingerprint; an int8 dynamically quantised
copy is made next to it on request. Inference needs only onnxruntime, tokenizers and numpy, so search
does not import torch at all.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import MissingDependencyError, ModelLoadError
from engine.retrieval.embedder import _dimension as dimension_of
from engine.retrieval.embedder import (
    length_sorted_batches,
    load_tokenizer,
    max_seq_length,
    model_fingerprint,
    resolve_model_dir,
)

log = logging.getLogger(__name__)
_export_lock = threading.Lock()


def onnx_cache_dir(folder: Path) -> Path:
    """Where the exported model of ``folder`` lives."""
    from engine.models.bundled import cache_dir

    return cache_dir() / "onnx" / f"{folder.name}-{model_fingerprint(folder)}"


def export_onnx(folder: Path, target: Path) -> Path:
    """Export the transformer of a sentence-transformers folder to ONNX (token embeddings out)."""
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise MissingDependencyError(
            "Exporting the embedding model to ONNX needs torch and transformers once: `pip install 'lampwright[rag]'`."
        ) from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    base = AutoModel.from_pretrained(str(folder), local_files_only=True, attn_implementation="eager")
    base.eval()

    class _TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.base = base

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.base(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    model = _TokenEmbeddings()
    ids = torch.ones((2, 16), dtype=torch.long)
    tmp = target.with_name(f"{target.stem}.{os.getpid()}.tmp.onnx")
    try:
        with torch.inference_mode():
            torch.onnx.export(
                model,
                (ids, torch.ones_like(ids), torch.zeros_like(ids)),
                str(tmp),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "seq"} for n in ("input_ids", "attention_mask", "token_type_ids")}
                | {"last_hidden_state": {0: "batch", 1: "seq"}},
                opset_version=17,
                dynamo=False,
            )
        os.replace(tmp, target)
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        raise ModelLoadError(f"Exporting {folder.name} to ONNX failed: {exc}") from exc
    return target


def quantize_int8(source: Path, target: Path) -> Path:
    """Dynamic int8 quantisation of the exported model (weights int8, activations quantised on the fly)."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise MissingDependencyError("int8 quantisation needs the 'onnx' package: `pip install onnx`.") from exc
    tmp = target.with_name(f"{target.stem}.{os.getpid()}.tmp.onnx")
    quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8)
    os.replace(tmp, target)
    return target


class OnnxEmbedder:
    """Mean-pooled, normalised sentence embeddings computed by ONNX Runtime."""

    def __init__(
        self,
        model: str | None = None,
        *,
        quantized: bool = False,
        threads: int = 0,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.folder, self.name = resolve_model_dir(model)
        self.runtime = "onnx-int8" if quantized else "onnx"
        self.max_tokens = max_seq_length(self.folder)
        self.dim = dimension_of(self.folder)
        self._quantized = quantized
        self._threads = threads or min(os.cpu_count() or 1, 8)
        self._progress = progress
        self._session: Any = None
        self._tok: Any = None
        self._enc_tok: Any = None
        self._lock = threading.Lock()
        self.model_path = self._ensure_exported()  # fails early when torch is missing for the first export

    def _ensure_exported(self) -> Path:
        cache = onnx_cache_dir(self.folder)
        fp32 = cache / "model.onnx"
        with _export_lock:
            if not fp32.exists():
                if self._progress:
                    self._progress("exporting the embedding model to ONNX (once)")
                log.info("exporting %s to %s", self.folder, fp32)
                export_onnx(self.folder, fp32)
            if not self._quantized:
                return fp32
            q8 = cache / "model.int8.onnx"
            if not q8.exists():
                if self._progress:
                    self._progress("quantising the embedding model to int8 (once)")
                quantize_int8(fp32, q8)
            return q8

    def _load(self) -> Any:
        if self._session is None:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self._threads
            opts.inter_op_num_threads = 1
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            opts.log_severity_level = 3
            try:
                self._session = ort.InferenceSession(str(self.model_path), opts, providers=["CPUExecutionProvider"])
            except Exception as exc:
                raise ModelLoadError(f"ONNX Runtime cannot load {self.model_path}: {exc}. Delete it to re-export.") from exc
            self._inputs = {i.name for i in self._session.get_inputs()}
        return self._session

    def tokenizer(self) -> Any:  # noqa: D102
        if self._tok is None:
            self._tok = load_tokenizer(self.folder)
        return self._tok

    def _encoder(self) -> Any:
        if self._enc_tok is None:
            tok = load_tokenizer(self.folder)
            tok.enable_truncation(max_length=self.max_tokens)
            self._enc_tok = tok
        return self._enc_tok

    def embed(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:  # noqa: D102
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        session = self._load()
        encs = self._encoder().encode_batch(list(texts))
        for idx in length_sorted_batches([len(e.ids) for e in encs], batch_size):
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[row, :n] = encs[i].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            with self._lock:  # one run at a time: ORT already uses every core
                hidden = session.run(None, feed)[0]
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[idx] = pooled
        return out
