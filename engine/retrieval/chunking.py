"""Token-aware, structure-aware chunking.

Blocks (paragraphs, headings, tables, pages) are split into sentences, sentences longer than a chunk
into token windows, and the pieces packed greedily into chunks of at most ``size`` tokens of the
embedder's own tokenizer. A chunk never spans two pages nor two sections (a heading starts a new one once the current
chunk is reasonably full) and carries ``overlap`` tokens of context when a long section is cut. Every chunk
keeps its page and its character span in the document text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.errors import ConfigError
from engine.retrieval.types import Chunk, ParsedDocument

_SENTENCE_END = re.compile(r"(?<=[.!?;:])[\"')\]]*\s+|\n+")


@dataclass(frozen=True, slots=True)
class ChunkingOptions:
    """Sizes in tokens of the embedder's tokenizer (defaults measured on SciFact's train split)."""

    size: int = 240
    overlap: int = 32
    #: a new heading starts a new chunk once the current one holds at least this share of ``size``
    section_break_fill: float = 0.25

    def __post_init__(self) -> None:
        if self.size < 16:
            raise ConfigError(f"chunk size must be at least 16 tokens (got {self.size}).")
        if not 0 <= self.overlap < self.size // 2:
            raise ConfigError(f"chunk overlap must be in [0, size/2) (got {self.overlap}).")


@dataclass(slots=True)
class _Piece:
    start: int
    end: int
    tokens: int
    page: int | None
    heading: str
    new_section: bool


class Chunker:
    """Splits parsed documents with a `tokenizers.Tokenizer` (the embedder's)."""

    def __init__(self, tokenizer: Any, options: ChunkingOptions | None = None) -> None:
        self.tok = tokenizer
        self.opt = options or ChunkingOptions()

    def _offsets(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        encs = self.tok.encode_batch(list(texts), add_special_tokens=False)
        return [[o for o in e.offsets if o[1] > o[0]] for e in encs]

    def _pieces(self, doc: ParsedDocument) -> list[_Piece]:
        text = doc.text
        blocks = [b for b in doc.blocks if text[b.start : b.end].strip()]
        offsets = self._offsets([text[b.start : b.end] for b in blocks])
        pieces: list[_Piece] = []
        prev_heading: str | None = None
        for block, offs in zip(blocks, offsets, strict=True):
            starts = [o[0] for o in offs]
            btext = text[block.start : block.end]
            new_section = block.kind == "heading" or block.heading != prev_heading
            prev_heading = block.heading
            # sentence boundaries inside the block (code and tables split at lines only)
            bounds = [0]
            splitter = re.compile(r"\n+") if block.kind in ("code", "table") else _SENTENCE_END
            bounds += [m.end() for m in splitter.finditer(btext) if 0 < m.end() < len(btext)]
            bounds.append(len(btext))
            for s, e in zip(bounds, bounds[1:], strict=False):
                if not btext[s:e].strip():
                    continue
                i, j = bisect.bisect_left(starts, s), bisect.bisect_left(starts, e)
                n = j - i
                if n <= self.opt.size:
                    pieces.append(_Piece(block.start + s, block.start + e, n, block.page, block.heading, new_section))
                    new_section = False
                    continue
                # a sentence longer than a chunk (a long line, a table row ...): cut at token windows
                for w in range(i, j, self.opt.size):
                    ws = offs[w][0] if w > i else s
                    we = offs[min(w + self.opt.size, j) - 1][1] if w + self.opt.size < j else e
                    count = min(self.opt.size, j - w)
                    pieces.append(_Piece(block.start + ws, block.start + we, count, block.page, block.heading, new_section))
                    new_section = False
        return pieces

    def chunk(self, doc: ParsedDocument) -> list[Chunk]:
        """The chunks of ``doc``, in order."""
        pieces = self._pieces(doc)
        chunks: list[Chunk] = []
        cur: list[_Piece] = []
        cur_tokens = 0
        size, overlap = self.opt.size, self.opt.overlap

        def emit() -> None:
            first, last = cur[0], cur[-1]
            chunks.append(
                Chunk(
                    ordinal=len(chunks),
                    text=doc.text[first.start : last.end],
                    char_start=first.start,
                    char_end=last.end,
                    n_tokens=sum(p.tokens for p in cur),
                    page=first.page,
                    heading=first.heading,
                )
            )

        for p in pieces:
            # a page boundary always ends a chunk (pages are what citations point at)
            section_break = bool(cur) and p.page != cur[-1].page
            section_break |= p.new_section and cur_tokens >= size * self.opt.section_break_fill
            if cur and (cur_tokens + p.tokens > size or section_break):
                emit()
                carry: list[_Piece] = []
                if not section_break and overlap:
                    # carry whole trailing sentences worth at most `overlap` tokens
                    budget = overlap
                    for q in reversed(cur):
                        if q.tokens > budget or q.tokens + p.tokens + sum(c.tokens for c in carry) > size:
                            break
                        carry.insert(0, q)
                        budget -= q.tokens
                    if len(carry) == len(cur):
                        carry = []
                cur, cur_tokens = carry, sum(c.tokens for c in carry)
            cur.append(p)
            cur_tokens += p.tokens
        if cur:
            emit()
        return chunks
