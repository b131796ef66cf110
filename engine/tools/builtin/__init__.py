"""Built-in tools. Everything here is read-only except ``write_file`` (confirmation needed)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from engine.tools.base import Tool
from engine.tools.builtin.calculator import calculator
from engine.tools.builtin.clock import convert_time, current_time
from engine.tools.builtin.units import convert_units
from engine.tools.config import ToolConfig

log = logging.getLogger(__name__)


def builtin_tools(config: ToolConfig, *, home: Path | None = None, open_library: Any = None) -> list[Tool]:
    """The built-in tools for ``config`` (file and SQL tools only when the user allowed something).

    ``search_documents`` joins when ``home`` has document libraries; ``open_library(name)`` lets the
    engine share its open libraries with the tool.
    """
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
        tools.extend(_retrieval_tools(home, open_library))
    return tools


def _retrieval_tools(home: Path, open_library: Any) -> list[Tool]:
    """``search_documents`` when the retrieval extra is installed and libraries exist."""
    try:
        from engine.tools.builtin.documents import document_tools

        return document_tools(home, open_library)
    except ImportError as exc:  # the rag extra is not installed
        log.info("search_documents unavailable: %s", exc)
        return []
