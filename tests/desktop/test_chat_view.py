"""Chat view against the real SmolLM2 model: streaming, Stop, persistence, inline widgets."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from engine.types import ChatResult, Message


def test_sidebar_lists_available_sections_and_builds_views_lazily(window):
    from desktop.sections import available_sections

    titles = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert titles == [s.title for s in available_sections()]
    assert list(window.views) == ["chat"]  # only the section shown was built


def test_send_streams_markdown_as_tokens_arrive(qtbot, window, load_model, params):
    chat = window.view("chat")
    load_model(window.ctx)
    params(chat, max_tokens=64)
    qtbot.keyClicks(chat.composer, "Write a short poem about the sea, in three stanzas.")
    renders: list[str] = []
    with qtbot.waitSignal(chat.reply_finished, timeout=180_000) as blocker:
        qtbot.mouseClick(chat.send_button, Qt.MouseButton.LeftButton)
        turn = chat.current_assistant_turn()
        assert turn is not None and chat.busy
        turn.body.textChanged.connect(lambda: renders.append(turn.text()))
    result = blocker.args[0]
    assert isinstance(result, ChatResult) and result.text
    partial = [r for r in renders if r != result.text]
    # several throttled renders while streaming, each a growing prefix of the final reply
    assert len(partial) >= 2, renders
    assert all(result.text.startswith(p) for p in partial if p)
    assert [len(p) for p in partial] == sorted(len(p) for p in partial)
    assert turn.text() == result.text
    assert result.model in turn.meta()
    assert "tok/s" in window.speed_label.text()
    # stored in the conversation, which is listed and titled from the prompt
    stored = window.ctx.engine.conversations.messages(chat.conversation_id)
    assert [m.message.role for m in stored] == ["user", "assistant"]
    assert stored[1].message.content == result.text
    assert chat.conversation_list.current_id() == chat.conversation_id
    assert chat.conversation_list.titles()[0].startswith("Write a short poem")
    assert chat.send_button.isEnabled() and not chat.stop_button.isVisible()


def test_stop_cancels_mid_stream_and_keeps_the_partial_reply(qtbot, window, load_model, params):
    chat = window.view("chat")
    load_model(window.ctx)
    params(chat, max_tokens=1500, temperature=0.8)
    with qtbot.waitSignal(chat.reply_finished, timeout=180_000) as blocker:
        chat.send("Tell me a very long story about a lighthouse keeper and the sea, with many chapters.")
        qtbot.waitUntil(lambda: chat.streamed_tokens >= 5, timeout=120_000)
        assert chat.stop_button.isVisible() and chat.stop_button.isEnabled()
        qtbot.mouseClick(chat.stop_button, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert result.finish_reason == "cancelled"
    assert 0 < result.usage.completion_tokens < 1500
    qtbot.waitUntil(lambda: not chat.busy, timeout=10_000)
    assert chat.send_button.isVisible() and chat.send_button.isEnabled()
    assert not chat.stop_button.isVisible()
    assert chat.conversation_list.isEnabled() and chat.picker.isEnabled()
    turn = chat.transcript.last_turn("assistant")
    assert turn.text() == result.text and "stopped" in turn.meta()
    stored = window.ctx.engine.conversations.messages(chat.conversation_id)
    assert stored[-1].message.content == result.text
    assert stored[-1].meta["finish_reason"] == "cancelled"


def test_conversation_reopens_after_restart(qtbot, make_ctx, make_window, load_model, send_and_wait, params):
    from desktop.app import shutdown

    first = make_window()
    chat = first.view("chat")
    load_model(first.ctx)
    params(chat, max_tokens=24, temperature=0.3, seed=11)
    chat.panel.system_prompt.setPlainText("You answer in one sentence.")
    result = send_and_wait(chat, "What is a lighthouse?")
    cid = chat.conversation_id
    first.close()
    shutdown(first.ctx)
    first.ctx._closed = True

    second = make_window()  # a new engine and window on the same home
    chat2 = second.view("chat")
    assert chat2.conversation_list.ids() == [cid]
    assert chat2.conversation_id == cid  # the most recent conversation opens
    shown = [(t.role, t.text()) for t in chat2.transcript.turns]
    assert shown == [("user", "What is a lighthouse?"), ("assistant", result.text)]
    assert chat2.panel.system_prompt.toPlainText() == "You answer in one sentence."
    assert chat2.panel.max_tokens.value() == 24
    assert abs(chat2.panel.temperature.value() - 0.3) < 1e-9 and chat2.panel.seed.value() == 11
    # and the conversation continues with its history
    load_model(second.ctx)
    send_and_wait(chat2, "And who keeps it?")
    assert len(second.ctx.engine.conversations.messages(cid)) == 4


def test_conversation_rename_delete_export(qtbot, window, tmp_path):
    chat = window.view("chat")
    store = window.ctx.engine.conversations
    a = store.create("First")
    store.append(a.id, Message("user", "hello **there**"))
    b = store.create("Second")
    chat.refresh_conversations()
    assert set(chat.conversation_list.ids()) == {a.id, b.id}
    chat.conversation_list.select(a.id)
    assert chat.conversation_id == a.id
    assert [t.text() for t in chat.transcript.turns] == ["hello **there**"]

    chat.rename_conversation(a.id, "Renamed chat")
    assert "Renamed chat" in chat.conversation_list.titles()
    md = chat.export_conversation(a.id, "markdown", tmp_path / "a.md")
    assert md is not None and "# Renamed chat" in md.read_text() and "hello **there**" in md.read_text()
    js = chat.export_conversation(a.id, "json", tmp_path / "a.json")
    data = json.loads(js.read_text())
    assert data["title"] == "Renamed chat" and data["messages"][0]["content"] == "hello **there**"

    chat.delete_conversation(a.id, confirm=False)
    assert chat.conversation_list.ids() == [b.id]
    assert chat.conversation_id == b.id and chat.transcript.turns == []
    chat.delete_conversation(b.id, confirm=False)
    assert chat.conversation_list.ids() == [] and chat.conversation_id is None


def test_generation_settings_are_saved_per_conversation(qtbot, window):
    chat = window.view("chat")
    store = window.ctx.engine.conversations
    conv = store.create("Tuned", system_prompt="Be brief.")
    chat.refresh_conversations()
    chat.conversation_list.select(conv.id)
    chat.panel.temperature.setValue(1.25)
    chat.panel.top_p.setValue(0.5)
    chat.panel.max_tokens.setValue(77)
    chat.panel.seed.setValue(42)
    chat.panel.system_prompt.setPlainText("Be very brief.")
    with qtbot.waitSignal(chat.panel.changed, timeout=5000):
        pass
    saved = store.get(conv.id)
    assert saved.system_prompt == "Be very brief."
    assert (saved.params.temperature, saved.params.top_p, saved.params.max_tokens, saved.params.seed) == (
        1.25, 0.5, 77, 42,
    )


def test_tool_call_widget_hook_adds_inline_widget_to_assistant_turn(window):
    chat = window.view("chat")
    label = QLabel("get_weather(city='Oslo')")
    turn = chat.add_tool_call_widget(label)
    assert turn.role == "assistant" and label.parent() is turn
    assert turn.extras.indexOf(label) >= 0


def test_dark_theme_toggle_is_applied_and_remembered(qapp, window, lampwright_home):
    from desktop.widgets.theme import theme_choice

    assert theme_choice(lampwright_home) == "light"
    try:
        window.dark_action.setChecked(True)
        assert "dark theme" in qapp.styleSheet()
        assert json.loads((lampwright_home / "desktop.json").read_text())["theme"] == "dark"
        assert theme_choice(lampwright_home) == "dark"
    finally:
        window.dark_action.setChecked(False)
    assert "light theme" in qapp.styleSheet() and theme_choice(lampwright_home) == "light"
