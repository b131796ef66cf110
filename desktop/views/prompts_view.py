"""Prompts: browse the prompt library, edit a prompt and save it as a new version, edit its JSON schema.

Saved versions never change: "Save as new version" stores the edited content under its content hash
(the same content gives the same version back).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.context import AppContext
from engine.errors import LampwrightError
from engine.prompts import PromptTemplate, PromptVersion


class PromptsView(QWidget):
    """The Prompts section."""

    #: a version was saved (its PromptVersion)
    saved = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.library = ctx.engine.prompts
        self.current: PromptVersion | None = None

        self.list = QListWidget()
        self.list.currentItemChanged.connect(self._prompt_selected)
        self.new_button = QPushButton("New prompt")
        self.new_button.clicked.connect(self.new_prompt)
        left = QVBoxLayout()
        left.addWidget(QLabel("Prompt library"))
        left.addWidget(self.list)
        left.addWidget(self.new_button)
        left_w = QWidget()
        left_w.setLayout(left)

        self.name = QLineEdit()
        self.versions = QComboBox()
        self.versions.currentIndexChanged.connect(self._version_selected)
        self.description = QLineEdit()
        self.system = QPlainTextEdit()
        self.system.setPlaceholderText("System message (may use {{ variables }})")
        self.template = QPlainTextEdit()
        self.template.setPlaceholderText("User message, e.g. Summarise: {{ text }}")
        self.examples = QPlainTextEdit()
        self.examples.setPlaceholderText('[{"user": "...", "assistant": "..."}]')
        self.placement = QComboBox()
        self.placement.addItems(["turns", "system"])
        self.defaults = QLineEdit()
        self.defaults.setPlaceholderText('{"variable": "default value"}')
        self.schema = QPlainTextEdit()
        self.schema.setPlaceholderText("JSON Schema for structured output (empty: free text)")
        self.check_button = QPushButton("Check schema")
        self.check_button.clicked.connect(self.check_schema)
        self.schema_status = QLabel()
        self.schema_status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Version", self.versions)
        form.addRow("Description", self.description)
        tabs = QTabWidget()
        tabs.addTab(self.template, "Template")
        tabs.addTab(self.system, "System")
        shots = QWidget()
        shots_l = QFormLayout(shots)
        shots_l.addRow("Examples (JSON)", self.examples)
        shots_l.addRow("Placement", self.placement)
        shots_l.addRow("Defaults (JSON)", self.defaults)
        tabs.addTab(shots, "Few-shot && variables")
        schema_w = QWidget()
        schema_l = QVBoxLayout(schema_w)
        schema_l.addWidget(self.schema)
        row = QHBoxLayout()
        row.addWidget(self.check_button)
        row.addWidget(self.schema_status, 1)
        schema_l.addLayout(row)
        tabs.addTab(schema_w, "Structured output")
        self.tabs = tabs

        self.variables = QLabel()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.save_button = QPushButton("Save as new version")
        self.save_button.clicked.connect(self.save)
        bottom = QHBoxLayout()
        bottom.addWidget(self.variables, 1)
        bottom.addWidget(self.save_button)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(tabs, 1)
        right.addLayout(bottom)
        right.addWidget(self.status)
        right_w = QWidget()
        right_w.setLayout(right)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left_w)
        split.addWidget(right_w)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self.refresh()

    # ---- library -----------------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        """Reload the list of prompts (keeping or choosing ``select``)."""
        keep = select or (self.current.name if self.current else None)
        self.list.blockSignals(True)
        self.list.clear()
        for v in self.library.list():
            item = QListWidgetItem(f"{v.name}  ·  {len(self.library.versions(v.name))} version(s)")
            item.setData(Qt.ItemDataRole.UserRole, v.name)
            item.setToolTip(v.prompt.description)
            self.list.addItem(item)
        self.list.blockSignals(False)
        names = [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]
        if names:
            self.list.setCurrentRow(names.index(keep) if keep in names else 0)

    def _prompt_selected(self, item: QListWidgetItem | None, _prev: QListWidgetItem | None = None) -> None:
        if item is None:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        versions = self.library.versions(name)
        self.versions.blockSignals(True)
        self.versions.clear()
        for v in versions:
            self.versions.addItem(f"{v.version} ({v.source}{', ' + v.saved_at[:19] if v.saved_at else ''})", v.version)
        self.versions.setCurrentIndex(len(versions) - 1)
        self.versions.blockSignals(False)
        self.show_version(versions[-1])

    def _version_selected(self, index: int) -> None:
        if index < 0 or self.current is None:
            return
        self.show_version(self.library.get(self.current.name, self.versions.itemData(index)))

    def show_version(self, v: PromptVersion) -> None:
        """Put a version into the editor."""
        self.current = v
        p = v.prompt
        self.name.setText(p.name)
        self.description.setText(p.description)
        self.system.setPlainText(p.system)
        self.template.setPlainText(p.template)
        self.examples.setPlainText(
            json.dumps([{"user": e.user, "assistant": e.assistant} for e in p.examples], indent=2, ensure_ascii=False)
            if p.examples else ""
        )
        self.placement.setCurrentText(p.placement)
        self.defaults.setText(json.dumps(dict(p.defaults), ensure_ascii=False) if p.defaults else "")
        self.schema.setPlainText(json.dumps(p.schema, indent=2, ensure_ascii=False) if p.schema else "")
        self.schema_status.clear()
        self.variables.setText(f"Variables: {', '.join(p.variables) or 'none'}")
        self.status.setText(f"{v.prompt_id} · content hash {p.content_hash[:16]}… · {v.source}")

    def new_prompt(self) -> None:
        """Clear the editor for a new prompt."""
        self.current = None
        self.list.clearSelection()
        self.versions.clear()
        for w in (self.name, self.description, self.defaults):
            w.clear()
        for e in (self.system, self.template, self.examples, self.schema):
            e.clear()
        self.status.setText("New prompt: give it a name and a template, then save.")
        self.name.setFocus()

    # ---- editing -----------------------------------------------------------------------------------
    def edited_prompt(self) -> PromptTemplate:
        """The editor's content as a template (raises LampwrightError/ValueError when invalid)."""
        data: dict[str, Any] = {
            "name": self.name.text().strip(),
            "description": self.description.text().strip(),
            "system": self.system.toPlainText(),
            "template": self.template.toPlainText(),
            "placement": self.placement.currentText(),
            "examples": _json_or(self.examples.toPlainText(), [], "Examples"),
            "defaults": _json_or(self.defaults.text(), {}, "Defaults"),
            "schema": self._schema_or_none(),
        }
        return PromptTemplate.from_dict(data)

    def _schema_or_none(self) -> dict[str, Any] | None:
        schema = _json_or(self.schema.toPlainText(), None, "Schema")
        if schema is not None:
            from engine.prompts.structured import check_schema

            check_schema(schema)
        return schema

    def check_schema(self) -> bool:
        """Validate the schema editor's content; shows the outcome."""
        try:
            schema = self._schema_or_none()
        except (LampwrightError, ValueError) as exc:
            self.schema_status.setText(f"✗ {exc}")
            self.schema_status.setStyleSheet("color: #c62828;")
            return False
        self.schema_status.setText("✓ Valid: output will always match this schema." if schema else "No schema: free text.")
        self.schema_status.setStyleSheet("color: #2e7d32;")
        return True

    def save(self) -> PromptVersion | None:
        """Save the editor's content as a new version (a no-op when nothing changed)."""
        try:
            prompt = self.edited_prompt()
        except (LampwrightError, ValueError) as exc:
            self.status.setText(f"Not saved: {exc}")
            self.status.setStyleSheet("color: #c62828;")
            return None
        before = self.current.version if self.current and self.current.name == prompt.name else None
        v = self.library.save(prompt)
        self.status.setStyleSheet("")
        self.refresh(select=v.name)
        self.status.setText(
            f"Unchanged: {v.prompt_id} already exists." if v.version == before else f"Saved {v.prompt_id}."
        )
        self.saved.emit(v)
        return v


def _json_or(text: str, empty: Any, what: str) -> Any:
    if not text.strip():
        return empty
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{what} is not valid JSON ({exc}).") from exc
