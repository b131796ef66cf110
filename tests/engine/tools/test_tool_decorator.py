from __future__ import annotations

from enum import Enum
from typing import Literal

import pytest

from engine.errors import ConfigError
from engine.tools import ToolRegistry, tool
from engine.tools.docstrings import parse_google


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


def test_schema_from_signature_and_google_docstring():
    @tool(timeout_s=3)
    def book_room(room: str, people: int, hours: float = 1.0, colour: Colour = Colour.RED,
                  mode: Literal["quiet", "open"] = "quiet", tags: list[str] | None = None, notify: bool = False) -> str:
        """Book a meeting room.

        Only rooms on this floor.

        Args:
            room: the room's name,
                as printed on the door.
            people: how many people come.
            hours: length of the booking.
            colour: badge colour.
            mode: kind of room.
            tags: labels for the calendar.
            notify: send invitations.
        """
        return room

    assert book_room.name == "book_room"
    assert book_room.description == "Book a meeting room.\n\nOnly rooms on this floor."
    p = book_room.parameters
    assert p["type"] == "object" and p["additionalProperties"] is False
    assert p["required"] == ["room", "people"]
    props = p["properties"]
    assert props["room"] == {"type": "string", "description": "the room's name, as printed on the door."}
    assert props["people"]["type"] == "integer"
    assert props["hours"] == {"type": "number", "description": "length of the booking.", "default": 1.0}
    assert props["colour"]["enum"] == ["red", "blue"] and props["colour"]["default"] == "red"
    assert props["mode"]["enum"] == ["quiet", "open"]
    assert props["tags"]["type"] == "array" and props["tags"]["items"] == {"type": "string"}
    assert props["notify"]["type"] == "boolean"
    assert book_room.timeout_s == 3 and book_room.side_effects is False
    assert book_room("A1", 3) == "A1"  # still callable
    spec = book_room.spec()
    assert spec["type"] == "function" and spec["function"]["name"] == "book_room"


def test_bare_decorator_and_side_effects_flag():
    @tool
    def ping() -> str:
        """Say pong."""
        return "pong"

    @tool(side_effects=True, name="send_mail")
    def send(to: str) -> str:
        """Send mail."""
        return to

    assert ping.parameters == {"type": "object", "properties": {}, "additionalProperties": False}
    assert send.name == "send_mail" and send.side_effects


def test_bad_tools_are_refused():
    with pytest.raises(ConfigError, match=r"\*args"):

        @tool
        def bad(*args: int) -> None:
            """Bad."""

    with pytest.raises(ConfigError, match="reserved"):

        @tool(name="final_answer")
        def answer(x: str) -> str:
            """Nope."""
            return x

    with pytest.raises(ConfigError, match="Cannot describe"):

        @tool
        def odd(x: complex) -> None:
            """Odd."""


def test_registry_names_duplicates_and_subset():
    @tool
    def a() -> str:
        """A."""
        return "a"

    @tool
    def b() -> str:
        """B."""
        return "b"

    reg = ToolRegistry([a, b])
    assert reg.names == ["a", "b"] and "a" in reg and len(reg) == 2
    with pytest.raises(ConfigError, match="already registered"):
        reg.register(a)
    assert reg.subset(["b"]).names == ["b"]
    with pytest.raises(Exception, match="Available: a, b"):
        reg.require("c")


def test_parse_google_ignores_other_sections():
    doc = parse_google(
        """Summary line.

        Args:
            x (int): first.
            y: second
              continued.

        Returns:
            nothing: really.
        """
    )
    assert doc.summary == "Summary line."
    assert doc.args == {"x": "first.", "y": "second continued."}
