"""Library: pick or create a document library, drop files to index them, see per-file status, search.

All engine work (ingestion, search) runs on the job pool through :class:`desktop.workers.GeneratorJob`;
the view only lays out widgets and turns job signals into rows. Double-clicking a result opens its
document with the system viewer.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.workers import GeneratorJob
from engine.jobs import Progress

log = logging.getLogger(__name__)

MODES = ("hybrid", "bm25", "dense", "rerank")
DOC_COLUMNS = ("Document", "Type", "Status", "Chunks", "Note")


class LibraryView(QWidget):
    """The Library section."""

    #: an ingestion ended (its IngestReport, or None when it failed)
    ingest_finished = Signal(object)
    #: a search ended (the list of SearchHit)
    search_finished = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.engine = ctx.engine
        self._ingest_job: GeneratorJob | None = None
        self._search_job: GeneratorJob | None = None
        self.hits: list[Any] = []
        self._last_report: Any = None
        self.setAcceptDrops(True)

        # -- library bar
        self.library_box = QComboBox()
        self.library_box.currentTextChanged.connect(self._library_changed)
        self.new_button = QPushButton("New library…")
        self.new_button.clicked.connect(self._new_library)
        self.add_files_button = QPushButton("Add files…")
        self.add_files_button.clicked.connect(self._pick_files)
        self.add_folder_button = QPushButton("Add folder…")
        self.add_folder_button.clicked.connect(self._pick_folder)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_ingest)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Library:"))
        bar.addWidget(self.library_box, 1)
        for b in (self.new_button, self.add_files_button, self.add_folder_button, self.cancel_button):
            bar.addWidget(b)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        # -- documents
        self.documents = QTableWidget(0, len(DOC_COLUMNS))
        self.documents.setHorizontalHeaderLabels(DOC_COLUMNS)
        self.documents.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.documents.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.documents.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.documents.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.documents.verticalHeader().setVisible(False)

        # -- search
        self.query = QLineEdit()
        self.query.setPlaceholderText("Search this library…")
        self.query.returnPressed.connect(self.search)
        self.mode_box = QComboBox()
        self.mode_box.addItems(MODES)
        self.search_button = QPushButton("Search")
        self.search_button.clicked.connect(self.search)
        self.results = QListWidget()
        self.results.setWordWrap(True)
        self.results.itemActivated.connect(self._open_result)
        self.search_status = QLabel()
        search_bar = QHBoxLayout()
        search_bar.addWidget(self.query, 1)
        search_bar.addWidget(self.mode_box)
        search_bar.addWidget(self.search_button)
        search_box = QWidget()
        sl = QVBoxLayout(search_box)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addLayout(search_bar)
        sl.addWidget(self.results, 1)
        sl.addWidget(self.search_status)

        split = QSplitter()
        split.addWidget(self.documents)
        split.addWidget(search_box)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        hint = QLabel("Drop files or folders here to add them to the library.")
        hint.setEnabled(False)
        layout.addWidget(hint)
        self.refresh_libraries()

    # ---- libraries ---------------------------------------------------------------------------------
    @property
    def library_name(self) -> str:
        """The selected library ('' when there is none)."""
        return self.library_box.currentText()

    def refresh_libraries(self, select: str | None = None) -> None:
        """Re-read the library list (keeps or sets the selection)."""
        current = select or self.library_name
        names = [n for n in self.engine.libraries() if not n.startswith("beir-")]
        if current and current not in names:
            names.append(current)
        self.library_box.blockSignals(True)
        self.library_box.clear()
        self.library_box.addItems(sorted(names))
        if current:
            self.library_box.setCurrentText(current)
        self.library_box.blockSignals(False)
        self._library_changed(self.library_name)

    def select_library(self, name: str) -> None:
        """Select (or start a new) library by name."""
        self.refresh_libraries(select=name)

    def _new_library(self) -> None:
        name, ok = QInputDialog.getText(self, "New library", "Name (letters, digits, - and _):")
        if ok and name.strip():
            self.select_library(name.strip())

    def _library_changed(self, name: str) -> None:
        self.results.clear()
        self.hits = []
        self.refresh_documents()

    def refresh_documents(self) -> None:
        """Fill the documents table from the library file."""
        self.documents.setRowCount(0)
        name = self.library_name
        if not name or name not in self.engine.libraries():
            self.summary.setText("Empty library: add files or folders to index them." if name else "No library yet.")
            return
        try:
            lib = self.engine.library(name)
            docs = lib.documents(limit=5000)
            info = lib.info()
        except Exception as exc:  # a damaged file: say so, keep the app alive
            self.ctx.events.error.emit(str(exc))
            return
        self.documents.setRowCount(len(docs))
        for row, d in enumerate(docs):
            note = d.error or ("same content as another file" if d.status == "duplicate" else "")
            for col, value in enumerate((d.path, d.kind, d.status, str(d.chunks), note)):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.documents.setItem(row, col, item)
        by = ", ".join(f"{n} {s}" for s, n in sorted(info.by_status.items()))
        self.summary.setText(f"{info.documents} documents ({by}), {info.chunks} chunks · {info.embedding_model}")

    # ---- ingestion ---------------------------------------------------------------------------------
    def _pick_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add files to the library")
        if files:
            self.ingest_paths(files)

    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder to the library")
        if folder:
            self.ingest_paths([folder])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        """Accept dragged files and folders."""
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        """Index dropped files and folders."""
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.ingest_paths(paths)
            event.acceptProposedAction()

    @property
    def busy(self) -> bool:
        """True while an ingestion runs."""
        return self._ingest_job is not None

    def ingest_paths(self, paths: list[str]) -> GeneratorJob | None:
        """Index ``paths`` into the selected library (created when new) on the job pool."""
        if self.busy:
            self.ctx.events.status.emit("An ingestion is already running.")
            return None
        name = self.library_name or "default"
        if not self.library_name:
            self.select_library(name)
        try:
            lib = self.engine.library(name, create=True)
        except Exception as exc:
            self.ctx.events.error.emit(str(exc))
            return None
        job = self.ctx.jobs.submit(lib.ingest, [str(p) for p in paths])
        self._ingest_job = job
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.cancel_button.setEnabled(True)
        for b in (self.add_files_button, self.add_folder_button):
            b.setEnabled(False)
        job.signals.item.connect(self._on_ingest_event)
        job.signals.done.connect(self._on_ingest_done)
        job.signals.failed.connect(self._on_ingest_failed)
        job.signals.finished.connect(self._on_ingest_finished)
        return job

    def cancel_ingest(self) -> None:
        """Stop the running ingestion after the current file (what is done stays indexed)."""
        if self._ingest_job is not None:
            self._ingest_job.cancel()
            self.cancel_button.setEnabled(False)

    def _on_ingest_event(self, ev: Any) -> None:
        from engine.retrieval.types import FileEvent

        if isinstance(ev, Progress):
            if ev.total:
                self.progress.setRange(0, ev.total)
                self.progress.setValue(ev.done)
            self.ctx.events.progress.emit(f"Indexing {self.library_name}", ev.done, ev.total)
        elif isinstance(ev, FileEvent) and ev.state in ("failed", "skipped"):
            self.summary.setText(f"{Path(ev.path).name}: {ev.state} ({ev.reason})")

    def _on_ingest_done(self, report: Any) -> None:
        from engine.retrieval.types import IngestReport

        if isinstance(report, IngestReport):
            msg = (f"{report.indexed} indexed, {report.unchanged} unchanged, {report.duplicate} duplicates, "
                   f"{report.skipped} skipped, {report.failed} failed, {report.removed} removed")
            self.ctx.events.status.emit(msg + (" (cancelled)" if report.cancelled else ""))
            self._last_report = report

    def _on_ingest_failed(self, message: str) -> None:
        self.ctx.events.error.emit(message)

    def _on_ingest_finished(self) -> None:
        self._ingest_job = None
        self.progress.setVisible(False)
        self.cancel_button.setEnabled(False)
        for b in (self.add_files_button, self.add_folder_button):
            b.setEnabled(True)
        self.refresh_libraries()
        report, self._last_report = self._last_report, None
        self.ingest_finished.emit(report)  # after the table shows the new statuses

    # ---- search ------------------------------------------------------------------------------------
    def search(self) -> GeneratorJob | None:
        """Search the selected library for the query text on the job pool."""
        text = self.query.text().strip()
        name = self.library_name
        if not text or not name or name not in self.engine.libraries():
            return None
        lib = self.engine.library(name)
        mode = self.mode_box.currentText()
        job = self.ctx.jobs.submit(lib.search, text, k=10, mode=mode, pass_cancel=False)
        self._search_job = job
        self.search_status.setText("Searching…")
        job.signals.done.connect(self._show_hits)
        job.signals.failed.connect(self._search_failed)
        return job

    def _show_hits(self, hits: Any) -> None:
        self.hits = list(hits or [])
        self.results.clear()
        for h in self.hits:
            where = Path(h.path).name + (f" · page {h.page}" if h.page else "")
            snippet = " ".join(h.text.split())
            item = QListWidgetItem(f"{where}   [{h.score:.3f}]\n{snippet[:280]}{'…' if len(snippet) > 280 else ''}")
            item.setToolTip(h.path)
            self.results.addItem(item)
        self.search_status.setText(f"{len(self.hits)} results" if self.hits else "No results.")
        self.search_finished.emit(self.hits)

    def _search_failed(self, message: str) -> None:
        self.search_status.setText("Search failed.")
        self.ctx.events.error.emit(message)
        self.search_finished.emit([])

    def _open_result(self, item: QListWidgetItem) -> None:
        row = self.results.row(item)
        if 0 <= row < len(self.hits):
            path = Path(self.hits[row].path)
            if path.exists():
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
