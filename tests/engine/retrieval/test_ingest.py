from __future__ import annotations

import os
import shutil
from pathlib import Path

from files import make_encrypted_pdf, make_zip_bomb_docx

from engine.retrieval.ingest import IngestOptions
from engine.retrieval.types import FileEvent, IngestReport

INLINE = IngestOptions(isolate_parsing=False)


def run(lib, paths, options=INLINE):
    events = list(lib.ingest(paths, options=options))
    report = events[-1]
    assert isinstance(report, IngestReport)
    files = {Path(e.path).name: e for e in events if isinstance(e, FileEvent)}
    return report, files


def test_ingest_every_kind_then_nothing_changes(library, docs_dir: Path) -> None:
    report, files = run(library, [docs_dir], IngestOptions())  # real child-process parsing
    assert report.indexed == 6 and report.failed == 0, files
    assert {f.state for f in files.values()} == {"indexed"}
    info = library.info()
    assert info.chunks == report.chunks and info.embedding_model == "all-MiniLM-L6-v2" and info.dimension == 384
    assert library.integrity()["integrity_check"] == "ok"
    again, files2 = run(library, [docs_dir])
    assert again.unchanged == 6 and again.indexed == 0 and again.chunks == 0


def test_changed_file_is_reindexed_and_deleted_file_removed(library, docs_dir: Path) -> None:
    run(library, [docs_dir])
    (docs_dir / "notes.md").write_text("# Garden notes\n\nCucumbers like warm greenhouses.\n", encoding="utf-8")
    (docs_dir / "readme.txt").unlink()
    report, files = run(library, [docs_dir])
    assert files["notes.md"].state == "indexed"
    assert files["readme.txt"].state == "removed"
    assert report.unchanged == 4
    paths = {Path(d.path).name for d in library.documents()}
    assert "readme.txt" not in paths
    assert library.search("cucumbers greenhouse", k=1, mode="bm25")[0].path.endswith("notes.md")
    assert not library.search("lighthouses rocky coasts", k=3, mode="bm25")
    check = library.integrity()
    assert check["orphan_chunks"] == 0 and check["vectors_without_chunk"] == 0 and check["fts"] == "ok"


def test_touched_but_identical_file_is_not_reembedded(library, docs_dir: Path) -> None:
    run(library, [docs_dir])
    st = (docs_dir / "notes.md").stat()
    os.utime(docs_dir / "notes.md", (st.st_atime, st.st_mtime + 100))
    report, files = run(library, [docs_dir])
    assert files["notes.md"].state == "unchanged" and report.chunks == 0


def test_duplicates_are_stored_once_and_survive_deleting_the_original(library, docs_dir: Path) -> None:
    shutil.copy(docs_dir / "readme.txt", docs_dir / "zz-copy.txt")
    shutil.copy(docs_dir / "readme.txt", docs_dir / "zz-third.txt")
    report, files = run(library, [docs_dir])
    assert report.duplicate == 2 and files["readme.txt"].state == "indexed"
    hits = library.search("lighthouses guide ships", k=5, mode="bm25")
    assert len(hits) == 1  # one copy of the content
    (docs_dir / "readme.txt").unlink()
    report, files = run(library, [docs_dir])
    assert files["readme.txt"].state == "removed"
    hits = library.search("lighthouses guide ships", k=5, mode="bm25")
    assert len(hits) == 1 and hits[0].path.endswith("zz-copy.txt")
    docs = {Path(d.path).name: d for d in library.documents()}
    assert docs["zz-copy.txt"].status == "indexed" and docs["zz-third.txt"].duplicate_of == docs["zz-copy.txt"].id
    assert library.integrity()["chunk_count_mismatch"] == 0


def test_bad_files_never_stop_the_batch(library, docs_dir: Path) -> None:
    make_encrypted_pdf(docs_dir / "locked.pdf", [["secret"]])
    make_zip_bomb_docx(docs_dir / "bomb.docx")
    (docs_dir / "cut.pdf").write_bytes((docs_dir / "lease.pdf").read_bytes()[:200])
    (docs_dir / "binary.txt").write_bytes(b"\x00\xff\x10" * 1000)
    (docs_dir / "empty.txt").write_bytes(b"")
    report, files = run(library, [docs_dir], IngestOptions())
    assert report.indexed == 6
    assert files["locked.pdf"].state == "skipped" and "password" in files["locked.pdf"].reason
    assert files["bomb.docx"].state == "skipped" and "zip bomb" in files["bomb.docx"].reason
    assert files["cut.pdf"].state == "failed" and files["cut.pdf"].reason
    assert files["binary.txt"].state == "skipped" and files["empty.txt"].state == "skipped"
    stored = {Path(d.path).name: d for d in library.documents()}
    assert stored["cut.pdf"].status == "failed" and stored["cut.pdf"].error  # per-file status + error kept
    # unchanged bad files are not re-read; --retry-failed re-reads them
    again, _ = run(library, [docs_dir])
    assert again.unchanged == 11
    retry, _ = run(library, [docs_dir], IngestOptions(isolate_parsing=False, retry_failed=True))
    assert retry.failed + retry.skipped == 5


def test_file_deleted_mid_ingest(library, docs_dir: Path) -> None:
    events = library.ingest([docs_dir], options=IngestOptions(isolate_parsing=False, flush_chunks=1))
    seen = []
    for ev in events:
        if isinstance(ev, FileEvent):
            seen.append(ev)
            if len(seen) == 1:  # files are walked in name order: script.py and readme.txt are still ahead
                (docs_dir / "script.py").unlink()
        last = ev
    assert isinstance(last, IngestReport) and last.failed == 0
    names = {Path(d.path).name for d in library.documents()}
    assert "script.py" not in names and "readme.txt" in names
    assert library.integrity()["orphan_chunks"] == 0


def test_cancel_stops_between_files_and_resume_finishes(library, docs_dir: Path) -> None:
    from engine.jobs import CancelToken

    token = CancelToken()
    events = []
    for ev in library.ingest([docs_dir], options=IngestOptions(isolate_parsing=False, flush_chunks=1), cancel=token):
        events.append(ev)
        if isinstance(ev, FileEvent) and ev.state == "indexed":
            token.cancel()
    report = events[-1]
    assert report.cancelled and 1 <= report.indexed < 6
    resumed, _ = run(library, [docs_dir])
    assert resumed.indexed + report.indexed == 6 and resumed.unchanged == report.indexed


def test_records_ingest_and_library_reopen(tmp_path: Path, minilm) -> None:
    from engine.retrieval.library import Library

    path = tmp_path / "r.sqlite"
    with Library(path, embedder=minilm) as lib:
        recs = [(f"d{i}", f"Title {i}", f"Body text number {i} about subject {i % 3}.") for i in range(20)]
        report = list(lib.ingest_records(recs, total=20))[-1]
        assert report.indexed == 20
    with Library(path, embedder=minilm) as lib:  # reopen: schema and meta kept
        assert lib.info().documents == 20
        report = list(lib.ingest_records(recs, total=20))[-1]
        assert report.unchanged == 20
        assert lib.store.get_meta("schema_version") == "1"
