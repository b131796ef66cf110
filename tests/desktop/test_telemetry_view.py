"""Telemetry view over real DuckDB rows: charts drawn offscreen, filters, export, the server switch."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from PySide6.QtGui import QColor, QImage

from engine.telemetry import CallRecord, new_call_id, utcnow


def _rows(ctx, n_hours: int = 6) -> None:
    tel = ctx.engine.telemetry
    now = utcnow()
    for h in range(n_hours):
        for model, version, latency in (("smollm2", "v1", 400.0), ("gemma3", "v2", 900.0)):
            tel.record(
                CallRecord(
                    call_id=new_call_id(),
                    ts=now - timedelta(hours=h, minutes=5),
                    source="gui" if model == "smollm2" else "api",
                    route="chat",
                    backend="llamacpp",
                    model=model,
                    prompt_version=version,
                    prompt_tokens=30 + h,
                    completion_tokens=40 + 2 * h,
                    ttft_ms=latency / 10,
                    latency_ms=latency + 10 * h,
                    tokens_per_s=50.0 - h,
                )
            )
    assert tel.flush()


@pytest.fixture
def view(qtbot, make_ctx):
    from desktop.views.telemetry_view import TelemetryView

    ctx = make_ctx()
    _rows(ctx)
    v = TelemetryView(ctx)
    qtbot.addWidget(v)
    v.resize(1200, 800)
    with qtbot.waitSignal(v.refreshed, timeout=60_000):
        v.show()
    yield v
    v.server.shutdown()


def _ink(image: QImage, rect, background: QColor) -> int:
    """Pixels in ``rect`` that differ from the background colour."""
    count = 0
    for x in range(int(rect.left()) + 2, int(rect.right()) - 2, 2):
        for y in range(int(rect.top()) + 2, int(rect.bottom()) - 2, 2):
            c = image.pixelColor(x, y)
            if abs(c.red() - background.red()) + abs(c.green() - background.green()) + abs(c.blue() - background.blue()) > 60:
                count += 1
    return count


def test_section_registered() -> None:
    from desktop.sections import available_sections

    assert "telemetry" in [s.key for s in available_sections()]


def test_charts_draw_lines_per_model_and_version(view) -> None:
    latency = view.charts["latency_ms"]
    assert set(latency.series) == {"smollm2 · v1", "gemma3 · v2"}
    assert all(len(pts) >= 5 for pts in latency.series.values())
    for key, chart in view.charts.items():
        image = chart.grab().toImage()
        bg = chart.palette().color(chart.backgroundRole())
        assert _ink(image, chart.plot_rect(), bg) > 40, f"{key} chart is empty"
    # the same chart without data has (almost) nothing in its plot area
    from desktop.views.telemetry_chart import LineChart

    empty = LineChart("Empty")
    empty.resize(latency.size())
    assert _ink(empty.grab().toImage(), empty.plot_rect(), bg) < _ink(latency.grab().toImage(), latency.plot_rect(), bg) / 4
    assert "12 calls" in view.summary.text()


def test_filters_and_table(qtbot, view) -> None:
    assert view.table.rowCount() == 12
    box = view.filters["model"]
    idx = box.findData("gemma3")
    assert idx > 0
    box.setCurrentIndex(idx)
    with qtbot.waitSignal(view.refreshed, timeout=30_000):
        box.activated.emit(idx)
    assert view.table.rowCount() == 6
    assert {view.table.item(r, 4).text() for r in range(6)} == {"gemma3"}
    assert set(view.charts["latency_ms"].series) == {"gemma3 · v2"}
    view.table.selectRow(0)
    qtbot.waitUntil(lambda: '"model_sha256"' in view.details.toPlainText(), timeout=30_000)


def test_export_csv(qtbot, view, tmp_path: Path) -> None:
    out = tmp_path / "calls.csv"
    job = view.export_to(out, "csv")
    with qtbot.waitSignal(job.signals.finished, timeout=30_000):
        pass
    with open(out, newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 12


def test_server_switch_serves_with_token(qtbot, view) -> None:
    view.server.port.setValue(0)
    with qtbot.waitSignal(view.server.state_changed, timeout=60_000) as started:
        view.server.switch.setChecked(True)
    url = started.args[0]
    assert url.startswith("http://127.0.0.1:")
    token = view.server.token.text()
    assert len(token) >= 20
    assert httpx.get(url + "/v1/models", timeout=30).status_code == 401
    models = httpx.get(url + "/v1/models", headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    assert "smollm2-135m-instruct" in [m["id"] for m in models["data"]]
    with qtbot.waitSignal(view.server.state_changed, timeout=60_000):
        view.server.switch.setChecked(False)
    with pytest.raises(httpx.HTTPError):
        httpx.get(url + "/health", timeout=2)
