"""The API server switch: start/stop ``serve`` inside the app, showing its URL and bearer token."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QWidget

from desktop.context import AppContext

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765


class ServerPanel(QWidget):
    """A checkbox that runs the OpenAI/Ollama-compatible API on 127.0.0.1 in this process."""

    #: emitted with the URL once serving, or "" once stopped
    state_changed = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._server: Any = None
        self.switch = QCheckBox("API server")
        self.switch.setToolTip("Serve the engine on 127.0.0.1 (OpenAI /v1 and Ollama /api), with a bearer token.")
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.port.setToolTip("Port (0 picks a free one)")
        self.url = QLabel("off")
        self.token = QLineEdit()
        self.token.setReadOnly(True)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("token")
        self.token.setMinimumWidth(180)
        self.show_token = QPushButton("Show")
        self.show_token.setCheckable(True)
        self.copy = QPushButton("Copy token")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.switch, QLabel("port"), self.port, self.url, QLabel("token"), self.token, self.show_token, self.copy):
            row.addWidget(w)
        row.addStretch(1)
        self.switch.toggled.connect(self._toggle)
        self.show_token.toggled.connect(
            lambda on: self.token.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)
        )
        self.copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.token.text()))

    @property
    def running(self) -> bool:
        """True while the server is up."""
        return self._server is not None and self._server.running

    def _toggle(self, on: bool) -> None:
        if on and not self.running:
            self.start()
        elif not on and self.running:
            self.stop()

    def start(self) -> Any:
        """Start serving on a worker thread; the URL and token show once it is up."""
        from engine.server.config import ServerConfig, load_or_create_token
        from engine.server.runner import ServerThread

        self.switch.setEnabled(False)
        self.url.setText("starting…")
        try:
            token = load_or_create_token(self.ctx.engine.settings.home)
            server = ServerThread(self.ctx.engine, ServerConfig(port=self.port.value(), token=token))
        except Exception as exc:  # a config error: show it, switch back off
            self._failed(str(exc))
            return None
        self.token.setText(token)
        job = self.ctx.jobs.submit(server.start, pass_cancel=False)
        job.signals.done.connect(lambda url: self._started(server, url))
        job.signals.failed.connect(self._failed)
        return job

    def _started(self, server: Any, url: str) -> None:
        self._server = server
        self.url.setText(f"<a href='{url}/v1'>{url}</a>")
        self.switch.setEnabled(True)
        self.port.setEnabled(False)
        self.ctx.events.status.emit(f"API server on {url}")
        self.state_changed.emit(url)

    def _failed(self, message: str) -> None:
        self.switch.blockSignals(True)
        self.switch.setChecked(False)
        self.switch.blockSignals(False)
        self.switch.setEnabled(True)
        self.url.setText("off")
        self.ctx.events.error.emit(message)
        self.state_changed.emit("")

    def stop(self) -> Any:
        """Stop serving (on a worker thread)."""
        server, self._server = self._server, None
        if server is None:
            return None
        self.switch.setEnabled(False)
        self.url.setText("stopping…")
        job = self.ctx.jobs.submit(server.stop, pass_cancel=False)
        job.signals.finished.connect(self._stopped)
        return job

    def _stopped(self) -> None:
        self.url.setText("off")
        self.switch.setEnabled(True)
        self.port.setEnabled(True)
        self.state_changed.emit("")

    def shutdown(self) -> None:
        """Stop the server synchronously (window closing)."""
        if self._server is not None:
            self._server.stop()
            self._server = None
