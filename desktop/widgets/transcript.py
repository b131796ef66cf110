"""The chat transcript: one :class:`Turn` widget per message in a scroll area.

Each turn has a header, an *extras* area for inline widgets (tool calls, citations ...) and a Markdown
body. Streaming text is rendered on a throttled timer, not per token, so long replies stay smooth.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from desktop.widgets.markdown_view import MarkdownView

ROLE_TITLES = {"user": "You", "assistant": "Assistant", "system": "System", "tool": "Tool"}


class Turn(QFrame):
    """One message: header, inline widgets, Markdown body."""

    def __init__(self, role: str, text: str = "", meta: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Turn")
        self.setProperty("role", role)
        self.role = role
        self._header = QLabel(ROLE_TITLES.get(role, role.title()), self)
        self._header.setObjectName("TurnHeader")
        self._meta = QLabel(meta, self)
        self._meta.setObjectName("TurnMeta")
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self._header)
        head.addStretch(1)
        head.addWidget(self._meta)
        self.extras = QVBoxLayout()
        self.extras.setContentsMargins(0, 0, 0, 0)
        self.extras.setSpacing(4)
        self.body = MarkdownView(self)
        box = QVBoxLayout(self)
        box.setContentsMargins(14, 10, 14, 10)
        box.setSpacing(4)
        box.addLayout(head)
        box.addLayout(self.extras)
        box.addWidget(self.body)
        self.set_text(text)

    def set_text(self, text: str) -> None:
        """Render ``text`` (Markdown)."""
        self.body.set_markdown(text)

    def text(self) -> str:
        """The Markdown shown."""
        return self.body.markdown()

    def set_meta(self, meta: str) -> None:
        """Set the small right-aligned note (model, tokens/s ...)."""
        self._meta.setText(meta)

    def meta(self) -> str:
        """The note shown in the header."""
        return self._meta.text()

    def add_widget(self, widget: QWidget) -> None:
        """Insert an inline widget above the body (tool calls, citations ...)."""
        self.extras.addWidget(widget)


class Transcript(QScrollArea):
    """A vertical list of turns that follows the bottom while text streams in."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Transcript")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        body.setObjectName("TranscriptBody")
        self._column = QVBoxLayout(body)
        self._column.setContentsMargins(24, 18, 24, 18)
        self._column.setSpacing(12)
        self._empty = QLabel("Ask anything. Replies stream in as they are generated.\nEnter sends · Shift+Enter adds a line · Esc stops.", body)
        self._empty.setObjectName("EmptyState")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._column.addWidget(self._empty, 1)
        self._column.addStretch(0)
        self.setWidget(body)
        self.turns: list[Turn] = []
        self._follow = True
        self.verticalScrollBar().rangeChanged.connect(self._on_range)
        self.verticalScrollBar().valueChanged.connect(self._on_scroll)

    def clear(self) -> None:
        """Remove every turn."""
        for turn in self.turns:
            self._column.removeWidget(turn)
            turn.deleteLater()
        self.turns.clear()
        self._empty.show()
        self._follow = True

    def add_turn(self, role: str, text: str = "", meta: str = "") -> Turn:
        """Append a message and return its widget."""
        self._empty.hide()
        turn = Turn(role, text, meta, self.widget())
        self._column.insertWidget(self._column.count() - 1, turn)
        self.turns.append(turn)
        self._follow = True
        return turn

    def last_turn(self, role: str | None = None) -> Turn | None:
        """The latest turn (of ``role`` when given)."""
        for turn in reversed(self.turns):
            if role is None or turn.role == role:
                return turn
        return None

    def _on_scroll(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._follow = value >= bar.maximum() - 8

    def _on_range(self, _lo: int, hi: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(hi)


class StreamRenderer:
    """Collects streamed text and renders it into a turn at most every ``interval_ms``."""

    def __init__(self, turn: Turn, interval_ms: int = 50, meta: Callable[[], str] | None = None) -> None:
        self.turn = turn
        self.text = ""
        self._meta = meta
        self._dirty = False
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)
        self._timer.start()

    def append(self, piece: str) -> None:
        """Add streamed text (rendered at the next tick)."""
        self.text += piece
        self._dirty = True

    def flush(self) -> None:
        """Render pending text now."""
        if self._dirty:
            self._dirty = False
            self.turn.set_text(self.text)
            if self._meta is not None:
                self.turn.set_meta(self._meta())

    def finish(self, text: str | None = None) -> None:
        """Stop the timer and render the final text."""
        self._timer.stop()
        if text is not None:
            self.text = text
        self._dirty = False
        self.turn.set_text(self.text)
