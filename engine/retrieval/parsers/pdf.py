"""PDF text with page numbers (pypdf); encrypted files are reported as password-protected."""

from __future__ import annotations

import logging
from pathlib import Path

from engine.retrieval.parsers.base import (
    DocBuilder,
    ParseFailed,
    ParseLimits,
    Unsupported,
    clean_inline,
    split_paragraphs,
)
from engine.retrieval.types import ParsedDocument

log = logging.getLogger(__name__)


def parse_pdf(path: Path, limits: ParseLimits) -> ParsedDocument:
    """One block per paragraph, each tagged with its 1-based page."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files warn on every object
    size = path.stat().st_size
    if size > limits.max_binary_bytes:
        raise Unsupported(f"too large ({size / 1e6:.0f} MB, cap {limits.max_binary_bytes / 1e6:.0f} MB)")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # permission-only encryption opens with an empty password
            except (DependencyError, NotImplementedError) as exc:
                raise Unsupported(f"password-protected PDF (cannot decrypt: {exc})") from exc
            if not opened:
                raise Unsupported("password-protected PDF: remove the password to index it")
        title = ""
        try:
            meta = reader.metadata
            title = str(meta.title or "") if meta else ""
        except Exception:  # broken info dictionaries are common and harmless
            title = ""
        pages = len(reader.pages)
        if pages > limits.max_pdf_pages:
            raise Unsupported(f"too many pages ({pages}, cap {limits.max_pdf_pages})")
        b = DocBuilder("pdf")
        for number, page in enumerate(reader.pages, start=1):
            try:
                text = page.extract_text() or ""
            except Exception as exc:  # one bad page should not lose the rest of the document
                log.debug("page %d of %s unreadable: %s", number, path, exc)
                continue
            for para in split_paragraphs(text.replace("\r\n", "\n")):
                b.add(clean_inline(para), page=number)
    except (Unsupported, ParseFailed):
        raise
    except FileNotDecryptedError as exc:
        raise Unsupported("password-protected PDF: remove the password to index it") from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise ParseFailed(f"damaged or unreadable PDF: {exc}") from exc
    doc = b.build(pages=pages, title=title or path.stem)
    if not doc.text.strip():
        raise Unsupported("no extractable text (a scanned PDF needs OCR, which Lampwright does not do yet)")
    return doc
