"""The ``@tool`` decorator: a Python function becomes a :class:`Tool` with a JSON schema.

The schema comes from the signature (types, defaults) and the Google-style docstring (summary and
``Args:`` descriptions), so a tool is documented once, in the place a Python reader looks.
"""

from __future__ import annotations

import enum
import inspect
import re
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin, overload

from engine.errors import ConfigError
from engine.tools.docstrings import parse_google

#: names the tool-call protocol reserves for itself
RESERVED_NAMES = frozenset({"final_answer"})
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True, eq=False)
class Tool:
    """A function a model may call.

    Attributes:
        name: identifier the model uses.
        description: what the tool does and when to use it (shown to the model).
        parameters: JSON schema of the keyword arguments (an ``object`` schema).
        fn: the Python callable.
        side_effects: True when the tool changes something outside Lampwright's answer (writes a file,
            sends a message). Such calls need the user's confirmation, every time.
        timeout_s: the longest a call may run before it is abandoned.
        max_result_chars: longer results are cut to this many characters.
        examples: few-shot examples ``(request, arguments)`` shown to small models.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    fn: Callable[..., Any]
    side_effects: bool = False
    timeout_s: float = 10.0
    max_result_chars: int = 8000
    examples: tuple[tuple[str, dict[str, Any]], ...] = field(default=())

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ConfigError(f"Tool name {self.name!r} must be a Python-like identifier of at most 64 characters.")
        if self.name in RESERVED_NAMES:
            raise ConfigError(f"The tool name {self.name!r} is reserved; choose another name.")
        if self.timeout_s <= 0:
            raise ConfigError(f"Tool {self.name}: timeout_s must be positive (got {self.timeout_s}).")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly (no validation, no timeout)."""
        return self.fn(*args, **kwargs)

    def spec(self) -> dict[str, Any]:
        """The OpenAI function-calling spec of this tool."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    def signature_line(self) -> str:
        """A compact one-line summary for prompts: ``name(arg: type, ...)``."""
        props = self.parameters.get("properties", {})
        required = set(self.parameters.get("required", []))
        parts = []
        for arg, schema in props.items():
            kind = schema.get("type") or ("enum" if "enum" in schema else "any")
            if "enum" in schema:
                kind = "|".join(json_str(v) for v in schema["enum"])
            parts.append(f"{arg}: {kind}" + ("" if arg in required else "?"))
        return f"{self.name}({', '.join(parts)})"


def json_str(value: Any) -> str:
    """Short JSON rendering used in prompts."""
    import json

    return json.dumps(value, ensure_ascii=False)


@overload
def tool(fn: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    side_effects: bool = False,
    timeout_s: float = 10.0,
    max_result_chars: int = 8000,
    examples: Sequence[tuple[str, dict[str, Any]]] = (),
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    side_effects: bool = False,
    timeout_s: float = 10.0,
    max_result_chars: int = 8000,
    examples: Sequence[tuple[str, dict[str, Any]]] = (),
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Turn a function into a :class:`Tool`; usable bare (``@tool``) or with options (``@tool(...)``).

    Args:
        fn: the function (when used bare).
        name: tool name (default: the function's name).
        description: description for the model (default: the docstring's summary and body).
        side_effects: mark tools that change the world; they need confirmation before each call.
        timeout_s: per-call time limit.
        max_result_chars: results longer than this are truncated.
        examples: few-shot ``(request, arguments)`` pairs.

    Returns:
        The tool, or a decorator producing it.
    """

    def build(f: Callable[..., Any]) -> Tool:
        doc = parse_google(f.__doc__)
        desc = description or "\n\n".join(p for p in (doc.summary, doc.description) if p)
        return Tool(
            name=name or f.__name__,
            description=desc or (name or f.__name__).replace("_", " "),
            parameters=schema_from_signature(f, doc.args),
            fn=f,
            side_effects=side_effects,
            timeout_s=timeout_s,
            max_result_chars=max_result_chars,
            examples=tuple((q, dict(a)) for q, a in examples),
        )

    return build(fn) if fn is not None else build


def schema_from_signature(fn: Callable[..., Any], arg_docs: dict[str, str] | None = None) -> dict[str, Any]:
    """JSON schema (an object) of ``fn``'s parameters; ``*args``/``**kwargs`` are not allowed."""
    arg_docs = arg_docs or {}
    sig = inspect.signature(fn)
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # unresolvable forward references: fall back to raw annotations
        hints = {k: v.annotation for k, v in sig.parameters.items() if v.annotation is not inspect.Parameter.empty}
    props: dict[str, Any] = {}
    required: list[str] = []
    for pname, param in sig.parameters.items():
        if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            raise ConfigError(f"Tool {fn.__name__}: *args/**kwargs cannot be described to a model; name each argument.")
        schema = type_schema(hints.get(pname, Any))
        if pname in arg_docs:
            schema["description"] = arg_docs[pname]
        if param.default is inspect.Parameter.empty:
            required.append(pname)
        elif param.default is not None and _json_safe(param.default):
            schema["default"] = param.default.value if isinstance(param.default, enum.Enum) else param.default
        props[pname] = schema
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def _json_safe(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | enum.Enum)


def type_schema(tp: Any) -> dict[str, Any]:
    """JSON schema of one Python type annotation."""
    if tp is Any or tp is inspect.Parameter.empty:
        return {}
    origin = get_origin(tp)
    args = get_args(tp)
    if origin in (typing.Union, types.UnionType):
        non_null = [a for a in args if a is not type(None)]
        if len(non_null) == 1:
            return type_schema(non_null[0])
        return {"anyOf": [type_schema(a) for a in non_null]}
    if origin is Literal:
        return {"enum": list(args)}
    if origin is typing.Annotated:
        inner = type_schema(args[0])
        extra = [a for a in args[1:] if isinstance(a, str)]
        if extra:
            inner["description"] = extra[0]
        return inner
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [m.value for m in tp]}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    if tp in (list, tuple, set, frozenset) or origin in (list, tuple, set, frozenset, Sequence):
        items = args[0] if args and args[0] is not Ellipsis else Any
        out: dict[str, Any] = {"type": "array"}
        item_schema = type_schema(items)
        if item_schema:
            out["items"] = item_schema
        return out
    if tp is dict or origin is dict:
        return {"type": "object"}
    model_schema = getattr(tp, "model_json_schema", None)  # pydantic models
    if callable(model_schema):
        return dict(model_schema())
    raise ConfigError(f"Cannot describe the type {tp!r} to a model; use str, int, float, bool, list, dict or Literal.")
