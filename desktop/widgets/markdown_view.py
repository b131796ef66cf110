"""A read-only Markdown view that grows to fit its text (no inner scroll bar)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget


class MarkdownView(QTextBrowser):
    """Renders Markdown; its height follows the document so a parent scroll area scrolls the whole chat."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TurnBody")
        self.setOpenExternalLinks(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().setDocumentMargin(2)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self._markdown = ""
        #: how many times the text was rendered (streaming updates are throttled; tests read this)
        self.render_count = 0

    def set_markdown(self, text: str) -> None:
        """Render ``text`` as Markdown (skipped when unchanged)."""
        if text == self._markdown:
            return
        self._markdown = text
        self.setMarkdown(text)
        self.render_count += 1
        self._fit()

    def markdown(self) -> str:
        """The Markdown source shown."""
        return self._markdown

    def _fit(self, *_: object) -> None:
        height = int(self.document().size().height()) + 2 * self.frameWidth() + 2
        if height != self.height():
            self.setFixedHeight(max(height, 20))

    def sizeHint(self) -> QSize:  # noqa: D102 - Qt API
        return QSize(super().sizeHint().width(), self.height())
