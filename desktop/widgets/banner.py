"""A dismissable, non-blocking message strip for errors and notices (tests can read it)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget


class Banner(QFrame):
    """Shows the latest message; keeps the history in :attr:`messages`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        self.messages: list[tuple[str, str]] = []
        self._label = QLabel(self)
        self._label.setObjectName("BannerText")
        self._label.setWordWrap(True)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setObjectName("BannerClose")
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 8, 8, 8)
        row.addWidget(self._label, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str, level: str = "error") -> None:
        """Show ``text``; ``level`` is "error" or "info"."""
        self.messages.append((level, text))
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self._label.setText(text)
        self.show()

    def text(self) -> str:
        """The message shown now ('' when hidden)."""
        return "" if self.isHidden() else self._label.text()

    def dismiss(self) -> None:
        """Hide the banner."""
        self._label.setText("")
        self.hide()
