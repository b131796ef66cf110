from __future__ import annotations

import json
import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog

from desktop.dialogs.confirm_tool import ConfirmToolDialog, GuiConfirmer
from desktop.views.prompts_view import PromptsView
from desktop.widgets.tool_call_view import ToolCallView
from engine.tools import ConfirmRequest, ToolRegistry, execute, tool
from engine.types import ToolCall


def test_prompts_view_browse_edit_and_save_new_version(qtbot, make_ctx):
    ctx = make_ctx()
    view = PromptsView(ctx)
    qtbot.addWidget(view)
    names = [view.list.item(i).text().split()[0] for i in range(view.list.count())]
    assert "extract-invoice" in names and "sentiment" in names
    view.list.setCurrentRow(names.index("summarize"))
    assert view.template.toPlainText() == "Summarise this text:\n\n{{ text }}"
    assert view.variables.text() == "Variables: bullets, text"
    original = view.current.version
    with qtbot.waitSignal(view.saved) as blocker:
        view.template.setPlainText("Summarise briefly:\n\n{{ text }}")
        view.save()
    v = blocker.args[0]
    assert v.version != original and v.parent == original
    assert [x.version for x in ctx.engine.prompts.versions("summarize")] == [original, v.version]
    assert ctx.engine.prompts.get("summarize", original).prompt.template == "Summarise this text:\n\n{{ text }}"
    assert view.save().version == v.version and "Unchanged" in view.status.text()  # same content, same version
    view.versions.setCurrentIndex(0)  # browse the old version
    assert view.template.toPlainText() == "Summarise this text:\n\n{{ text }}"


def test_schema_editor_checks_and_refuses_unsupported_schemas(qtbot, make_ctx):
    ctx = make_ctx()
    view = PromptsView(ctx)
    qtbot.addWidget(view)
    view.new_prompt()
    view.name.setText("colours")
    view.template.setPlainText("Name a colour for {{ thing }}.")
    view.schema.setPlainText(json.dumps({"type": "object", "patternProperties": {"^c": {"type": "string"}}}))
    assert view.check_schema() is False and "patternProperties" in view.schema_status.text()
    assert view.save() is None and "Not saved" in view.status.text()
    view.schema.setPlainText(json.dumps({"type": "object", "properties": {"colour": {"enum": ["red", "blue"]}}, "required": ["colour"]}))
    assert view.check_schema() is True
    v = view.save()
    assert v is not None and v.prompt.schema["required"] == ["colour"]
    assert "colours" in [view.list.item(i).text().split()[0] for i in range(view.list.count())]


def test_tool_call_view_shows_name_arguments_result_and_duration(qtbot):
    @tool
    def shout(text: str) -> str:
        """Upper-case."""
        return text.upper()

    call = ToolCall("c1", "shout", json.dumps({"text": "hi"}))
    view = ToolCallView(call)
    qtbot.addWidget(view)
    assert view.header_text == "⚙ shout — running…"
    assert view.arguments.text() == '{"text": "hi"}'
    outcome = execute(ToolRegistry([shout]), call)
    view.set_outcome(outcome)
    assert view.header_text.startswith("⚙ shout — done · ") and view.header_text.endswith(" ms")
    assert view.result.toPlainText() == "HI" and view.result.isHidden()
    view.toggle.setChecked(True)
    assert not view.result.isHidden()
    again = ToolCallView.from_dict(outcome.to_dict())
    qtbot.addWidget(again)
    assert again.header_text.startswith("⚙ shout — done") and again.result.toPlainText() == "HI"
    failed = ToolCallView.from_outcome(execute(ToolRegistry([shout]), ToolCall("c2", "nope", "{}")))
    qtbot.addWidget(failed)
    assert "unknown tool" in failed.header_text and not failed.result.isHidden()


def test_confirm_dialog_default_is_deny(qtbot):
    dialog = ConfirmToolDialog(ConfirmRequest("delete_files", "Delete every file.", {"folder": "/home"}))
    qtbot.addWidget(dialog)
    assert dialog.deny_button.isDefault()
    QTimer.singleShot(0, dialog.deny_button.click)
    assert dialog.exec() == QDialog.DialogCode.Rejected


def test_gui_confirmer_asks_from_a_worker_thread(qtbot):
    ran: list[str] = []

    @tool(side_effects=True)
    def delete_files(folder: str) -> str:
        """Delete every file in a folder."""
        ran.append(folder)
        return "deleted"

    confirmer = GuiConfirmer()
    answers = iter([False, True])
    shown: list[ConfirmToolDialog] = []

    def on_dialog(dialog: ConfirmToolDialog) -> None:
        shown.append(dialog)
        button = dialog.allow_button if next(answers) else dialog.deny_button
        QTimer.singleShot(0, button.click)

    confirmer.dialog_shown.connect(on_dialog)
    reg = ToolRegistry([delete_files])
    results: list[str] = []

    def worker() -> None:
        for _ in range(2):
            results.append(execute(reg, ToolCall("c", "delete_files", json.dumps({"folder": "/tmp/x"})), confirm=confirmer).status)

    t = threading.Thread(target=worker)
    t.start()
    qtbot.waitUntil(lambda: len(results) == 2, timeout=10_000)
    t.join()
    assert results == ["denied", "ok"] and ran == ["/tmp/x"] and len(shown) == 2
    assert shown[0].request.arguments == {"folder": "/tmp/x"}


def test_prompts_section_is_registered():
    from desktop.sections import SECTIONS

    assert any(s.key == "prompts" and s.load() is PromptsView for s in SECTIONS)
