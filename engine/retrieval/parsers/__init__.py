"""Parsers by file type, and :func:`parse_file` which never raises for a bad file.

A small registry maps file extensions to parser callables (see :class:`~.base.Parser`). Files with an
unknown extension are sniffed: text is indexed as text, anything else is skipped with a reason.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

from engine.retrieval.parsers.base import ParseFailed, ParseLimits, Parser, Unsupported
from engine.retrieval.types import ParsedDocument

log = logging.getLogger(__name__)

CODE_EXTS = frozenset(
    ".py .pyi .js .mjs .ts .tsx .jsx .java .kt .c .h .cc .cpp .hpp .cs .go .rs .rb .php .swift .scala .sh .bash "
    ".zsh .ps1 .sql .r .lua .pl .m .jl .dart .vue .css .scss .yaml .yml .toml .ini .cfg .json .xml .proto "
    ".gradle .cmake .mk".split()
)
TEXT_EXTS = frozenset(".txt .text .rst .csv .tsv .log .tex .org .adoc .srt".split())
SKIP_EXTS = frozenset(
    ".png .svg .jpg .jpeg .gif .bmp .tiff .webp .ico .mp3 .wav .flac .ogg .mp4 .mkv .mov .avi .zip .gz .tgz .bz2 .xz "
    ".7z .rar .exe .dll .so .dylib .bin .dat .db .sqlite .pyc .o .a .class .jar .woff .woff2 .ttf .otf .iso "
    ".dmg .pkl .pt .safetensors .gguf .onnx .npy .parquet".split()
)


@functools.cache
def _registry() -> dict[str, tuple[str, Parser]]:
    from engine.retrieval.parsers.docx import parse_docx
    from engine.retrieval.parsers.html import parse_html
    from engine.retrieval.parsers.pdf import parse_pdf
    from engine.retrieval.parsers.text import parse_code, parse_markdown, parse_text

    reg: dict[str, tuple[str, Parser]] = {
        ".pdf": ("pdf", parse_pdf),
        ".docx": ("docx", parse_docx),
        ".md": ("markdown", parse_markdown),
        ".markdown": ("markdown", parse_markdown),
        ".html": ("html", parse_html),
        ".htm": ("html", parse_html),
        ".xhtml": ("html", parse_html),
    }
    reg.update({e: ("text", parse_text) for e in TEXT_EXTS})
    reg.update({e: ("code", parse_code) for e in CODE_EXTS})
    return reg


def kind_of(path: Path) -> str:
    """The document kind for a path by its extension ('' when unknown, 'skip' when known binary)."""
    ext = path.suffix.lower()
    if ext in SKIP_EXTS:
        return "skip"
    entry = _registry().get(ext)
    return entry[0] if entry else ""


@dataclass(frozen=True, slots=True)
class ParseOutcome:
    """Either a document, or why there is none (``skipped`` on purpose vs ``failed``)."""

    doc: ParsedDocument | None
    status: str = "ok"  # ok | skipped | failed
    reason: str = ""
    kind: str = ""


def parse_file(path: Path, limits: ParseLimits | None = None) -> ParseOutcome:
    """Parse one file. Never raises for a bad file: the outcome carries the reason."""
    limits = limits or ParseLimits()
    ext = path.suffix.lower()
    if ext in SKIP_EXTS:
        return ParseOutcome(None, "skipped", f"unsupported file type ({ext})", ext.lstrip("."))
    kind, parser = _registry().get(ext, ("text", None))  # unknown extension: index it if it is text
    try:
        if parser is None:
            from engine.retrieval.parsers.text import parse_text

            try:
                doc = parse_text(path, limits)
            except Unsupported as exc:
                return ParseOutcome(None, "skipped", f"unsupported file type ({ext or 'no extension'}): {exc}", "")
        else:
            doc = parser(path, limits)
    except Unsupported as exc:
        return ParseOutcome(None, "skipped", str(exc), kind)
    except ParseFailed as exc:
        return ParseOutcome(None, "failed", str(exc), kind)
    except FileNotFoundError:
        return ParseOutcome(None, "failed", "the file disappeared while it was being read", kind)
    except MemoryError:
        return ParseOutcome(None, "failed", "out of memory while parsing", kind)
    except Exception as exc:  # a parser bug or an exotic file: report it, never stop the batch
        log.debug("parser crashed on %s", path, exc_info=True)
        return ParseOutcome(None, "failed", f"{type(exc).__name__}: {exc}", kind)
    if not doc.text.strip():
        return ParseOutcome(None, "skipped", "empty (no text)", kind)
    return ParseOutcome(doc, "ok", "", doc.kind)


__all__ = ["ParseFailed", "ParseLimits", "ParseOutcome", "Parser", "Unsupported", "kind_of", "parse_file"]
