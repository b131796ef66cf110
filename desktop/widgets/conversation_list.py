"""The list of stored conversations with New / Rename / Delete / Export actions."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.conversations import Conversation


def _when(ts: float) -> str:
    day = dt.datetime.fromtimestamp(ts)
    return day.strftime("%H:%M") if day.date() == dt.date.today() else day.strftime("%d %b")


class ConversationList(QWidget):
    """Shows conversations, most recent first. Emits the chosen id; the view does the work."""

    selected = Signal(str)
    new_requested = Signal()
    rename_requested = Signal(str)
    delete_requested = Signal(str)
    #: (conversation id, "markdown" | "json")
    export_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Panel")
        title = QLabel("Conversations", self)
        title.setObjectName("PanelTitle")
        self.new_button = QPushButton("+ New chat", self)
        self.new_button.setToolTip("Start a new conversation (Ctrl+N)")
        self.new_button.clicked.connect(self.new_requested.emit)
        self.list = QListWidget(self)
        self.list.setObjectName("ConversationList")
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setUniformItemSizes(True)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.currentItemChanged.connect(self._on_current)
        # one menu button keeps the panel narrow; the same actions are on the list's context menu
        self.actions_button = QToolButton(self)
        self.actions_button.setText("Manage")
        self.actions_button.setToolTip("Rename, export or delete the selected conversation")
        self.actions_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.actions_button.setMenu(self._actions_menu(self.actions_button))
        actions = QHBoxLayout()
        actions.addWidget(self.actions_button)
        actions.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(10, 12, 10, 10)
        box.setSpacing(8)
        box.addWidget(title)
        box.addWidget(self.new_button)
        box.addWidget(self.list, 1)
        box.addLayout(actions)
        self._populating = False
        self._update_actions()

    def set_conversations(self, conversations: list[Conversation], current: str | None = None) -> None:
        """Show ``conversations``; select ``current`` (without emitting :attr:`selected`)."""
        self._populating = True
        try:
            self.list.clear()
            for conv in conversations:
                item = QListWidgetItem(conv.title or "Untitled")
                item.setData(Qt.ItemDataRole.UserRole, conv.id)
                item.setToolTip(f"{conv.title}\n{conv.message_count} messages · updated {_when(conv.updated)}")
                self.list.addItem(item)
                if conv.id == current:
                    self.list.setCurrentItem(item)
        finally:
            self._populating = False
        self._update_actions()

    def ids(self) -> list[str]:
        """Conversation ids in display order."""
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def titles(self) -> list[str]:
        """Conversation titles in display order."""
        return [self.list.item(i).text() for i in range(self.list.count())]

    def current_id(self) -> str | None:
        """The selected conversation's id."""
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def select(self, cid: str) -> None:
        """Select ``cid`` as if clicked (emits :attr:`selected`)."""
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == cid:
                self.list.setCurrentRow(i)
                return

    def _on_current(self, item: QListWidgetItem | None, _prev: QListWidgetItem | None) -> None:
        self._update_actions()
        if item is not None and not self._populating:
            self.selected.emit(item.data(Qt.ItemDataRole.UserRole))

    def _update_actions(self) -> None:
        self.actions_button.setEnabled(self.list.currentItem() is not None)

    def _actions_menu(self, parent: QWidget) -> QMenu:
        menu = QMenu(parent)
        menu.addAction("Rename…", lambda: self._emit_for_current(self.rename_requested))
        menu.addAction("Export as Markdown…", lambda: self._export("markdown"))
        menu.addAction("Export as JSON…", lambda: self._export("json"))
        menu.addSeparator()
        menu.addAction("Delete…", lambda: self._emit_for_current(self.delete_requested))
        return menu

    def _emit_for_current(self, signal: Signal) -> None:
        cid = self.current_id()
        if cid:
            signal.emit(cid)  # type: ignore[attr-defined]

    def _export(self, fmt: str) -> None:
        cid = self.current_id()
        if cid:
            self.export_requested.emit(cid, fmt)

    def _context_menu(self, pos: object) -> None:
        if self.list.itemAt(pos) is None:  # type: ignore[arg-type]
            return
        self._actions_menu(self).exec(self.list.viewport().mapToGlobal(pos))  # type: ignore[arg-type]
