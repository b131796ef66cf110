"""Fusing ranked lists: reciprocal rank fusion and a min-max normalised convex combination."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from engine.errors import ConfigError


@dataclass(frozen=True, slots=True)
class FusionConfig:
    """How hybrid search combines BM25 and dense results (defaults tuned on SciFact's train split)."""

    method: str = "convex"  # convex | rrf
    dense_weight: float = 0.45  # convex: weight of the dense score after min-max scaling (tuned on SciFact train)
    rrf_k: int = 60
    depth: int = 100  # candidates taken from each list

    def __post_init__(self) -> None:
        if self.method not in ("convex", "rrf"):
            raise ConfigError(f"fusion method must be 'convex' or 'rrf' (got {self.method!r}).")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ConfigError(f"dense_weight must be in [0, 1] (got {self.dense_weight}).")


def _minmax(scores: np.ndarray) -> np.ndarray:
    if not len(scores):
        return scores
    lo, hi = float(scores.min()), float(scores.max())
    return np.ones_like(scores) if hi - lo < 1e-12 else (scores - lo) / (hi - lo)


def fuse(
    lists: Mapping[str, tuple[np.ndarray, np.ndarray]], weights: Mapping[str, float], config: FusionConfig
) -> list[tuple[int, float, dict[str, float]]]:
    """Fuse ``{signal: (ids, scores)}`` lists into [(id, fused score, {signal: raw score})], best first.

    Convex: each list is min-max scaled to [0, 1]; an id missing from a list gets 0 for it.
    RRF: sum of ``weight / (rrf_k + rank)``.
    """
    fused: dict[int, float] = {}
    raw: dict[int, dict[str, float]] = {}
    for name, (ids, scores) in lists.items():
        w = weights.get(name, 0.0)
        norm = _minmax(scores) if config.method == "convex" else None
        for rank, (cid, s) in enumerate(zip(ids.tolist(), scores.tolist(), strict=True)):
            contrib = w * float(norm[rank]) if norm is not None else w / (config.rrf_k + rank + 1)
            fused[cid] = fused.get(cid, 0.0) + contrib
            raw.setdefault(cid, {})[name] = float(s)
    order = sorted(fused.items(), key=lambda kv: -kv[1])
    return [(cid, score, raw[cid]) for cid, score in order]


def weights_for(config: FusionConfig, signals: Sequence[str] = ("bm25", "dense")) -> dict[str, float]:
    """Per-signal weights (convex: dense_weight and its complement; RRF: equal)."""
    if config.method == "rrf":
        return dict.fromkeys(signals, 1.0)
    return {"dense": config.dense_weight, "bm25": 1.0 - config.dense_weight}
