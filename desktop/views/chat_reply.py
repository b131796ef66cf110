"""One assistant reply: runs ``Engine.send`` on the inference worker and streams it into the transcript."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop.context import AppContext
from desktop.widgets.transcript import StreamRenderer, Transcript
from engine.types import ChatResult, TokenDelta

#: streamed text is rendered at most this often (re-rendering Markdown per token would stutter)
RENDER_INTERVAL_MS = 50


def result_meta(result: ChatResult) -> str:
    """The note shown on a finished assistant turn: model, tokens, speed, how it ended."""
    parts = [result.model, f"{result.usage.completion_tokens} tokens"]
    if result.timing.tokens_per_s:
        parts.append(f"{result.timing.tokens_per_s:.1f} tok/s")
    if result.finish_reason == "cancelled":
        parts.append("stopped")
    elif result.finish_reason == "length":
        parts.append("hit max tokens")
    return " · ".join(parts)


class Reply(QObject):
    """Adds the user's turn and an assistant turn, then fills the latter as tokens arrive.

    After :attr:`ended`, :attr:`result` holds the engine's ChatResult (also after Stop, with
    ``finish_reason == "cancelled"``) or :attr:`error` the user-facing message.
    """

    ended = Signal()

    def __init__(
        self, ctx: AppContext, transcript: Transcript, conversation_id: str, text: str, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.result: ChatResult | None = None
        self.error: str | None = None
        #: token deltas received so far
        self.tokens = 0
        transcript.add_turn("user", text)
        self.turn = transcript.add_turn("assistant", "", "waiting for the model…")
        self._renderer = StreamRenderer(self.turn, RENDER_INTERVAL_MS, lambda: f"generating · {self.tokens} tokens")
        self.job = ctx.inference.submit(
            ctx.engine.send, conversation_id, text, context={"source": "gui", "route": "chat"}
        )
        self.job.signals.item.connect(self._on_event)
        self.job.signals.done.connect(self._on_done)
        self.job.signals.failed.connect(self._on_failed)
        self.job.signals.finished.connect(self._on_finished)

    def cancel(self) -> None:
        """Stop at the next token; the partial reply is kept (the engine stores it)."""
        self.job.cancel()

    def _on_event(self, event: object) -> None:
        if isinstance(event, TokenDelta):
            self.tokens += 1
            self._renderer.append(event.text)

    def _on_done(self, result: object) -> None:
        if not isinstance(result, ChatResult):
            return
        self.result = result
        self._renderer.finish(result.text)
        self.turn.set_meta(result_meta(result))
        self.ctx.events.generation_finished.emit(result)
        if result.finish_reason == "cancelled":
            self.ctx.events.status.emit("Stopped; the partial reply was kept.")

    def _on_failed(self, message: str) -> None:
        self.error = message
        self._renderer.finish()
        if not self.turn.text():
            self.turn.set_text(f"*No reply:* {message}")
        self.turn.set_meta("failed")
        self.ctx.events.error.emit(message)

    def _on_finished(self) -> None:
        if self.result is None and self.error is None:  # stopped before the reply began
            self._renderer.finish()
            self.turn.set_meta("stopped")
            self.error = "Stopped before the reply began."
        self.ended.emit()
