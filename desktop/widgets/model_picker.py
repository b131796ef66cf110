"""A combo box of the models Lampwright knows, with each model's GGUF metadata."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

from engine.errors import LampwrightError
from engine.models.registry import ModelEntry


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """A pickable model: the spec the engine resolves, and what to show about it."""

    spec: str  # bundled name or file path: what Engine.backend()/Conversation.model take
    name: str
    meta: str  # "llama · 135M params · Q4_1 · 8,192 ctx · 98 MB" or why it cannot be read
    ok: bool


def model_choice(entry: ModelEntry) -> ModelChoice:
    """Read one model's metadata (fast: header only). Unreadable files become a choice with the reason."""
    spec = entry.name if entry.source == "bundled" else str(entry.path)
    if entry.source == "bundled" and not entry.path.exists():
        return ModelChoice(spec, entry.name, "bundled · prepared on first use", True)
    try:
        info = entry.info()
    except LampwrightError as exc:
        return ModelChoice(spec, entry.name, f"unusable: {exc}", False)
    size_mb = info.size_bytes / 1e6
    parts = [
        info.architecture,
        info.size_label,
        info.quantization,
        f"{info.context_length:,} ctx" if info.context_length else "",
        f"{size_mb:,.0f} MB",
    ]
    return ModelChoice(spec, entry.name, " · ".join(p for p in parts if p), True)


def list_choices(entries: list[ModelEntry]) -> list[ModelChoice]:
    """Choices for every entry (run off the GUI thread: it reads file headers)."""
    return [model_choice(e) for e in entries]


class ModelPicker(QWidget):
    """Combo of models plus a metadata line; emits :attr:`model_chosen` when the user picks one."""

    model_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox(self)
        self.combo.setMinimumWidth(220)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.setToolTip("Model used by this conversation")
        self.meta = QLabel("", self)
        self.meta.setObjectName("ModelMeta")
        self.meta.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        row.addWidget(self.combo)
        row.addWidget(self.meta, 1)
        self._choices: list[ModelChoice] = []
        self.combo.activated.connect(self._on_activated)
        self.combo.currentIndexChanged.connect(self._show_meta)

    def set_choices(self, choices: list[ModelChoice], current: str | None = None) -> None:
        """Fill the combo; keep ``current`` (a spec) selected when given."""
        keep = current or self.current_spec()
        self._choices = list(choices)
        self.combo.blockSignals(True)
        self.combo.clear()
        for c in self._choices:
            self.combo.addItem(c.name if c.ok else f"{c.name} (unusable)", c.spec)
            self.combo.setItemData(self.combo.count() - 1, c.meta, Qt.ItemDataRole.ToolTipRole)
        self.combo.blockSignals(False)
        if keep:
            self.set_current(keep)
        self._show_meta()

    def choices(self) -> list[ModelChoice]:
        """The models listed."""
        return list(self._choices)

    def set_current(self, spec: str) -> None:
        """Select ``spec`` without emitting :attr:`model_chosen` (added to the list if unknown)."""
        index = self.combo.findData(spec)
        if index < 0:
            name = spec.rsplit("/", 1)[-1]
            self._choices.append(ModelChoice(spec, name, "", True))
            self.combo.addItem(name, spec)
            index = self.combo.count() - 1
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)
        self._show_meta()

    def current_spec(self) -> str | None:
        """The selected model's spec."""
        data = self.combo.currentData()
        return str(data) if data is not None else None

    def choose(self, spec: str) -> None:
        """Select ``spec`` as if the user picked it (emits :attr:`model_chosen`)."""
        self.set_current(spec)
        self.model_chosen.emit(spec)

    def _on_activated(self, index: int) -> None:
        self._show_meta()
        spec = self.combo.itemData(index)
        if spec is not None:
            self.model_chosen.emit(str(spec))

    def _show_meta(self, *_: object) -> None:
        index = self.combo.currentIndex()
        text = self._choices[index].meta if 0 <= index < len(self._choices) else ""
        self.meta.setText(text)
        self.meta.setToolTip(text)
