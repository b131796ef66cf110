"""A small parser for Google-style docstrings: summary, description and ``Args:`` entries."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

_SECTION = re.compile(r"^(Args|Arguments|Parameters|Returns|Return|Raises|Yields|Examples?|Notes?|Attributes):\s*$")
_ARG = re.compile(r"^(\*{0,2}\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")


@dataclass(frozen=True, slots=True)
class Docstring:
    """The parts of a docstring a tool schema needs."""

    summary: str = ""
    description: str = ""
    args: dict[str, str] = field(default_factory=dict)


def parse_google(doc: str | None) -> Docstring:
    """Parse a Google-style docstring; unknown sections are ignored."""
    text = inspect.cleandoc(doc or "")
    if not text:
        return Docstring()
    lines = text.splitlines()
    body: list[str] = []
    args: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    arg_indent: int | None = None
    for line in lines:
        stripped = line.strip()
        m = _SECTION.match(stripped) if not line.startswith(" ") else None
        if m:
            section, current, arg_indent = m.group(1), None, None
            continue
        if section is None:
            body.append(line)
            continue
        if section not in ("Args", "Arguments", "Parameters") or not stripped:
            continue
        indent = len(line) - len(line.lstrip())
        am = _ARG.match(stripped)
        if am and (arg_indent is None or indent <= arg_indent):
            arg_indent = indent
            current = am.group(1).lstrip("*")
            args[current] = am.group(3).strip()
        elif current is not None:  # continuation line of the current argument
            args[current] = f"{args[current]} {stripped}".strip()
    paragraphs = "\n".join(body).strip().split("\n\n")
    summary = " ".join(paragraphs[0].split()) if paragraphs else ""
    description = "\n\n".join(" ".join(p.split()) for p in paragraphs[1:] if p.strip())
    return Docstring(summary=summary, description=description, args=args)
