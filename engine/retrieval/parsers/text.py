"""Plain text, Markdown and source code, with encoding detection (charset-normalizer)."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from engine.retrieval.parsers.base import DocBuilder, ParseLimits, Unsupported, clean_inline, split_paragraphs
from engine.retrieval.types import ParsedDocument

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_PREFERRED = ("utf_8", "cp1252", "latin_1", "iso8859_15")


def read_text(path: Path, limits: ParseLimits) -> str:
    """Decode a text file: BOM first, then UTF-8, then charset-normalizer's best guess.

    Raises :class:`Unsupported` for binary content (NUL bytes without a UTF-16/32 BOM, or no plausible
    encoding) and for files over the text size cap.
    """
    size = path.stat().st_size
    if size > limits.max_text_bytes:
        raise Unsupported(
            f"too large for a text file ({size / 1e6:.1f} MB, cap {limits.max_text_bytes / 1e6:.0f} MB); "
            "raise max_text_mb to index it"
        )
    data = path.read_bytes()
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    if b"\x00" in data[:65536]:
        raise Unsupported("binary content (not text)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data[: 4 * 1024 * 1024])
    best = matches.best()
    if best is None or best.encoding is None:
        raise Unsupported("binary content (no text encoding fits)")
    encoding = best.encoding
    # short texts fit many single-byte code pages equally well: prefer Western European on a tie
    tied = [m.encoding for m in matches if m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.01]
    for preferred in _PREFERRED:
        if preferred in tied:
            encoding = preferred
            break
    text = data.decode(encoding, errors="replace")
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text[:20000])
    if text and printable / min(len(text), 20000) < 0.9:
        raise Unsupported("binary content (mostly unprintable)")
    return text


def parse_text(path: Path, limits: ParseLimits) -> ParsedDocument:
    """Paragraphs separated by blank lines."""
    b = DocBuilder("text")
    for para in split_paragraphs(read_text(path, limits).replace("\r\n", "\n")):
        b.add(clean_inline(para))
    return b.build(title=path.stem)


def parse_code(path: Path, limits: ParseLimits) -> ParsedDocument:
    """Source code: blocks separated by blank lines, indentation kept."""
    b = DocBuilder("code")
    for para in split_paragraphs(read_text(path, limits).replace("\r\n", "\n")):
        b.add(para.rstrip(), kind="code")
    return b.build(title=path.name)


def parse_markdown(path: Path, limits: ParseLimits) -> ParsedDocument:
    """Markdown: ATX headings become heading blocks, fenced code stays one block."""
    b = DocBuilder("markdown")
    text = read_text(path, limits).replace("\r\n", "\n")
    para: list[str] = []
    in_fence = False

    def flush(kind: str = "paragraph") -> None:
        if para:
            b.add("\n".join(para) if kind == "code" else clean_inline("\n".join(para)), kind=kind)
            para.clear()

    for line in text.split("\n"):
        if _FENCE.match(line):
            if in_fence:
                para.append(line)
                flush("code")
            else:
                flush()
                para.append(line)
            in_fence = not in_fence
            continue
        if in_fence:
            para.append(line)
            continue
        m = _HEADING.match(line)
        if m:
            flush()
            b.add(m.group(2), kind="heading")
        elif not line.strip():
            flush()
        else:
            para.append(line)
    flush("code" if in_fence else "paragraph")
    return b.build(title=b.title or path.stem)
