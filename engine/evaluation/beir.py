"""Reading BEIR-format folders: corpus.jsonl, queries.jsonl, qrels/<split>.tsv."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from engine.errors import ConfigError


def _need(path: Path) -> Path:
    if not path.exists():
        raise ConfigError(f"{path} is missing: a BEIR folder has corpus.jsonl, queries.jsonl and qrels/test.tsv.")
    return path


def iter_corpus(folder: Path) -> Iterator[tuple[str, str, str]]:
    """(doc id, title, text) of each corpus line, streamed."""
    with _need(folder / "corpus.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                yield str(d["_id"]), str(d.get("title") or ""), str(d.get("text") or "")


def corpus_size(folder: Path) -> int:
    """Number of corpus lines."""
    with _need(folder / "corpus.jsonl").open("rb") as f:
        return sum(1 for line in f if line.strip())


def corpus_fingerprint(folder: Path) -> str:
    """Short hash of the corpus file's size and first MB (names the cached evaluation library)."""
    path = _need(folder / "corpus.jsonl")
    h = hashlib.sha256(str(path.stat().st_size).encode())
    with path.open("rb") as f:
        h.update(f.read(1 << 20))
    return h.hexdigest()[:10]


def load_queries(folder: Path) -> dict[str, str]:
    """Query id -> text."""
    out = {}
    with _need(folder / "queries.jsonl").open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                out[str(d["_id"])] = str(d["text"])
    return out


def load_qrels(folder: Path, split: str = "test") -> dict[str, dict[str, int]]:
    """Query id -> {doc id: relevance} for a split (the header line is skipped)."""
    path = _need(folder / "qrels" / f"{split}.tsv")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or (i == 0 and not parts[2].strip().lstrip("-").isdigit()):
                continue
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return qrels
