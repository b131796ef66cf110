"""DOCX paragraphs, headings and tables (python-docx), after zip-bomb checks."""

from __future__ import annotations

import zipfile
from pathlib import Path

from engine.retrieval.parsers.base import DocBuilder, ParseFailed, ParseLimits, Unsupported, clean_inline
from engine.retrieval.types import ParsedDocument


def check_zip(path: Path, limits: ParseLimits) -> None:
    """Refuse archives whose members would decompress to too much (zip bombs)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ParseFailed(f"not a valid DOCX (zip) file: {exc}") from exc
    if len(infos) > limits.max_zip_members:
        raise Unsupported(f"suspicious DOCX: {len(infos)} zip members (cap {limits.max_zip_members})")
    total = sum(i.file_size for i in infos)
    if total > limits.max_unzipped_bytes:
        raise Unsupported(
            f"suspicious DOCX (zip bomb?): expands to {total / 1e6:.0f} MB (cap {limits.max_unzipped_bytes / 1e6:.0f} MB)"
        )
    for i in infos:
        if i.file_size > 1_000_000 and i.file_size > limits.max_zip_ratio * max(i.compress_size, 1):
            raise Unsupported(
                f"suspicious DOCX (zip bomb?): {i.filename} expands {i.file_size / max(i.compress_size, 1):.0f}x"
            )


def parse_docx(path: Path, limits: ParseLimits) -> ParsedDocument:
    """Body paragraphs and tables in document order; Heading/Title styles become headings."""
    size = path.stat().st_size
    if size > limits.max_binary_bytes:
        raise Unsupported(f"too large ({size / 1e6:.0f} MB, cap {limits.max_binary_bytes / 1e6:.0f} MB)")
    check_zip(path, limits)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
        b = DocBuilder("docx")
        for item in document.iter_inner_content():
            if isinstance(item, Paragraph):
                style = (item.style.name if item.style is not None else "") or ""
                kind = "heading" if style.startswith(("Heading", "Title")) else "paragraph"
                b.add(clean_inline(item.text), kind=kind)
            elif isinstance(item, Table):
                rows = []
                for row in item.rows:
                    cells = [clean_inline(c.text).replace("\n", " ") for c in row.cells]
                    rows.append(" | ".join(cells))
                b.add("\n".join(rows), kind="table")
        title = document.core_properties.title or ""
    except (Unsupported, ParseFailed):
        raise
    except Exception as exc:  # python-docx raises KeyError, ValueError, lxml errors ... on damaged files
        raise ParseFailed(f"damaged or unreadable DOCX: {exc}") from exc
    return b.build(title=title or b.title or path.stem)
