"""A small time-series line chart drawn with QPainter (QtCharts is not in PySide6-Essentials)."""

from __future__ import annotations

import math
from datetime import datetime

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

#: distinguishable line colours (Okabe-Ito, readable on light and dark themes)
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#999999")

Point = tuple[datetime, float]


def nice_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = [round(start, 10)]
    while ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:.4g}"
    return f"{v:.2g}"


class LineChart(QWidget):
    """Lines of (time, value) points, one per series, with axes, grid and a legend."""

    def __init__(self, title: str, unit: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.unit = unit
        self.series: dict[str, list[Point]] = {}
        self.setMinimumSize(260, 170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: D102 - Qt API
        return QSize(420, 220)

    def set_series(self, series: dict[str, list[Point]]) -> None:
        """Replace the data (points need not be sorted) and repaint."""
        self.series = {k: sorted((p for p in v if p[1] is not None), key=lambda p: p[0]) for k, v in series.items()}
        self.update()

    def plot_rect(self) -> QRectF:
        """The area inside the axes (where lines are drawn)."""
        return QRectF(56, 26, max(self.width() - 56 - 12, 10), max(self.height() - 26 - 44, 10))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: D102, N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        fg = pal.color(pal.ColorRole.WindowText)
        grid = QColor(fg)
        grid.setAlpha(40)
        font = QFont(self.font())
        p.setPen(fg)
        font.setBold(True)
        p.setFont(font)
        p.drawText(QRectF(8, 4, self.width() - 16, 20), Qt.AlignmentFlag.AlignLeft, self.title + (f" ({self.unit})" if self.unit else ""))
        font.setBold(False)
        font.setPointSizeF(max(font.pointSizeF() - 1.5, 6.0))
        p.setFont(font)
        area = self.plot_rect()
        points = [pt for pts in self.series.values() for pt in pts]
        if not points:
            p.setPen(grid.lighter(200) if grid.lightness() < 128 else fg)
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, "No calls in this range")
            p.end()
            return
        xs = [pt[0].timestamp() for pt in points]
        ys = [pt[1] for pt in points]
        x0, x1 = min(xs), max(xs)
        if x1 - x0 < 1:
            x0, x1 = x0 - 30, x1 + 30
        ticks = nice_ticks(min(0.0, min(ys)), max(ys))
        y0, y1 = ticks[0], ticks[-1]

        def to_px(t: float, v: float) -> QPointF:
            return QPointF(
                area.left() + (t - x0) / (x1 - x0) * area.width(),
                area.bottom() - (v - y0) / ((y1 - y0) or 1.0) * area.height(),
            )

        for v in ticks:  # grid and y labels
            y = to_px(x0, v).y()
            p.setPen(QPen(grid, 1))
            p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            p.setPen(fg)
            p.drawText(QRectF(0, y - 8, area.left() - 6, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, _fmt(v))
        for frac in (0.0, 0.5, 1.0):  # x labels
            t = x0 + frac * (x1 - x0)
            label = datetime.fromtimestamp(t).strftime("%m-%d %H:%M")
            x = area.left() + frac * area.width()
            align = Qt.AlignmentFlag.AlignLeft if frac == 0 else Qt.AlignmentFlag.AlignRight if frac == 1 else Qt.AlignmentFlag.AlignHCenter
            rect = QRectF(x - (0 if frac == 0 else 90 if frac == 1 else 45), area.bottom() + 2, 90, 14)
            p.drawText(rect, align, label)
        p.setPen(QPen(fg, 1))
        p.drawLine(area.bottomLeft(), area.bottomRight())
        p.drawLine(area.bottomLeft(), area.topLeft())
        legend_x = area.left()
        for i, (name, pts) in enumerate(self.series.items()):
            color = QColor(PALETTE[i % len(PALETTE)])
            p.setPen(QPen(color, 2))
            p.setBrush(color)
            if len(pts) > 1:
                path = QPainterPath(to_px(pts[0][0].timestamp(), pts[0][1]))
                for t, v in pts[1:]:
                    path.lineTo(to_px(t.timestamp(), v))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawPath(path)
                p.setBrush(color)
            for t, v in pts:
                p.drawEllipse(to_px(t.timestamp(), v), 2.5, 2.5)
            label = name or "(default)"
            p.fillRect(QRectF(legend_x, self.height() - 14, 10, 10), color)
            p.setPen(fg)
            width = p.fontMetrics().horizontalAdvance(label)
            p.drawText(QPointF(legend_x + 14, self.height() - 5), label)
            legend_x += 14 + width + 14
        p.end()
