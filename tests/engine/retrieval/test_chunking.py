from __future__ import annotations

import pytest

from engine.errors import ConfigError
from engine.retrieval.chunking import Chunker, ChunkingOptions
from engine.retrieval.ingest import record_document
from engine.retrieval.parsers.base import DocBuilder


@pytest.fixture(scope="module")
def tok():
    from engine.retrieval.embedder import load_tokenizer, packaged_model_dir

    return load_tokenizer(packaged_model_dir())


def _count(tok, text: str) -> int:
    return len(tok.encode(text, add_special_tokens=False).ids)


def test_chunks_respect_size_and_spans(tok) -> None:
    b = DocBuilder("text")
    for i in range(40):
        b.add(f"Sentence number {i} talks about topic {i % 7}. It has a second clause, too.", page=1 + i // 10)
    doc = b.build()
    chunks = Chunker(tok, ChunkingOptions(size=64, overlap=16)).chunk(doc)
    assert len(chunks) > 5
    for c in chunks:
        assert c.text == doc.text[c.char_start : c.char_end]
        assert _count(tok, c.text) <= 64 + 4  # re-tokenising a joined span may differ by a token or two
        assert c.page is not None
    # overlap: consecutive chunks share text when a long section is cut
    assert any(b.char_start < a.char_end for a, b in zip(chunks, chunks[1:], strict=False))
    # every sentence is covered
    covered = set()
    for c in chunks:
        covered.update(range(c.char_start, c.char_end))
    assert all(i in covered for i, ch in enumerate(doc.text) if not ch.isspace())


def test_headings_start_new_chunks(tok) -> None:
    b = DocBuilder("markdown")
    for h in ("Alpha", "Beta", "Gamma"):
        b.add(h, kind="heading")
        b.add(" ".join(f"{h} fact {i}." for i in range(20)))
    chunks = Chunker(tok, ChunkingOptions(size=200, overlap=0)).chunk(b.build())
    assert [c.heading for c in chunks] == ["Alpha", "Beta", "Gamma"]
    assert all(c.text.startswith(c.heading) for c in chunks)


def test_single_long_line_is_cut_into_token_windows(tok) -> None:
    text = "lorem " * 20_000  # one line, no sentence end
    b = DocBuilder("text")
    b.add(text.strip())
    chunks = Chunker(tok, ChunkingOptions(size=128, overlap=0)).chunk(b.build())
    assert len(chunks) >= 20_000 / 128
    assert max(c.n_tokens for c in chunks) <= 128


def test_record_document_puts_title_first(tok) -> None:
    doc = record_document("A title", "Body one.\n\nBody two.")
    chunks = Chunker(tok).chunk(doc)
    assert len(chunks) == 1 and chunks[0].text.startswith("A title") and chunks[0].heading == "A title"


def test_options_are_validated() -> None:
    with pytest.raises(ConfigError):
        ChunkingOptions(size=8)
    with pytest.raises(ConfigError):
        ChunkingOptions(size=100, overlap=60)
