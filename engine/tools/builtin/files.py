"""``read_file`` (and ``write_file``, a side-effect tool) inside folders the user allowed.

Paths are resolved (``..`` collapsed, symlinks followed) before the check, so neither path traversal
nor a symlink that points outside an allowed folder can reach other files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine.errors import ToolError
from engine.tools.base import Tool, tool

MAX_READ_BYTES = 200_000


def resolve_inside(path: str, folders: Sequence[str | Path], *, must_exist: bool = True) -> Path:
    """The real path of ``path`` if it lies inside one of ``folders``; :class:`ToolError` otherwise.

    A relative path is tried against each allowed folder in order.
    """
    roots = [Path(f).expanduser().resolve() for f in folders]
    if not roots:
        raise ToolError("No folders are allowed for file access. Add one under Settings > Tools (allowed_folders).")
    raw = Path(path).expanduser()
    candidates = [raw] if raw.is_absolute() else [root / raw for root in roots]
    for cand in candidates:
        real = cand.resolve(strict=False)
        inside = next((r for r in roots if real == r or real.is_relative_to(r)), None)
        if inside is None:
            continue
        if must_exist and not real.exists():
            continue
        return real
    if any(_inside_any(c.resolve(strict=False), roots) for c in candidates):
        raise ToolError(f"No file {path!r} in the allowed folders.")
    raise ToolError(f"Access to {path!r} is refused: it is outside the folders the user allowed.")


def _inside_any(real: Path, roots: list[Path]) -> bool:
    return any(real == r or real.is_relative_to(r) for r in roots)


def file_tools(folders: Sequence[str | Path]) -> list[Tool]:
    """``read_file``, ``list_files`` and ``write_file`` bound to the allowed ``folders``."""
    allowed = [str(f) for f in folders]

    @tool(examples=[("Show me docs/plan.txt", {"path": "docs/plan.txt"}), ("Open report.md", {"path": "report.md"})])
    def read_file(path: str) -> str:
        """Read a text file from the folders the user allowed.

        Args:
            path: file path, relative to an allowed folder (or absolute inside one).
        """
        real = resolve_inside(path, allowed)
        if real.is_dir():
            raise ToolError(f"{path!r} is a folder; use list_files.")
        with real.open("rb") as fh:
            data = fh.read(MAX_READ_BYTES + 1)
        if b"\x00" in data[:4096]:
            raise ToolError(f"{path!r} is a binary file; only text files can be read.")
        text = data[:MAX_READ_BYTES].decode("utf-8", errors="replace")
        if len(data) > MAX_READ_BYTES:
            text += f"\n[... file continues; only the first {MAX_READ_BYTES:,} bytes were read]"
        return text

    @tool(examples=[("Which files do I have?", {"folder": "."}), ("What is in the docs folder?", {"folder": "docs"})])
    def list_files(folder: str = ".") -> str:
        """List the files in an allowed folder.

        Args:
            folder: folder relative to an allowed folder ("." for its top).
        """
        real = resolve_inside(folder, allowed)
        if not real.is_dir():
            raise ToolError(f"{folder!r} is not a folder.")
        entries = sorted(real.iterdir())[:200]
        return "\n".join(f"{e.name}/" if e.is_dir() else f"{e.name} ({e.stat().st_size:,} bytes)" for e in entries) or "(empty)"

    @tool(side_effects=True)
    def write_file(path: str, content: str) -> str:
        """Create a new text file in an allowed folder (never overwrites). Needs the user's confirmation.

        Args:
            path: new file path, relative to an allowed folder.
            content: the text to write.
        """
        real = resolve_inside(path, allowed, must_exist=False)
        if real.exists():
            raise ToolError(f"{path!r} already exists; write_file never overwrites.")
        real.parent.mkdir(parents=True, exist_ok=True)
        with real.open("x", encoding="utf-8") as fh:
            fh.write(content)
        return f"Wrote {len(content):,} characters to {real}."

    return [read_file, list_files, write_file]
