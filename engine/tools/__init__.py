"""Tools a model can call: the ``@tool`` decorator, a registry, a safe executor and the tool loop.

Import-light: built-in tools (and their dependencies, e.g. DuckDB) load only when asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.tools.base import Tool, tool
from engine.tools.config import ToolConfig
from engine.tools.executor import Confirm, ConfirmRequest, ToolOutcome, execute
from engine.tools.loop import (
    ToolCallFinished,
    ToolCallStarted,
    ToolLoopEvent,
    ToolLoopResult,
    collect_loop,
    run_tool_loop,
)
from engine.tools.registry import ToolFileStatus, ToolRegistry, load_user_tools

__all__ = [
    "Confirm",
    "ConfirmRequest",
    "Tool",
    "ToolCallFinished",
    "ToolCallStarted",
    "ToolConfig",
    "ToolFileStatus",
    "ToolLoopEvent",
    "ToolLoopResult",
    "ToolOutcome",
    "ToolRegistry",
    "collect_loop",
    "default_registry",
    "execute",
    "load_user_tools",
    "run_tool_loop",
    "tool",
]


def default_registry(home: Path, config: ToolConfig | None = None, *, open_library: Any = None) -> ToolRegistry:
    """Built-in tools plus the user's tools from ``home/tools`` (their load statuses in ``file_statuses``).

    ``open_library(name)`` (e.g. ``Engine.library``) shares open document libraries with ``search_documents``.
    """
    from engine.tools.builtin import builtin_tools

    cfg = config or ToolConfig.load(home)
    registry = ToolRegistry(builtin_tools(cfg, home=home, open_library=open_library))
    registry.file_statuses = load_user_tools(Path(home) / "tools", registry)
    return registry
