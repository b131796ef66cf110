"""HTML main text (selectolax): navigation, scripts and boilerplate are dropped, headings kept."""

from __future__ import annotations

from pathlib import Path

from engine.retrieval.parsers.base import DocBuilder, ParseLimits, clean_inline
from engine.retrieval.parsers.text import read_text
from engine.retrieval.types import ParsedDocument

_DROP = "script, style, noscript, nav, header, footer, aside, form, iframe, svg, template, button"
_BLOCKS = "p, li, pre, blockquote, td, th, dt, dd, figcaption, caption, div, section, article, tr"
_HEADINGS = "h1, h2, h3, h4, h5, h6"
_H_OPEN, _H_CLOSE = "\x01", "\x02"


def parse_html(path: Path, limits: ParseLimits) -> ParsedDocument:
    """Text of ``<main>`` (or ``<article>``, or ``<body>``) split at block elements."""
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    tree = HTMLParser(read_text(path, limits))
    title_node = tree.css_first("title")
    title = clean_inline(title_node.text()) if title_node else ""
    for node in tree.css(_DROP):
        node.decompose()
    root = tree.css_first("main") or tree.css_first("article") or tree.body or tree.root
    if root is None:
        return DocBuilder("html").build(title=title or path.stem)
    for node in root.css(_HEADINGS):
        node.insert_before(f"\n\n{_H_OPEN}")
        node.insert_after(f"{_H_CLOSE}\n\n")
    for node in root.css(_BLOCKS):
        node.insert_after("\n\n")
    for node in root.css("br"):
        node.insert_after("\n")
    b = DocBuilder("html")
    for raw in root.text(separator="", strip=False).split("\n\n"):
        if _H_OPEN in raw or _H_CLOSE in raw:
            b.add(clean_inline(raw.replace(_H_OPEN, "").replace(_H_CLOSE, "")).replace("\n", " "), kind="heading")
        else:
            b.add(clean_inline(raw).replace("\n\n", "\n"))
    return b.build(title=title or b.title or path.stem)
