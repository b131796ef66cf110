from __future__ import annotations

import json
from pathlib import Path

from engine.core import Engine
from engine.tools import ToolConfig, execute
from engine.types import ToolCall

GOOD = '''
from engine.tools import tool

@tool
def shout(text: str) -> str:
    """Upper-case a text.

    Args:
        text: what to shout.
    """
    return text.upper()

@tool(side_effects=True)
def launch(target: str) -> str:
    """Launch something."""
    return "launched " + target
'''


def test_user_tools_load_from_home(engine: Engine, lampwright_home: Path):
    folder = lampwright_home / "tools"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mine.py").write_text(GOOD, encoding="utf-8")
    (folder / "broken.py").write_text("import nonexistent_module_xyz\n", encoding="utf-8")
    (folder / "dupe.py").write_text("from engine.tools.builtin.calculator import calculator\n", encoding="utf-8")
    reg = engine.reload_tools()
    assert "shout" in reg and "launch" in reg and "calculator" in reg
    assert reg.require("shout").parameters["properties"]["text"]["description"] == "what to shout."
    statuses = {s.path.name: s for s in reg.file_statuses}
    assert statuses["mine.py"].tools == ("shout", "launch") and not statuses["mine.py"].error
    assert "ModuleNotFoundError" in statuses["broken.py"].error
    assert "already registered" in statuses["dupe.py"].error
    assert execute(reg, ToolCall("1", "shout", json.dumps({"text": "hi"}))).content == "HI"
    assert execute(reg, ToolCall("2", "launch", json.dumps({"target": "x"}))).status == "denied"


def test_tool_config_round_trip(engine: Engine, tmp_path: Path):
    (tmp_path / "a.csv").write_text("x\n1\n")
    cfg = engine.tool_config.updated(allowed_folders=[tmp_path], data_files=[tmp_path / "a.csv"], max_steps=3)
    reg = engine.reload_tools(cfg)
    assert "sql_query" in reg and "read_file" in reg
    assert ToolConfig.load(engine.settings.home) == cfg
    assert engine.tool_config.max_steps == 3
