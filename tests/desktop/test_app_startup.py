"""`lampwright gui` in a real subprocess: the window appears without torch, then the model loads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


def _gui_command() -> list[str]:
    script = Path(sys.executable).with_name("lampwright")
    if script.exists():
        return [str(script), "gui"]
    exe = shutil.which("lampwright")
    if exe:
        return [exe, "gui"]
    return [sys.executable, "-c", "from engine.cli import main; main()", "gui"]


def test_window_appears_without_torch_and_loads_the_model(lampwright_home, tmp_path):
    probe = tmp_path / "probe.json"
    env = dict(os.environ, LAMPWRIGHT_HOME=str(lampwright_home), LAMPWRIGHT_STARTUP_PROBE=str(probe))
    env["QT_QPA_PLATFORM"] = "offscreen"
    proc = subprocess.run(_gui_command(), env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(probe.read_text())
    assert data["torch_imported_shown"] is False  # the window was shown without importing torch
    assert data["torch_imported_model"] is False  # nor does loading the GGUF model need it
    assert data["model"] == "smollm2-135m-instruct"
    assert data["model_loaded_at"] >= data["shown_at"]  # the model loads after the window shows
    assert data["rss_kb_model"] > data["rss_kb_shown"] > 0
    # the app ran on the per-test home
    assert (lampwright_home / "conversations.sqlite").exists()
