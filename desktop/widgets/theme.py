"""Where the app's icons and style sheets live, and how they are applied."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
THEMES = ("light", "dark")
#: desktop-only preferences (the theme) kept next to settings.json
PREFS_FILE = "desktop.json"


def resource(*parts: str) -> Path:
    """Path of a file under ``resources/``."""
    return RESOURCES.joinpath(*parts)


def icon(name: str) -> QIcon:
    """An icon from ``resources/icons/<name>.svg`` (an empty icon when missing)."""
    path = resource("icons", f"{name}.svg")
    return QIcon(str(path)) if path.exists() else QIcon()


def apply_theme(app: QApplication, theme: str = "light") -> None:
    """Set the app font, icon and style sheet."""
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    app.setWindowIcon(icon("lampwright"))
    qss = resource("styles", f"{theme}.qss")
    try:
        # url() paths in a style sheet resolve against the working directory: make them absolute
        text = qss.read_text(encoding="utf-8").replace("@ICONS@", resource("icons").as_posix())
        app.setStyleSheet(text)
    except OSError as exc:  # a missing style sheet must not stop the app
        log.warning("style sheet %s not loaded: %s", qss, exc)


def theme_choice(home: Path) -> str:
    """The theme to use: ``$LAMPWRIGHT_THEME``, else the one saved in ``home``, else light."""
    env = os.environ.get("LAMPWRIGHT_THEME", "")
    if env in THEMES:
        return env
    try:
        saved = json.loads((home / PREFS_FILE).read_text(encoding="utf-8")).get("theme")
    except (OSError, ValueError, AttributeError):
        saved = None
    return saved if saved in THEMES else "light"


def save_theme_choice(home: Path, theme: str) -> None:
    """Remember ``theme`` for the next start."""
    path = home / PREFS_FILE
    try:
        prefs = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, ValueError):
        prefs = {}
    prefs["theme"] = theme
    try:
        path.write_text(json.dumps(prefs, indent=2), encoding="utf-8")
    except OSError as exc:
        log.warning("could not save the theme choice: %s", exc)
