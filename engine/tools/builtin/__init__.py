"""Built-in tools. Everything here is read-only except ``write_file`` (confirmation needed)."""

from __future__ import annotations

import logging
from pathlib import Path

from engine.tools.base import Tool
from engine.tools.builtin.calculator import calculator
from engine.tools.builtin.clock import convert_time, current_time
from engine.tools.builtin.units import convert_units
from engine.tools.config import ToolConfig

log = logging.getLogger(__name__)


def builtin_tools(config: ToolConfig, *, home: Path | None = None) -> list[Tool]:
    """The built-in tools for ``config`` (file and SQL tools only when the user allowed something)."""
    from engine.tools.builtin.web import web_tools

    tools: list[Tool] = [calculator, current_time, convert_time, convert_units]
    tools.extend(web_tools(config))
    if config.allowed_folders:
        from engine.tools.builtin.files import file_tools

        tools.extend(file_tools(config.allowed_folders))
    if config.data_files:
        from engine.tools.builtin.sql import sql_tools

        try:
            tools.extend(sql_tools(config.data_files))
        except Exception as exc:  # a broken data file must not take the other tools down
            log.warning("sql_query unavailable: %s", exc)
    if home is not None:
        tools.extend(_retrieval_tools(home))
    return tools


def _retrieval_tools(home: Path) -> list[Tool]:
    """``search_documents`` once the retrieval engine exists (see engine/tools/builtin/documents.py)."""
    try:
        from engine.tools.builtin.documents import document_tools
    except ImportError:
        return []
    return document_tools(home)
