"""Per-conversation system prompt and sampling settings (temperature, top-p, max tokens, seed)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.types import GenerationParams

#: seed spin box value meaning "a new random seed each time"
RANDOM_SEED = -1


class GenerationPanel(QWidget):
    """Edits a conversation's system prompt and :class:`GenerationParams`.

    Emits :attr:`changed` (debounced) after the user edits anything; :meth:`set_values` does not emit.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SidePanel")
        title = QLabel("Conversation settings", self)
        title.setObjectName("PanelTitle")
        self.system_prompt = QPlainTextEdit(self)
        self.system_prompt.setPlaceholderText("System prompt (how the assistant should behave)")
        self.system_prompt.setFixedHeight(110)
        self.temperature = QDoubleSpinBox(self)
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.05)
        self.temperature.setDecimals(2)
        self.temperature.setToolTip("0 = always the most likely token; higher = more varied")
        self.top_p = QDoubleSpinBox(self)
        self.top_p.setRange(0.01, 1.0)
        self.top_p.setSingleStep(0.05)
        self.top_p.setDecimals(2)
        self.max_tokens = QSpinBox(self)
        self.max_tokens.setRange(1, 32768)
        self.max_tokens.setSingleStep(64)
        self.seed = QSpinBox(self)
        self.seed.setRange(RANDOM_SEED, 2_147_483_647)
        self.seed.setSpecialValueText("random")
        self.seed.setToolTip("Fix the seed to make replies reproducible")
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        form.addRow("Temperature", self.temperature)
        form.addRow("Top-p", self.top_p)
        form.addRow("Max tokens", self.max_tokens)
        form.addRow("Seed", self.seed)
        hint = QLabel("Saved with the conversation; applies to the next reply.", self)
        hint.setObjectName("Hint")
        hint.setWordWrap(True)
        box = QVBoxLayout(self)
        box.setContentsMargins(14, 14, 14, 14)
        box.setSpacing(8)
        box.addWidget(title)
        box.addWidget(QLabel("System prompt", self))
        box.addWidget(self.system_prompt)
        box.addLayout(form)
        box.addWidget(hint)
        box.addStretch(1)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(400)
        self._debounce.timeout.connect(self.changed.emit)
        self._loading = False
        for spin in (self.temperature, self.top_p, self.max_tokens, self.seed):
            spin.valueChanged.connect(self._touched)
        self.system_prompt.textChanged.connect(self._touched)

    def set_values(self, system_prompt: str, params: GenerationParams) -> None:
        """Show a conversation's settings (does not emit :attr:`changed`)."""
        self._loading = True
        try:
            self.system_prompt.setPlainText(system_prompt)
            self.temperature.setValue(params.temperature)
            self.top_p.setValue(params.top_p)
            self.max_tokens.setValue(params.max_tokens)
            self.seed.setValue(RANDOM_SEED if params.seed is None else params.seed)
        finally:
            self._loading = False
        self._debounce.stop()

    def values(self, base: GenerationParams | None = None) -> tuple[str, GenerationParams]:
        """The system prompt and the params shown (other fields kept from ``base``)."""
        seed = self.seed.value()
        params = GenerationParams(
            temperature=round(self.temperature.value(), 2),
            top_p=round(self.top_p.value(), 2),
            max_tokens=self.max_tokens.value(),
            seed=None if seed == RANDOM_SEED else seed,
            stop=base.stop if base else (),
            repeat_penalty=base.repeat_penalty if base else GenerationParams().repeat_penalty,
        )
        return self.system_prompt.toPlainText(), params

    def flush(self) -> None:
        """Emit a pending :attr:`changed` now (before sending, so the edit applies)."""
        if self._debounce.isActive():
            self._debounce.stop()
            self.changed.emit()

    def _touched(self, *_: object) -> None:
        if not self._loading:
            self._debounce.start()
