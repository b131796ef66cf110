"""The parser plug point: limits, the builder that tracks block offsets, and expected failures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from engine.retrieval.types import Block, ParsedDocument

_SPACE = re.compile(r"[ \t\r\f\v\u00a0]+")


class Unsupported(Exception):
    """The file is skipped on purpose (binary, too large, password-protected ...): ``reason`` says why."""


class ParseFailed(Exception):
    """The file looked supported but could not be read (damaged, malformed ...)."""


@dataclass(frozen=True, slots=True)
class ParseLimits:
    """Caps that keep one hostile or huge file from taking the machine down."""

    max_text_bytes: int = 16 * 1024 * 1024  # plain text, Markdown, HTML, code
    max_binary_bytes: int = 200 * 1024 * 1024  # PDF, DOCX
    max_unzipped_bytes: int = 256 * 1024 * 1024  # DOCX: total uncompressed size
    max_zip_ratio: float = 200.0  # DOCX: uncompressed / compressed of any member
    max_zip_members: int = 10_000
    time_limit_s: float = 120.0  # per file, parsing only
    max_pdf_pages: int = 5_000


class Parser(Protocol):
    """Reads one file into a :class:`ParsedDocument`; raises :class:`Unsupported` or :class:`ParseFailed`."""

    def __call__(self, path: Path, limits: ParseLimits) -> ParsedDocument:  # noqa: D102
        ...


def clean_inline(text: str) -> str:
    """Collapse runs of spaces and tabs inside a line; trim each line."""
    lines = (_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


class DocBuilder:
    """Concatenates blocks with blank lines between them while recording each block's span."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._parts: list[str] = []
        self._blocks: list[Block] = []
        self._pos = 0
        self.heading = ""
        self.title = ""

    def add(self, text: str, *, page: int | None = None, kind: str = "paragraph") -> None:
        """Append one block (ignored when blank)."""
        text = text.strip("\n")
        if not text.strip():
            return
        if self._parts:
            self._parts.append("\n\n")
            self._pos += 2
        start = self._pos
        self._parts.append(text)
        self._pos += len(text)
        if kind == "heading":
            self.heading = text.strip()
            if not self.title:
                self.title = self.heading
        self._blocks.append(Block(start, self._pos, page, self.heading, kind))

    def build(self, *, pages: int = 0, title: str = "") -> ParsedDocument:
        """The parsed document."""
        return ParsedDocument(
            text="".join(self._parts), blocks=tuple(self._blocks), kind=self.kind, title=title or self.title, pages=pages
        )


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs separated by blank lines."""
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]
