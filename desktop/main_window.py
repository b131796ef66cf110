"""The main window: a sidebar of sections, their views (built on first use), a status bar and menus."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from desktop.sections import Section, available_sections
from desktop.widgets.banner import Banner
from desktop.widgets.theme import apply_theme, icon, save_theme_choice, theme_choice
from engine.types import ChatResult

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """Lampwright's window. Views are built lazily as ``View(ctx)`` when their section is first shown."""

    #: new settings were saved and applied (the Settings object)
    settings_applied = Signal(object)

    def __init__(self, ctx: AppContext, sections: list[Section] | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle("Lampwright")
        self.setWindowIcon(icon("lampwright"))
        self.resize(1180, 760)
        self.sections = sections if sections is not None else available_sections()
        self.views: dict[str, QWidget] = {}
        self._build_menu()
        self._build_body()
        self._build_status()
        ev = ctx.events
        ev.error.connect(self.show_error)
        ev.status.connect(lambda text: self.statusBar().showMessage(text, 6000))
        ev.model_loading.connect(self._on_model_loading)
        ev.model_loaded.connect(self._on_model_loaded)
        ev.generation_finished.connect(self._on_generation)
        ev.progress.connect(self._on_progress)
        if self.sections:
            self.sidebar.setCurrentRow(0)

    # ---- building ----------------------------------------------------------------------------------
    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.triggered.connect(self.open_settings)
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        view_menu = self.menuBar().addMenu("&View")
        self.dark_action = QAction("&Dark theme", self)
        self.dark_action.setCheckable(True)
        self.dark_action.setChecked(theme_choice(self.ctx.engine.settings.home) == "dark")
        self.dark_action.toggled.connect(self.set_dark_theme)
        view_menu.addAction(self.dark_action)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About Lampwright", self._about)

    def _build_body(self) -> None:
        side = QFrame(self)
        side.setObjectName("Sidebar")
        side.setFixedWidth(176)
        title = QLabel("Lampwright", side)
        title.setObjectName("SidebarTitle")
        self.sidebar = QListWidget(side)
        self.sidebar.setObjectName("SidebarList")
        for section in self.sections:
            item = QListWidgetItem(section.title)
            item.setData(Qt.ItemDataRole.UserRole, section.key)
            self.sidebar.addItem(item)
        self.sidebar.currentRowChanged.connect(self._show_section)
        side_col = QVBoxLayout(side)
        side_col.setContentsMargins(0, 0, 0, 8)
        side_col.addWidget(title)
        side_col.addWidget(self.sidebar, 1)

        self.banner = Banner(self)
        self.stack = QStackedWidget(self)
        right = QWidget(self)
        right_col = QVBoxLayout(right)
        right_col.setContentsMargins(0, 0, 0, 0)
        right_col.setSpacing(0)
        right_col.addWidget(self.banner)
        right_col.addWidget(self.stack, 1)

        body = QWidget(self)
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(side)
        row.addWidget(right, 1)
        self.setCentralWidget(body)

    def _build_status(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.progress = QProgressBar(self)
        self.progress.setFixedWidth(140)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.progress_label = QLabel("", self)
        self.progress_label.hide()
        self.model_label = QLabel("No model loaded", self)
        self.model_label.setToolTip("The model loaded on the inference worker")
        self.speed_label = QLabel("", self)
        self.speed_label.setToolTip("Decode speed and time to first token of the last reply")
        bar.addPermanentWidget(self.progress_label)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.model_label)
        bar.addPermanentWidget(self.speed_label)

    # ---- sections ----------------------------------------------------------------------------------
    def _show_section(self, row: int) -> None:
        if 0 <= row < len(self.sections):
            self.show_section(self.sections[row].key)

    def show_section(self, key: str) -> QWidget | None:
        """Show (building on first use) the view of section ``key``."""
        section = next((s for s in self.sections if s.key == key), None)
        if section is None:
            return None
        view = self.views.get(key)
        if view is None:
            try:
                view = section.load()(self.ctx)
            except Exception as exc:  # one broken view must not take the window down
                log.exception("building view %s failed", key)
                self.show_error(f"The {section.title} view could not be opened: {exc}")
                return None
            self.views[key] = view
            self.stack.addWidget(view)
        self.stack.setCurrentWidget(view)
        row = self.sections.index(section)
        if self.sidebar.currentRow() != row:
            self.sidebar.setCurrentRow(row)
        return view

    def view(self, key: str) -> QWidget | None:
        """The view of ``key`` if it was built."""
        return self.views.get(key)

    # ---- notifications -----------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        """Show a user-facing error in the banner (non-blocking; the app stays usable)."""
        log.warning("shown to the user: %s", message)
        self.banner.show_message(message, "error")

    def show_info(self, message: str) -> None:
        """Show a notice in the banner."""
        self.banner.show_message(message, "info")

    def _on_model_loading(self, name: str) -> None:
        self.model_label.setText(f"Loading {name.rsplit('/', 1)[-1]}…")

    def _on_model_loaded(self, name: str) -> None:
        backend = self.ctx.engine.loaded_backend
        ctx_len = getattr(backend, "context_length", 0)
        kind = getattr(backend, "kind", "")
        self.model_label.setText(f"● {name}" + (f"  ·  {ctx_len:,} ctx" if ctx_len else ""))
        self.model_label.setToolTip(f"{name} via {kind}" if kind else name)

    def _on_generation(self, result: object) -> None:
        if not isinstance(result, ChatResult):
            return
        t = result.timing
        self.model_label.setText(f"● {result.model}")
        self.speed_label.setText(f"{t.tokens_per_s:.1f} tok/s  ·  TTFT {t.ttft_s * 1000:.0f} ms")

    def _on_progress(self, label: str, done: int, total: int) -> None:
        if total and done >= total:
            self.progress.hide()
            self.progress_label.hide()
            self.statusBar().showMessage(f"{label}: done", 5000)
            return
        self.progress_label.setText(label)
        self.progress_label.show()
        self.progress.setRange(0, total)  # 0..0 = busy indicator
        self.progress.setValue(done)
        self.progress.show()

    # ---- actions -----------------------------------------------------------------------------------
    def open_settings(self) -> None:
        """Open the settings dialog; saved settings are applied at once."""
        from desktop.dialogs.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.ctx, self)
        dialog.applied.connect(self._on_settings_applied)
        dialog.open()

    def _on_settings_applied(self, settings: object) -> None:
        chat = self.views.get("chat")
        if chat is not None and hasattr(chat, "refresh_models"):
            chat.refresh_models()
        self.settings_applied.emit(settings)

    def set_dark_theme(self, dark: bool) -> None:
        """Switch between the light and the dark theme (remembered for the next start)."""
        theme = "dark" if dark else "light"
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme)
        save_theme_choice(self.ctx.engine.settings.home, theme)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About Lampwright",
            "<b>Lampwright</b><br>A private LLM workbench that runs offline on your laptop.",
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: D102 - Qt API
        for view in self.views.values():
            shutdown = getattr(view, "shutdown", None)
            if callable(shutdown):
                try:
                    shutdown()
                except Exception:
                    log.exception("view shutdown failed")
        super().closeEvent(event)
