"""Library view against real libraries: drop-to-ingest with per-file status, cancel, search."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

pytest.importorskip("apsw")
pytest.importorskip("sqlite_vec")


@pytest.fixture
def view(qtbot, make_ctx):
    from desktop.views.library_view import LibraryView

    v = LibraryView(make_ctx())
    qtbot.addWidget(v)
    v.show()
    return v


def _docs(tmp_path: Path) -> Path:
    d = tmp_path / "drop"
    d.mkdir()
    (d / "tides.md").write_text("# Tides\n\nThe moon's gravity raises two tidal bulges on the oceans.\n")
    (d / "bees.txt").write_text("Honey bees communicate the direction of flowers with a waggle dance.\n")
    (d / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<")  # truncated: must show as failed
    return d


def _status(view) -> dict[str, tuple[str, str]]:
    t = view.documents
    return {Path(t.item(r, 0).text()).name: (t.item(r, 2).text(), t.item(r, 4).text()) for r in range(t.rowCount())}


def test_section_is_registered() -> None:
    from desktop.sections import available_sections

    assert "library" in [s.key for s in available_sections()]


def test_drop_folder_ingests_and_shows_status_then_search(qtbot, view, tmp_path: Path) -> None:
    view.select_library("notes")
    folder = _docs(tmp_path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(view.ingest_finished, timeout=180_000) as blocker:
        view.dropEvent(drop)
        assert view.busy and view.progress.isVisible()
    report = blocker.args[0]
    assert report.indexed == 2 and report.failed == 1
    status = _status(view)
    assert status["tides.md"][0] == "indexed" and status["bees.txt"][0] == "indexed"
    assert status["broken.pdf"][0] == "failed" and "PDF" in status["broken.pdf"][1]
    assert "3 documents" in view.summary.text()
    assert not view.busy and not view.progress.isVisible()

    view.query.setText("how do bees tell each other where flowers are")
    for mode in ("hybrid", "bm25"):
        view.mode_box.setCurrentText(mode)
        with qtbot.waitSignal(view.search_finished, timeout=60_000) as found:
            qtbot.keyClick(view.query, Qt.Key.Key_Return)
        hits = found.args[0]
        assert hits and hits[0].path.endswith("bees.txt")
        assert view.results.count() == len(hits) and "bees.txt" in view.results.item(0).text()


def test_cancel_keeps_what_was_indexed(qtbot, view, tmp_path: Path) -> None:
    d = tmp_path / "many"
    d.mkdir()
    for i in range(40):
        (d / f"n{i:02d}.txt").write_text(f"Note {i} about topic {i % 5}. " * 20)
    view.select_library("many")
    job = view.ingest_paths([str(d)])
    assert job is not None
    job.signals.item.connect(lambda ev: view.cancel_ingest() if getattr(ev, "done", 0) >= 3 else None)
    with qtbot.waitSignal(view.ingest_finished, timeout=180_000) as blocker:
        pass
    report = blocker.args[0]
    assert report.cancelled and report.seen < 40
    # the next run finishes the rest and re-reads nothing already indexed
    with qtbot.waitSignal(view.ingest_finished, timeout=300_000) as again:
        view.ingest_paths([str(d)])
    assert again.args[0].indexed + again.args[0].unchanged == 40
    assert view.documents.rowCount() == 40
