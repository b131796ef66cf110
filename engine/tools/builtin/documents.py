"""``search_documents``: the user's document libraries as a tool the model chooses to call."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.errors import ToolError
from engine.tools.base import Tool, tool

#: ``open_library(name)`` -> an open :class:`engine.retrieval.library.Library`
LibraryOpener = Callable[[str], Any]


def document_tools(home: Path, open_library: LibraryOpener | None = None) -> list[Tool]:
    """``search_documents`` over the libraries in ``home/libraries`` (none when there are no libraries)."""
    from engine.retrieval.library import Library, library_path, list_libraries

    root = Path(home) / "libraries"
    names = list_libraries(root)
    if not names:
        return []
    opened: dict[str, Any] = {}

    def opener(name: str) -> Any:
        if open_library is not None:
            return open_library(name)
        if name not in opened:
            opened[name] = Library(library_path(root, name), create=False)
        return opened[name]

    default = "sample" if "sample" in names else names[0]

    @tool(
        description=(
            "Search the user's own documents and return the most relevant passages with their source. "
            f"Use it for questions about the user's files, notes or documents. Libraries: {', '.join(names)}."
        ),
        timeout_s=120.0,
        examples=[("What do my documents say about the refund policy?", {"query": "refund policy"})],
    )
    def search_documents(query: str, library: str = default, k: int = 4) -> str:
        """Search the user's documents.

        Args:
            query: what to look for, in a few words.
            library: which document library to search.
            k: how many passages to return (1-10).
        """
        if library not in names:
            raise ToolError(f"No library {library!r}. Libraries: {', '.join(names)}.")
        hits = opener(library).search(query, k=max(1, min(int(k), 10)))
        if not hits:
            return "No passages matched."
        parts = []
        for i, h in enumerate(hits, 1):
            where = Path(h.path).name + (f", page {h.page}" if h.page else "")
            parts.append(f"[{i}] {where}: {' '.join(h.text.split())[:700]}")
        return "\n\n".join(parts)

    search_documents.parameters["properties"]["library"]["enum"] = names
    return [search_documents]
