"""Ask the user before a tool with side effects runs; safe to call from a worker thread.

The decision comes only from the user's click. The dialog shows the tool's own description and
the arguments; nothing the model or a document wrote can pre-answer it.
"""

from __future__ import annotations

import json
import threading

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from engine.tools.executor import ConfirmRequest


class ConfirmToolDialog(QDialog):
    """"Allow TOOL to run?" with its description and arguments; Deny is the default button."""

    def __init__(self, request: ConfirmRequest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Allow this action?")
        self.request = request
        title = QLabel(f"The model wants to run <b>{request.tool}</b>, which can change things outside this chat.")
        title.setWordWrap(True)
        desc = QLabel(request.description)
        desc.setWordWrap(True)
        desc.setTextFormat(Qt.TextFormat.PlainText)
        args = QPlainTextEdit(json.dumps(request.arguments, indent=2, ensure_ascii=False))
        args.setReadOnly(True)
        args.setMaximumHeight(180)
        self.buttons = QDialogButtonBox()
        self.allow_button = self.buttons.addButton("Allow once", QDialogButtonBox.ButtonRole.AcceptRole)
        self.deny_button = self.buttons.addButton("Deny", QDialogButtonBox.ButtonRole.RejectRole)
        self.deny_button.setDefault(True)
        self.deny_button.setFocus()
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(desc)
        layout.addWidget(QLabel("Arguments:"))
        layout.addWidget(args)
        layout.addWidget(self.buttons)


class GuiConfirmer(QObject):
    """A :data:`engine.tools.Confirm` callback that shows :class:`ConfirmToolDialog` on the GUI thread.

    Create it on the GUI thread and pass it as ``confirm=`` to ``Engine.run_tools`` running in a worker;
    the worker waits for the user's answer. ``dialog_shown`` lets tests (and the chat view) see the dialog.
    """

    dialog_shown = Signal(object)
    _ask = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parent = parent
        self._ask.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def __call__(self, request: ConfirmRequest) -> bool:
        """Ask the user; returns True only when they clicked Allow."""
        if QThread.currentThread() is self.thread():
            return self._run(request)
        box: dict[str, object] = {"event": threading.Event(), "answer": False}
        self._ask.emit(request, box)
        box["event"].wait()  # type: ignore[attr-defined]
        return box["answer"] is True

    @Slot(object, object)
    def _show(self, request: ConfirmRequest, box: dict[str, object]) -> None:
        try:
            box["answer"] = self._run(request)
        finally:
            box["event"].set()  # type: ignore[attr-defined]

    def _run(self, request: ConfirmRequest) -> bool:
        dialog = ConfirmToolDialog(request, self._parent)
        self.dialog_shown.emit(dialog)
        return dialog.exec() == QDialog.DialogCode.Accepted
