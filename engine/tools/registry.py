"""A registry of tools by name, plus loading user tools from ``$LAMPWRIGHT_HOME/tools/*.py``."""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ConfigError, NotFoundError
from engine.tools.base import Tool

log = logging.getLogger(__name__)


class ToolRegistry:
    """Tools by name. Registration order is kept (it is the order shown to the model)."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        #: how loading each user tool file went (set by :func:`engine.tools.default_registry`)
        self.file_statuses: list[ToolFileStatus] = []
        for t in tools:
            self.register(t)

    def register(self, tool: Tool, *, replace: bool = False) -> Tool:
        """Add a tool; a second tool with the same name is an error unless ``replace``."""
        if not isinstance(tool, Tool):
            raise ConfigError(f"{tool!r} is not a Tool; decorate the function with @tool.")
        if tool.name in self._tools and not replace:
            raise ConfigError(f"A tool named {tool.name!r} is already registered.")
        self._tools[tool.name] = tool
        return tool

    def get(self, name: str) -> Tool | None:
        """The tool called ``name``, or None."""
        return self._tools.get(name)

    def require(self, name: str) -> Tool:
        """The tool called ``name``; :class:`NotFoundError` naming the valid ones otherwise."""
        tool = self._tools.get(name)
        if tool is None:
            raise NotFoundError(f"No tool named {name!r}. Available: {', '.join(self.names) or 'none'}.")
        return tool

    @property
    def names(self) -> list[str]:
        """Tool names in registration order."""
        return list(self._tools)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def subset(self, names: Iterable[str]) -> ToolRegistry:
        """A registry with only ``names`` (each must exist)."""
        return ToolRegistry(self.require(n) for n in names)

    def specs(self) -> list[dict[str, Any]]:
        """OpenAI function specs of every tool."""
        return [t.spec() for t in self._tools.values()]


@dataclass(frozen=True, slots=True)
class ToolFileStatus:
    """What loading one user tool file gave: its tools' names, or the reason it failed."""

    path: Path
    tools: tuple[str, ...] = ()
    error: str = ""


def load_user_tools(folder: Path, registry: ToolRegistry) -> list[ToolFileStatus]:
    """Import each ``*.py`` in ``folder`` and register the :class:`Tool` objects it defines.

    A file that fails to import, or that defines a tool whose name is taken, is reported in its
    status and skipped; the others still load. These files are the user's own code: they run with
    the user's rights, like any Python script they run.
    """
    statuses: list[ToolFileStatus] = []
    if not folder.is_dir():
        return statuses
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        mod_name = f"lampwright_user_tools.{path.stem}"
        try:
            spec = importlib.util.spec_from_file_location(mod_name, path)
            if spec is None or spec.loader is None:
                raise ImportError("not importable")
            module = importlib.util.module_from_spec(spec)
            sys.modules[mod_name] = module
            spec.loader.exec_module(module)
        except Exception as exc:  # the user's file: report, never crash the app
            sys.modules.pop(mod_name, None)
            log.warning("user tool file %s failed: %s", path, exc)
            statuses.append(ToolFileStatus(path, error=f"{type(exc).__name__}: {exc}"))
            continue
        found = [v for v in vars(module).values() if isinstance(v, Tool)]
        names: list[str] = []
        errors: list[str] = []
        for t in found:
            try:
                registry.register(t)
                names.append(t.name)
            except ConfigError as exc:
                errors.append(str(exc))
        if not found:
            errors.append("defines no @tool functions")
        statuses.append(ToolFileStatus(path, tuple(names), "; ".join(errors)))
    return statuses
