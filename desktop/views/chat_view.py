"""Chat: conversations, a streaming Markdown transcript, Stop, a model picker and per-conversation settings.

Inline widgets per assistant turn (tool calls, citations ...) plug in through two hooks:

* :meth:`ChatView.add_tool_call_widget` puts a widget into the assistant turn being streamed (or the
  latest one) above its text;
* :attr:`ChatView.message_rendered` is emitted with ``(turn, stored_message)`` for every stored message
  shown when a conversation is opened, so a consumer can decorate past turns the same way.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.views.chat_reply import Reply
from desktop.widgets.composer import Composer
from desktop.widgets.conversation_list import ConversationList
from desktop.widgets.generation_panel import GenerationPanel
from desktop.widgets.model_picker import ModelPicker, list_choices
from desktop.widgets.theme import icon
from desktop.widgets.transcript import Transcript, Turn
from desktop.workers import GeneratorJob
from engine.conversations import StoredMessage
from engine.errors import LampwrightError
from engine.types import ChatResult

log = logging.getLogger(__name__)

def _stored_meta(sm: StoredMessage) -> str:
    m = sm.meta
    if not m.get("model"):
        return ""
    parts = [str(m["model"]), f"{m.get('completion_tokens', 0)} tokens"]
    if m.get("tokens_per_s"):
        parts.append(f"{m['tokens_per_s']:.1f} tok/s")
    if m.get("finish_reason") == "cancelled":
        parts.append("stopped")
    return " · ".join(parts)


class ChatView(QWidget):
    """The Chat section."""

    #: a reply ended (the engine's ChatResult; ``finish_reason == "cancelled"`` after Stop);
    #: emitted once the view is ready for the next message
    reply_finished = Signal(object)
    #: a reply failed with this user-facing message (also emitted after the view is ready again)
    reply_failed = Signal(str)
    #: the model list was (re)read
    models_ready = Signal()
    #: (Turn, StoredMessage) for each stored message shown when a conversation opens
    message_rendered = Signal(object, object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.engine = ctx.engine
        self.store = ctx.engine.conversations
        self.conversation_id: str | None = None
        self.last_result: ChatResult | None = None
        self.last_error: str | None = None
        self._reply: Reply | None = None
        self._model_spec = self.engine.settings.model
        self._build()
        self.picker.set_current(self._model_spec)  # named now; metadata arrives with refresh_models()
        self.refresh_conversations()
        ids = self.conversation_list.ids()
        if ids:
            self.open_conversation(ids[0], load_model=False)
        else:
            self.new_conversation()
        self.refresh_models()

    # ---- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.conversation_list = ConversationList(self)
        self.conversation_list.selected.connect(self.open_conversation)
        self.conversation_list.new_requested.connect(self.new_conversation)
        self.conversation_list.rename_requested.connect(self.rename_conversation)
        self.conversation_list.delete_requested.connect(self.delete_conversation)
        self.conversation_list.export_requested.connect(self.export_conversation)

        self.picker = ModelPicker(self)
        self.picker.model_chosen.connect(self.switch_model)
        self.settings_button = QToolButton(self)
        self.settings_button.setText("Settings")
        self.settings_button.setCheckable(True)
        self.settings_button.setChecked(True)
        self.settings_button.setToolTip("Show or hide this conversation's system prompt and sampling settings")
        top = QFrame(self)
        top.setObjectName("TopBar")
        top_row = QHBoxLayout(top)
        top_row.setContentsMargins(16, 8, 12, 8)
        top_row.addWidget(self.picker, 1)
        top_row.addWidget(self.settings_button)

        self.transcript = Transcript(self)

        self.composer = Composer(self)
        self.composer.submitted.connect(self.send)
        self.send_button = QPushButton(icon("send"), "Send", self)
        self.send_button.setObjectName("PrimaryButton")
        self.send_button.clicked.connect(lambda: self.send())
        self.stop_button = QPushButton(icon("stop"), "Stop", self)
        self.stop_button.setObjectName("DangerButton")
        self.stop_button.setToolTip("Stop generating (Esc); the partial reply is kept")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.hide()
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        bar = QFrame(self)
        bar.setObjectName("ComposerBar")
        bar_row = QHBoxLayout(bar)
        bar_row.setContentsMargins(16, 10, 16, 12)
        bar_row.addWidget(self.composer, 1)
        bar_row.addLayout(buttons)

        center = QWidget(self)
        col = QVBoxLayout(center)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        col.addWidget(top)
        col.addWidget(self.transcript, 1)
        col.addWidget(bar)

        self.panel = GenerationPanel(self)
        self.panel.changed.connect(self._save_panel)
        self.settings_button.toggled.connect(self.panel.setVisible)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.setChildrenCollapsible(False)
        split.setHandleWidth(1)
        split.addWidget(self.conversation_list)
        split.addWidget(center)
        split.addWidget(self.panel)
        split.setStretchFactor(1, 1)
        self.conversation_list.setMinimumWidth(170)
        self.panel.setMinimumWidth(210)
        self._split = split
        self._sized = False
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(split)

        QShortcut(QKeySequence("Escape"), self, activated=self.stop)
        QShortcut(QKeySequence("Ctrl+N"), self, activated=self.new_conversation)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: D102 - Qt API
        super().showEvent(event)
        if not self._sized:  # side panels get a fixed share; the transcript takes the rest
            self._sized = True
            total = max(self._split.width(), 900)
            self._split.setSizes([210, total - 210 - 240, 240])

    # ---- models ------------------------------------------------------------------------------------
    def refresh_models(self) -> None:
        """Re-read the model list and metadata off the GUI thread."""
        job = self.ctx.jobs.submit(lambda: list_choices(self.engine.list_models()), pass_cancel=False)
        job.signals.done.connect(self._on_models)
        job.signals.failed.connect(self._error)

    def _on_models(self, choices: object) -> None:
        self.picker.set_choices(choices, self._model_spec)  # type: ignore[arg-type]
        self.models_ready.emit()

    def switch_model(self, spec: str) -> None:
        """Use ``spec`` for this conversation (and new ones) and load it on the inference worker."""
        self._model_spec = spec
        self.picker.set_current(spec)
        if self.conversation_id:
            self.store.update(self.conversation_id, model=spec)
        self.ctx.load_model(spec)

    # ---- conversations -----------------------------------------------------------------------------
    def refresh_conversations(self) -> None:
        """Re-read the conversation list, keeping the selection."""
        self.conversation_list.set_conversations(self.store.list(), self.conversation_id)

    def new_conversation(self) -> None:
        """Start a fresh conversation (stored when the first message is sent)."""
        if self._reply is not None:
            return
        self.conversation_id = None
        self.conversation_list.list.clearSelection()
        self.conversation_list.list.setCurrentItem(None)
        s = self.engine.settings
        self.panel.set_values(s.system_prompt, self.engine.default_params())
        self.transcript.clear()
        self.composer.setFocus()

    def open_conversation(self, cid: str, *, load_model: bool = True) -> None:
        """Show a stored conversation and its settings."""
        if self._reply is not None:
            return
        try:
            conv = self.store.get(cid)
            messages = self.store.messages(conv.id)
        except LampwrightError as exc:
            self._error(str(exc))
            return
        self.conversation_id = conv.id
        self.panel.set_values(conv.system_prompt, conv.params)
        spec = conv.model or self.engine.settings.model
        if spec != self._model_spec:
            self._model_spec = spec
            if load_model:
                self.ctx.load_model(spec)
        self.picker.set_current(spec)
        self.transcript.clear()
        for sm in messages:
            if sm.message.role == "system":
                continue
            turn = self._render_stored(sm)
            self.message_rendered.emit(turn, sm)
        if self.conversation_list.current_id() != conv.id:
            self.refresh_conversations()

    def _render_stored(self, sm: StoredMessage) -> Turn:
        m = sm.message
        text = m.content
        if m.role == "tool":
            text = f"```\n{m.content}\n```"
        turn = self.transcript.add_turn(m.role, text, _stored_meta(sm))
        for call in m.tool_calls:
            label = QLabel(f"Called <b>{call.name}</b> <code>{call.arguments}</code>", turn)
            label.setObjectName("TurnMeta")
            label.setWordWrap(True)
            turn.add_widget(label)
        return turn

    def rename_conversation(self, cid: str, title: str | None = None) -> None:
        """Rename ``cid`` (asks for the title when None)."""
        if title is None:
            current = self.store.get(cid).title
            title, ok = QInputDialog.getText(self, "Rename conversation", "Title:", text=current)
            if not ok:
                return
        if title.strip():
            self.store.rename(cid, title.strip())
            self.refresh_conversations()

    def delete_conversation(self, cid: str, *, confirm: bool = True) -> None:
        """Delete ``cid`` (after a confirmation when ``confirm``)."""
        if self._reply is not None:
            return
        if confirm:
            title = self.store.get(cid).title
            answer = QMessageBox.question(self, "Delete conversation", f"Delete “{title}” and its messages?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.store.delete(cid)
        if cid == self.conversation_id:
            self.conversation_id = None
        self.refresh_conversations()
        ids = self.conversation_list.ids()
        if self.conversation_id is None:
            if ids:
                self.conversation_list.select(ids[0])
            else:
                self.new_conversation()

    def export_conversation(self, cid: str, fmt: str, path: str | Path | None = None) -> Path | None:
        """Write ``cid`` as Markdown or JSON to ``path`` (asks for it when None)."""
        conv = self.store.get(cid)
        suffix = ".md" if fmt == "markdown" else ".json"
        if path is None:
            default = str(Path.home() / f"{conv.title[:40] or 'conversation'}{suffix}")
            chosen, _ = QFileDialog.getSaveFileName(self, "Export conversation", default)
            if not chosen:
                return None
            path = chosen
        out = Path(path)
        if fmt == "markdown":
            text = self.store.export_markdown(conv.id)
        else:
            text = json.dumps(self.store.export_json(conv.id), indent=2, ensure_ascii=False)
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            self._error(f"Could not write {out}: {exc}")
            return None
        self.ctx.events.status.emit(f"Exported to {out}")
        return out

    def _save_panel(self) -> None:
        if self.conversation_id is None:
            return
        conv = self.store.get(self.conversation_id)
        try:
            system_prompt, params = self.panel.values(conv.params)
        except LampwrightError as exc:
            self._error(str(exc))
            return
        self.store.update(conv.id, system_prompt=system_prompt, params=params)

    # ---- sending -----------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """True while a reply is being generated."""
        return self._reply is not None

    @property
    def streamed_tokens(self) -> int:
        """Tokens received so far for the reply being generated (0 when idle)."""
        return self._reply.tokens if self._reply is not None else 0

    def send(self, text: str | None = None) -> GeneratorJob | None:
        """Send ``text`` (or the composer's text) and stream the reply into the transcript."""
        if self._reply is not None:
            return None
        text = (text if text is not None else self.composer.toPlainText()).strip()
        if not text:
            return None
        self.panel.flush()
        if self.conversation_id is None:
            system_prompt, params = self.panel.values()
            conv = self.store.create(system_prompt=system_prompt, params=params, model=self._model_spec)
            self.conversation_id = conv.id
        self.composer.clear()
        self.last_result, self.last_error = None, None
        self._reply = Reply(self.ctx, self.transcript, self.conversation_id, text, self)
        self._reply.ended.connect(self._on_reply_ended)
        self._set_busy(True)
        self.refresh_conversations()
        return self._reply.job

    def stop(self) -> None:
        """Cancel the running reply at the next token; the partial reply is kept and stored."""
        if self._reply is not None:
            self._reply.cancel()
            self.stop_button.setEnabled(False)
            self.ctx.events.status.emit("Stopping…")

    def current_assistant_turn(self) -> Turn | None:
        """The assistant turn being streamed, else the latest assistant turn."""
        if self._reply is not None:
            return self._reply.turn
        return self.transcript.last_turn("assistant")

    def add_tool_call_widget(self, widget: QWidget, turn: Turn | None = None) -> Turn:
        """Show ``widget`` inline in an assistant turn (default: :meth:`current_assistant_turn`).

        This is the hook for tool calls, citations and other per-turn extras; the widget sits above
        the turn's text. Returns the turn it was added to (a new empty one when there is none).
        """
        target = turn or self.current_assistant_turn() or self.transcript.add_turn("assistant")
        target.add_widget(widget)
        return target

    def _on_reply_ended(self) -> None:
        reply, self._reply = self._reply, None
        if reply is None:
            return
        self.last_result, self.last_error = reply.result, reply.error
        self._set_busy(False)
        self.refresh_conversations()
        # emitted last, so listeners see the view ready for the next message
        if reply.result is not None:
            self.reply_finished.emit(reply.result)
        else:
            self.reply_failed.emit(reply.error or "")
        reply.deleteLater()

    def _set_busy(self, busy: bool) -> None:
        self.send_button.setVisible(not busy)
        self.send_button.setEnabled(not busy)
        self.stop_button.setVisible(busy)
        self.stop_button.setEnabled(busy)
        self.conversation_list.setEnabled(not busy)
        self.picker.setEnabled(not busy)
        if not busy:
            self.composer.setFocus()

    def _error(self, message: str) -> None:
        self.last_error = message
        self.ctx.events.error.emit(message)

    def shutdown(self) -> None:
        """Cancel the running reply (the app is closing)."""
        if self._reply is not None:
            self._reply.cancel()
