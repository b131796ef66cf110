"""Telemetry: charts over time per model, adapter and prompt version; calls with filters; export; server.

Charts show latency, time to first token, tokens/s, tokens and estimated cost.

Queries run on the job pool (DuckDB, never on the GUI thread) and refresh every few seconds while shown.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.views.server_panel import ServerPanel
from desktop.views.telemetry_chart import LineChart
from engine.telemetry import CallFilter, utcnow
from engine.telemetry.replay import replay_spec

log = logging.getLogger(__name__)

RANGES = (("Last hour", timedelta(hours=1)), ("Last 24 hours", timedelta(days=1)), ("Last 7 days", timedelta(days=7)),
          ("Last 30 days", timedelta(days=30)), ("All time", None))
FILTERS = (("source", "Source"), ("model", "Model"), ("adapter", "Adapter"), ("prompt_version", "Prompt version"),
           ("status", "Status"))
CHARTS = (("latency_ms", "Latency", "ms"), ("ttft_ms", "Time to first token", "ms"), ("tokens_per_s", "Speed", "tokens/s"),
          ("tokens", "Tokens", "per bucket"), ("cost_usd", "Estimated cost", "$ per bucket"))
TABLE_COLUMNS = (("call_id", "Call"), ("ts", "Time (UTC)"), ("source", "Source"), ("route", "Route"), ("model", "Model"),
                 ("adapter", "Adapter"), ("prompt_version", "Prompt ver."), ("prompt_tokens", "Prompt tok."),
                 ("completion_tokens", "Compl. tok."), ("ttft_ms", "TTFT ms"), ("latency_ms", "Latency ms"),
                 ("tokens_per_s", "tok/s"), ("status", "Status"), ("cost_usd", "Cost $"))
REFRESH_MS = 5000


def _cell(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key == "ts":
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if key == "cost_usd":
        return f"{value:.6f}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


class TelemetryView(QWidget):
    """Charts, a filtered call list, export and the server switch."""

    #: emitted after each refresh reached the widgets (tests wait on it)
    refreshed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.telemetry = ctx.engine.telemetry
        self._busy = False
        self._last_rows: list[dict[str, Any]] = []

        self.range = QComboBox()
        for label, _ in RANGES:
            self.range.addItem(label)
        self.range.setCurrentIndex(1)
        self.filters: dict[str, QComboBox] = {}
        bar = QHBoxLayout()
        bar.addWidget(self.range)
        for key, label in FILTERS:
            box = QComboBox()
            box.addItem(f"All {label.lower()}s" if key != "status" else "Any status", None)
            box.setMinimumContentsLength(10)
            self.filters[key] = box
            bar.addWidget(box)
        self.refresh_button = QPushButton("Refresh")
        self.export_csv = QPushButton("Export CSV…")
        self.export_parquet = QPushButton("Export Parquet…")
        bar.addStretch(1)
        for b in (self.refresh_button, self.export_csv, self.export_parquet):
            bar.addWidget(b)

        self.summary = QLabel("")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.charts: dict[str, LineChart] = {key: LineChart(title, unit) for key, title, unit in CHARTS}
        chart_box = QWidget()
        grid = QGridLayout(chart_box)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, chart in enumerate(self.charts.values()):
            grid.addWidget(chart, i // 3, i % 3)

        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setHorizontalHeaderLabels([label for _, label in TABLE_COLUMNS])
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select a call to see what is needed to replay it.")
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.table)
        lower.addWidget(self.details)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(chart_box)
        split.addWidget(lower)

        self.server = ServerPanel(ctx)
        layout = QVBoxLayout(self)
        layout.addWidget(self.server)
        layout.addLayout(bar)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.refresh_button.clicked.connect(self.refresh)
        self.range.currentIndexChanged.connect(self.refresh)
        for box in self.filters.values():
            box.activated.connect(self.refresh)
        self.export_csv.clicked.connect(lambda: self._ask_export("csv"))
        self.export_parquet.clicked.connect(lambda: self._ask_export("parquet"))
        self.table.itemSelectionChanged.connect(self._show_selected)

    # ---- lifecycle ---------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: D102, N802 - Qt API
        super().showEvent(event)
        self.refresh()
        self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: D102, N802 - Qt API
        self.timer.stop()
        super().hideEvent(event)

    # ---- queries -----------------------------------------------------------------------------------
    def current_filter(self) -> CallFilter:
        """The filter the controls describe."""
        span = RANGES[self.range.currentIndex()][1]
        values = {key: box.currentData() for key, box in self.filters.items()}
        return CallFilter(since=utcnow() - span if span else None, **values)

    def refresh(self) -> Any:
        """Re-run the queries in the background (skipped while one is running)."""
        if self._busy:
            return None
        self._busy = True
        flt = self.current_filter()
        tel = self.telemetry

        def load() -> dict[str, Any]:
            bucket, series = tel.series(flt, group_by=("model", "adapter", "prompt_version"))
            options = {key: tel.distinct(key) for key, _ in FILTERS if key != "status"}
            options["status"] = ["ok", "error", "cancelled"]
            return {"summary": tel.summary(flt), "bucket": bucket, "series": series, "calls": tel.calls(flt, limit=500), "options": options}

        job = self.ctx.jobs.submit(load, pass_cancel=False)
        job.signals.done.connect(self._loaded)
        job.signals.failed.connect(self._failed)
        return job

    def _failed(self, message: str) -> None:
        self._busy = False
        self.summary.setText(f"Telemetry unavailable: {message}")
        self.refreshed.emit()

    def _loaded(self, data: dict[str, Any]) -> None:
        self._busy = False
        for key, values in data["options"].items():
            box = self.filters[key]
            current = box.currentData()
            known = {box.itemData(i) for i in range(1, box.count())}
            for v in values:
                if v not in known:
                    box.addItem(v, v)
            if current is not None:
                box.setCurrentIndex(max(box.findData(current), 0))
        s = data["summary"]

        def ms(v: Any) -> str:
            return "-" if v is None else f"{v:,.0f} ms"

        self.summary.setText(
            f"{s['calls']:,} calls · {s['errors']:,} errors · latency p50 {ms(s['latency_ms_p50'])}, p95 {ms(s['latency_ms_p95'])}"
            f" · TTFT p50 {ms(s['ttft_ms_p50'])} · {s['prompt_tokens'] + s['completion_tokens']:,} tokens"
            f" · est. cost ${s['cost_usd']:.6f} (cloud equivalent ${s['cloud_equiv_usd']:.4f}) · buckets of {data['bucket']}"
        )
        for key, chart in self.charts.items():
            series: dict[str, list[Any]] = {}
            for row in data["series"]:
                if row.get(key) is not None:
                    series.setdefault(row["group"], []).append((row["bucket"], float(row[key])))
            chart.set_series(series)
        self._fill_table(data["calls"])
        self.refreshed.emit()

    def _fill_table(self, rows: list[dict[str, Any]]) -> None:
        selected = self.selected_call_id()
        self._last_rows = rows
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, (key, _) in enumerate(TABLE_COLUMNS):
                item = QTableWidgetItem(_cell(key, row.get(key)))
                if key == "call_id":
                    item.setData(Qt.ItemDataRole.UserRole, row["call_id"])
                if key == "status" and row.get("error"):
                    item.setToolTip(row["error"])
                self.table.setItem(r, c, item)
            if row["call_id"] == selected:
                self.table.selectRow(r)
        self.table.resizeColumnsToContents()

    def selected_call_id(self) -> str | None:
        """The call id of the selected row."""
        items = self.table.selectedItems()
        if not items:
            return None
        item = self.table.item(items[0].row(), 0)
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def _show_selected(self) -> None:
        call_id = self.selected_call_id()
        if call_id is None:
            return
        tel = self.telemetry
        job = self.ctx.jobs.submit(lambda: replay_spec(tel.call(call_id)), pass_cancel=False)
        job.signals.done.connect(lambda spec: self.details.setPlainText(json.dumps(spec, indent=2, default=str)))
        job.signals.failed.connect(self.ctx.events.error.emit)

    # ---- export ------------------------------------------------------------------------------------
    def _ask_export(self, fmt: str) -> None:
        path, _ = QFileDialog.getSaveFileName(self, f"Export calls as {fmt.upper()}", f"telemetry.{fmt}", f"{fmt.upper()} (*.{fmt})")
        if path:
            self.export_to(Path(path), fmt)

    def export_to(self, path: Path, fmt: str) -> Any:
        """Export the calls matching the current filter (in the background)."""
        tel, flt = self.telemetry, self.current_filter()
        job = self.ctx.jobs.submit(lambda: tel.export(path, fmt, flt), pass_cancel=False)
        job.signals.done.connect(lambda n: self.ctx.events.status.emit(f"Exported {n} calls to {path}"))
        job.signals.failed.connect(self.ctx.events.error.emit)
        return job

    def closeEvent(self, event: Any) -> None:  # noqa: D102, N802 - Qt API
        self.server.shutdown()
        super().closeEvent(event)
