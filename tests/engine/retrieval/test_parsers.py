from __future__ import annotations

import os
from pathlib import Path

import pytest
from files import make_docx, make_encrypted_pdf, make_pdf, make_zip_bomb_docx, pdf_bytes

from engine.retrieval.parsers import ParseLimits, parse_file
from engine.retrieval.parsers.worker import ParseWorker


def test_pdf_keeps_pages(tmp_path: Path) -> None:
    p = make_pdf(tmp_path / "a.pdf", [["First page text."], ["Second page, about (parentheses)."]])
    out = parse_file(p)
    assert out.status == "ok" and out.doc is not None
    assert out.doc.pages == 2
    pages = {b.page for b in out.doc.blocks}
    assert pages == {1, 2}
    second = next(b for b in out.doc.blocks if b.page == 2)
    assert "parentheses" in out.doc.text[second.start : second.end]


def test_encrypted_pdf_is_reported_as_password_protected(tmp_path: Path) -> None:
    out = parse_file(make_encrypted_pdf(tmp_path / "secret.pdf", [["classified"]]))
    assert out.status == "skipped"
    assert "password" in out.reason


def test_truncated_pdf_fails_with_a_reason(tmp_path: Path) -> None:
    data = pdf_bytes([["Some text on page one."]] * 3)
    p = tmp_path / "cut.pdf"
    p.write_bytes(data[: len(data) // 3])
    out = parse_file(p)
    assert out.doc is None and out.status == "failed"
    assert "PDF" in out.reason


def test_docx_paragraphs_headings_and_tables(tmp_path: Path) -> None:
    p = make_docx(tmp_path / "d.docx", title="Report", sections=[("Budget", ["We spent little."])],
                  table=[["Item", "Cost"], ["Paper", "3"]])
    out = parse_file(p)
    assert out.doc is not None
    kinds = [b.kind for b in out.doc.blocks]
    assert kinds.count("heading") == 2 and "table" in kinds
    assert "Paper | 3" in out.doc.text
    para = next(b for b in out.doc.blocks if b.kind == "paragraph")
    assert para.heading == "Budget"


def test_zip_bomb_docx_is_refused(tmp_path: Path) -> None:
    p = make_zip_bomb_docx(tmp_path / "bomb.docx", inflated_mb=20)
    assert p.stat().st_size < 200_000
    out = parse_file(p)
    assert out.status == "skipped" and "zip bomb" in out.reason


def test_docx_total_size_cap(tmp_path: Path) -> None:
    p = make_zip_bomb_docx(tmp_path / "big.docx", inflated_mb=3)
    out = parse_file(p, ParseLimits(max_unzipped_bytes=2 * 1024 * 1024, max_zip_ratio=1e9))
    assert out.status == "skipped" and "expands to" in out.reason


def test_binary_renamed_txt_is_skipped(tmp_path: Path) -> None:
    p = tmp_path / "photo.txt"
    p.write_bytes(os.urandom(4096) + b"\x00\x00\x00")
    out = parse_file(p)
    assert out.status == "skipped" and "binary" in out.reason


def test_latin1_and_utf16_text(tmp_path: Path) -> None:
    text = "Le café à Paris sert une crème brûlée très sucrée, dit la propriétaire."
    (tmp_path / "l1.txt").write_bytes(text.encode("latin-1"))
    (tmp_path / "u16.txt").write_bytes(text.encode("utf-16"))
    for name in ("l1.txt", "u16.txt"):
        out = parse_file(tmp_path / name)
        assert out.doc is not None, out.reason
        assert "café" in out.doc.text and "brûlée" in out.doc.text


def test_empty_file_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "empty.md").write_bytes(b"")
    out = parse_file(tmp_path / "empty.md")
    assert out.status == "skipped" and "empty" in out.reason


def test_big_single_line_file_hits_the_size_cap(tmp_path: Path) -> None:
    p = tmp_path / "huge.txt"
    with p.open("wb") as f:
        for _ in range(50):
            f.write(b"word " * 209_716)  # 50 MB, no newline
    out = parse_file(p)
    assert out.status == "skipped" and "too large" in out.reason


def test_unknown_extension_is_sniffed(tmp_path: Path) -> None:
    (tmp_path / "NOTES").write_text("plain words in a file without extension", encoding="utf-8")
    (tmp_path / "blob.xyz").write_bytes(b"\x00\x01\x02" * 100)
    assert parse_file(tmp_path / "NOTES").status == "ok"
    out = parse_file(tmp_path / "blob.xyz")
    assert out.status == "skipped" and "unsupported" in out.reason


def test_markdown_headings_and_html_main_text(docs_dir: Path) -> None:
    md = parse_file(docs_dir / "notes.md").doc
    assert md is not None
    basil = next(b for b in md.blocks if "basil" in md.text[b.start : b.end])
    assert basil.heading == "Watering"
    html = parse_file(docs_dir / "page.html").doc
    assert html is not None
    assert "sourdough starter" in html.text
    assert "Home | About" not in html.text and "Copyright" not in html.text
    assert html.title == "Bread"


def test_worker_enforces_the_time_limit_and_recovers(tmp_path: Path) -> None:
    slow = make_pdf(tmp_path / "slow.pdf", [["x"]], ops_per_page=200_000)  # ~10 s to extract
    fine = make_pdf(tmp_path / "fine.pdf", [["quick"]])
    worker = ParseWorker(ParseLimits(time_limit_s=1.0))
    try:
        out = worker.parse(slow)
        assert out.status == "failed" and "longer than" in out.reason
        again = worker.parse(fine)  # a fresh child takes over
        assert again.status == "ok" and again.doc is not None and "quick" in again.doc.text
    finally:
        worker.close()


@pytest.mark.parametrize("ext", [".png", ".zip"])
def test_known_binary_types_are_skipped(tmp_path: Path, ext: str) -> None:
    p = tmp_path / f"f{ext}"
    p.write_bytes(b"whatever")
    assert parse_file(p).status == "skipped"
