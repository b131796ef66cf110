"""Reject JSON schemas that llama.cpp's grammar parser cannot take.

llama.cpp expands ``maxLength``/``minItems``-style bounds into repeated grammar rules and refuses
grammars past a repetition threshold (around 2,000); the refusal takes the whole process down in
llama-cpp-python 0.3.x. A server must not let one request crash it, so bounds are checked up front.
"""

from __future__ import annotations

from typing import Any

from engine.errors import SchemaError

BOUND_KEYS = ("maxLength", "minLength", "maxItems", "minItems")
#: largest repetition bound accepted (llama.cpp handles 1,000 in a single rule; it fails near 2,000)
MAX_BOUND = 1000


def check_schema(schema: Any, where: str = "schema") -> None:
    """Raise :class:`SchemaError` when a bound in ``schema`` is too large for constrained decoding."""
    if isinstance(schema, dict):
        for key in BOUND_KEYS:
            value = schema.get(key)
            if isinstance(value, int) and value > MAX_BOUND:
                raise SchemaError(
                    f"{where}: {key}={value} is too large for constrained decoding (at most {MAX_BOUND}). "
                    "Lower it, or leave it out and bound the reply with max_tokens."
                )
        for k, v in schema.items():
            check_schema(v, f"{where}.{k}")
    elif isinstance(schema, list):
        for i, v in enumerate(schema):
            check_schema(v, f"{where}[{i}]")
