"""Edit :class:`engine.settings.Settings`: model, backend, context size, threads and chat defaults."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.workers import GeneratorJob
from engine.errors import LampwrightError
from engine.settings import BACKENDS, Settings

BACKEND_LABELS = {
    "llamacpp": "llama.cpp (in this process)",
    "openai": "OpenAI-compatible server",
    "ollama": "Ollama",
}
URL_HINTS = {"openai": "http://127.0.0.1:8080/v1", "ollama": "http://127.0.0.1:11434"}


def apply_settings(ctx: AppContext, settings: Settings) -> GeneratorJob:
    """Hand ``settings`` to the engine on the inference worker (no reply is in flight there), then reload."""
    job = ctx.inference.submit(ctx.engine.apply_settings, settings, pass_cancel=False)
    job.signals.failed.connect(ctx.events.error.emit)
    job.signals.done.connect(lambda _: ctx.load_model())
    return job


class SettingsDialog(QDialog):
    """Settings form. :meth:`save` validates, writes ``settings.json`` and applies the result."""

    #: the saved Settings object
    applied = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        s = ctx.engine.settings

        self.model = QComboBox(self)
        self.model.setEditable(True)
        try:
            specs = [e.name if e.source == "bundled" else str(e.path) for e in ctx.engine.list_models()]
        except LampwrightError:
            specs = []
        self.model.addItems(specs)
        self.model.setCurrentText(s.model)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(browse)

        self.backend = QComboBox(self)
        for key in BACKENDS:
            self.backend.addItem(BACKEND_LABELS.get(key, key), key)
        self.backend.setCurrentIndex(max(0, self.backend.findData(s.backend)))
        self.backend_url = QLineEdit(s.backend_url, self)
        self.api_key = QLineEdit(s.backend_api_key, self)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("only if the server needs one")
        self.backend.currentIndexChanged.connect(self._backend_changed)

        self.n_ctx = QSpinBox(self)
        self.n_ctx.setRange(256, 262_144)
        self.n_ctx.setSingleStep(512)
        self.n_ctx.setValue(s.n_ctx)
        self.n_ctx.setToolTip("Tokens the model attends to; capped at the model's own context length")
        self.n_threads = QSpinBox(self)
        self.n_threads.setRange(0, os.cpu_count() or 64)
        self.n_threads.setSpecialValueText("automatic")
        self.n_threads.setValue(s.n_threads)
        self.model_dirs = QPlainTextEdit("\n".join(s.model_dirs), self)
        self.model_dirs.setPlaceholderText("Extra folders with .gguf files, one per line")
        self.model_dirs.setFixedHeight(56)

        model_box = QGroupBox("Model and backend", self)
        form = QFormLayout(model_box)
        form.addRow("Model", model_row)
        form.addRow("Backend", self.backend)
        form.addRow("Server URL", self.backend_url)
        form.addRow("API key", self.api_key)
        form.addRow("Context (n_ctx)", self.n_ctx)
        form.addRow("CPU threads", self.n_threads)
        form.addRow("Model folders", self.model_dirs)

        self.temperature = QDoubleSpinBox(self)
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.05)
        self.temperature.setValue(s.temperature)
        self.top_p = QDoubleSpinBox(self)
        self.top_p.setRange(0.01, 1.0)
        self.top_p.setSingleStep(0.05)
        self.top_p.setValue(s.top_p)
        self.max_tokens = QSpinBox(self)
        self.max_tokens.setRange(1, 32768)
        self.max_tokens.setValue(s.max_tokens)
        self.system_prompt = QPlainTextEdit(s.system_prompt, self)
        self.system_prompt.setFixedHeight(70)
        defaults_box = QGroupBox("Defaults for new conversations", self)
        form2 = QFormLayout(defaults_box)
        form2.addRow("Temperature", self.temperature)
        form2.addRow("Top-p", self.top_p)
        form2.addRow("Max tokens", self.max_tokens)
        form2.addRow("System prompt", self.system_prompt)

        self.error_label = QLabel("", self)
        self.error_label.setObjectName("BannerText")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(model_box)
        box.addWidget(defaults_box)
        box.addWidget(self.error_label)
        box.addWidget(buttons)
        self._backend_changed()

    def settings(self) -> Settings:
        """The settings the form describes (raises ConfigError when invalid)."""
        dirs = tuple(line.strip() for line in self.model_dirs.toPlainText().splitlines() if line.strip())
        return self.ctx.engine.settings.updated(
            model=self.model.currentText().strip(),
            backend=self.backend.currentData(),
            backend_url=self.backend_url.text().strip(),
            backend_api_key=self.api_key.text(),
            n_ctx=self.n_ctx.value(),
            n_threads=self.n_threads.value(),
            model_dirs=dirs,
            temperature=round(self.temperature.value(), 2),
            top_p=round(self.top_p.value(), 2),
            max_tokens=self.max_tokens.value(),
            system_prompt=self.system_prompt.toPlainText(),
        )

    def save(self) -> bool:
        """Validate, write settings.json and apply; on a problem show it in the dialog and stay open."""
        try:
            new = self.settings()
            new.save()
        except LampwrightError as exc:
            return self._fail(str(exc))
        except OSError as exc:
            return self._fail(f"Could not write the settings file: {exc}")
        apply_settings(self.ctx, new)
        self.ctx.events.status.emit("Settings saved")
        self.applied.emit(new)
        self.accept()
        return True

    def _fail(self, message: str) -> bool:
        self.error_label.setText(message)
        self.error_label.show()
        return False

    def _backend_changed(self, *_: object) -> None:
        kind = self.backend.currentData()
        remote = kind != "llamacpp"
        self.backend_url.setEnabled(remote)
        self.api_key.setEnabled(remote)
        self.backend_url.setPlaceholderText(URL_HINTS.get(kind, ""))
        self.n_threads.setEnabled(not remote)

    def _browse(self) -> None:
        start = str(Path(self.model.currentText()).expanduser().parent) if "/" in self.model.currentText() else ""
        path, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF model", start, "GGUF models (*.gguf);;All files (*)")
        if path:
            self.model.setCurrentText(path)
