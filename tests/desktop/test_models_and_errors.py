"""Model picker, model switching, settings dialog and the error banner (errors come from the real engine)."""

from __future__ import annotations

import json
import socket

import pytest

from engine.errors import InvalidModelError, LampwrightError
from engine.models.gguf_meta import read_gguf_info


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_model_picker_shows_gguf_metadata(qtbot, window, smollm2_path):
    chat = window.view("chat")
    with qtbot.waitSignal(chat.models_ready, timeout=30_000):
        chat.refresh_models()
    names = [c.name for c in chat.picker.choices()]
    assert "smollm2-135m-instruct" in names and "gemma3-270m" in names
    assert chat.picker.current_spec() == "smollm2-135m-instruct"
    info = read_gguf_info(smollm2_path)
    meta = chat.picker.meta.text()
    assert info.architecture in meta and info.quantization in meta and info.size_label in meta
    assert f"{info.context_length:,} ctx" in meta


@pytest.mark.slow
def test_switch_model_loads_it_on_the_worker_and_the_conversation_uses_it(
    qtbot, window, load_model, send_and_wait, params
):
    chat = window.view("chat")
    load_model(window.ctx)
    params(chat, max_tokens=12)
    first = send_and_wait(chat, "Say hello.")
    assert first.model == "smollm2-135m-instruct"
    # the user picks Gemma: it is assembled once (~250 MB) and loaded on the inference worker
    with qtbot.waitSignal(window.ctx.events.model_loaded, timeout=600_000) as loaded:
        chat.picker.choose("gemma3-270m")
        assert window.model_label.text().startswith("Loading")
    assert loaded.args == ["gemma3-270m"]
    assert "gemma3-270m" in window.model_label.text()
    assert window.ctx.engine.loaded_backend.model_name == "gemma3-270m"
    assert window.ctx.engine.conversations.get(chat.conversation_id).model == "gemma3-270m"
    second = send_and_wait(chat, "The capital of France is")
    assert second.model == "gemma3-270m" and second.usage.completion_tokens > 0
    assert "gemma3" in chat.transcript.last_turn("assistant").meta()


def test_broken_model_files_show_a_clear_banner_and_the_app_stays_usable(
    qtbot, make_window, lampwright_home, smollm2_path, load_model, send_and_wait, params
):
    models = lampwright_home / "models"
    models.mkdir(parents=True)
    not_gguf = models / "renamed.gguf"
    not_gguf.write_text("this is a text file, not a model\n" * 50)
    truncated = models / "truncated.gguf"
    with open(smollm2_path, "rb") as src:
        truncated.write_bytes(src.read(3_000_000))
    window = make_window(model=str(not_gguf))
    ctx, chat = window.ctx, window.view("chat")

    # the configured default is a text file renamed .gguf: loading it at start-up fails clearly
    with qtbot.waitSignal(ctx.events.error, timeout=60_000) as err:
        ctx.load_model()
    with pytest.raises(InvalidModelError) as expected:
        read_gguf_info(not_gguf)
    assert err.args[0] == str(expected.value)
    assert window.banner.isVisible() and window.banner.text() == str(expected.value)

    # the truncated file is listed as unusable in the picker; choosing it shows why
    with qtbot.waitSignal(chat.models_ready, timeout=30_000):
        chat.refresh_models()
    bad = {c.spec: c for c in chat.picker.choices() if not c.ok}
    assert str(truncated) in bad and str(not_gguf) in bad
    with qtbot.waitSignal(ctx.events.error, timeout=60_000) as err2:
        chat.picker.choose(str(truncated))
    with pytest.raises(InvalidModelError) as expected2:
        read_gguf_info(truncated)
    assert window.banner.text() == str(expected2.value) == err2.args[0]

    # a file that does not exist
    with qtbot.waitSignal(ctx.events.error, timeout=60_000) as err3:
        chat.picker.choose(str(models / "missing.gguf"))
    assert "not found" in err3.args[0] and str(models / "missing.gguf") in window.banner.text()

    # the app stays usable: pick the packaged model and chat
    with qtbot.waitSignal(ctx.events.model_loaded, timeout=60_000):
        chat.picker.choose("smollm2-135m-instruct")
    params(chat, max_tokens=8)
    assert send_and_wait(chat, "Hi").text


def test_prompt_longer_than_the_context_shows_the_engine_message(qtbot, make_window, load_model, params):
    window = make_window(n_ctx=256)
    chat = window.view("chat")
    load_model(window.ctx)
    params(chat, max_tokens=64)
    with qtbot.waitSignal(chat.reply_failed, timeout=120_000) as failed:
        chat.send("lighthouse " * 600)
    message = failed.args[0]
    assert "context window" in message and "n_ctx" in message
    assert window.banner.text() == message
    assert chat.send_button.isEnabled() and not chat.busy
    assert "No reply" in chat.transcript.last_turn("assistant").text()


def test_unreachable_backend_shows_a_clear_banner(qtbot, make_window):
    url = f"http://127.0.0.1:{_free_port()}/v1"
    window = make_window(backend="openai", backend_url=url)
    with qtbot.waitSignal(window.ctx.events.error, timeout=60_000) as err:
        window.ctx.load_model()
    assert url in err.args[0] and window.banner.text() == err.args[0]
    window.banner.dismiss()
    assert not window.banner.isVisible() and window.banner.messages[-1] == ("error", err.args[0])


def test_settings_dialog_saves_validates_and_applies(qtbot, window, lampwright_home, load_model):
    from desktop.dialogs.settings_dialog import SettingsDialog
    from engine.settings import Settings

    ctx = window.ctx
    load_model(ctx)
    dialog = SettingsDialog(ctx, window)
    qtbot.addWidget(dialog)
    # invalid: a remote backend without a URL; the dialog says why and saves nothing
    dialog.backend.setCurrentIndex(dialog.backend.findData("openai"))
    dialog.backend_url.setText("")
    assert dialog.save() is False
    assert "backend_url" in dialog.error_label.text() and not (lampwright_home / "settings.json").exists()
    with pytest.raises(LampwrightError):
        dialog.settings()

    dialog.backend.setCurrentIndex(dialog.backend.findData("llamacpp"))
    dialog.n_ctx.setValue(1024)
    dialog.temperature.setValue(0.35)
    dialog.system_prompt.setPlainText("You are terse.")
    with qtbot.waitSignal(ctx.events.model_loaded, timeout=60_000):
        assert dialog.save() is True
    saved = json.loads((lampwright_home / "settings.json").read_text())
    assert saved["n_ctx"] == 1024 and saved["temperature"] == 0.35
    assert Settings.load(lampwright_home).system_prompt == "You are terse."
    assert ctx.engine.settings.n_ctx == 1024
    assert ctx.engine.loaded_backend.context_length == 1024  # reloaded with the new context size
    # new conversations start from the new defaults
    chat = window.view("chat")
    chat.new_conversation()
    assert chat.panel.system_prompt.toPlainText() == "You are terse."
    assert abs(chat.panel.temperature.value() - 0.35) < 1e-9
