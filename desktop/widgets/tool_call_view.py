"""One tool call shown inline in a chat turn: name, arguments, status, result and duration."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

from engine.tools.executor import ToolOutcome
from engine.types import ToolCall

_COLOURS = {"ok": "#2e7d32", "offline": "#b26a00", "denied": "#b26a00", "running": "#1565c0"}


class ToolCallView(QFrame):
    """A compact card: ``⚙ name(args) — status · 12 ms`` with the result folded out on demand.

    Build it when the call starts (``ToolCallView(call)``) and call :meth:`set_outcome` when it ends,
    or build it from a finished outcome (``ToolCallView.from_outcome``) for past turns.
    """

    def __init__(self, call: ToolCall, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("toolCall")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.call = call
        self.outcome: ToolOutcome | None = None
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.PlainText)
        self.header.setWordWrap(True)
        self.arguments = QLabel(_pretty(call.arguments))
        self.arguments.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.arguments.setStyleSheet("font-family: monospace;")
        self.arguments.setWordWrap(True)
        self.toggle = QToolButton()
        self.toggle.setText("Show result")
        self.toggle.setCheckable(True)
        self.toggle.setEnabled(False)
        self.toggle.toggled.connect(self._toggled)
        self.result = QPlainTextEdit()
        self.result.setReadOnly(True)
        self.result.setMaximumHeight(160)
        self.result.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.header)
        layout.addWidget(self.arguments)
        layout.addWidget(self.toggle, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.result)
        self._render("running", "")

    @classmethod
    def from_outcome(cls, outcome: ToolOutcome, parent: QWidget | None = None) -> ToolCallView:
        """A finished card for ``outcome``."""
        view = cls(ToolCall(outcome.call_id, outcome.name, outcome.raw_arguments), parent)
        view.set_outcome(outcome)
        return view

    @classmethod
    def from_dict(cls, data: dict[str, Any], parent: QWidget | None = None) -> ToolCallView:
        """A finished card from :meth:`ToolOutcome.to_dict` (e.g. stored in a message's metadata)."""
        args = data.get("arguments")
        raw = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
        outcome = ToolOutcome(
            call_id=str(data.get("id", "")), name=str(data.get("name", "?")), raw_arguments=raw,
            arguments=args if isinstance(args, dict) else None, status=str(data.get("status", "ok")),
            content=str(data.get("result", "")), duration_s=float(data.get("duration_ms", 0)) / 1000,
            truncated=bool(data.get("truncated")), confirmed=data.get("confirmed"),
        )
        return cls.from_outcome(outcome, parent)

    def set_outcome(self, outcome: ToolOutcome) -> None:
        """Show how the call ended."""
        self.outcome = outcome
        self.result.setPlainText(outcome.content)
        self.toggle.setEnabled(True)
        if not outcome.ok:  # errors, refusals and "no network" are shown at once
            self.toggle.setChecked(True)
        self._render(outcome.status, f" · {outcome.duration_s * 1000:.0f} ms" + (" · truncated" if outcome.truncated else ""))

    @property
    def header_text(self) -> str:
        """The header line (for tests and accessibility)."""
        return self.header.text()

    def _render(self, status: str, extra: str) -> None:
        label = {"ok": "done", "running": "running…", "denied": "not allowed", "offline": "no network"}.get(status, status.replace("_", " "))
        self.header.setText(f"⚙ {self.call.name} — {label}{extra}")
        colour = _COLOURS.get(status, "#c62828")
        self.header.setStyleSheet(f"font-weight: 600; color: {colour};")

    def _toggled(self, on: bool) -> None:
        self.result.setVisible(on)
        self.toggle.setText("Hide result" if on else "Show result")


def _pretty(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), ensure_ascii=False)
    except ValueError:
        return arguments
