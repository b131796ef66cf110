"""OpenAI-style tools for local models: calls decoded under a JSON-schema grammar.

Small local models rarely follow a tool-calling format on their own, and many chat templates cannot
render tools at all. For the in-process backend the server therefore describes the tools in the system
prompt and constrains the reply to one JSON object: ``{"tool": NAME, "arguments": {...}}`` for a call,
or ``{"answer": TEXT}`` when ``tool_choice`` is ``"auto"``. The reply is turned back into OpenAI
``tool_calls``. Remote backends (OpenAI-compatible, Ollama) get the tools as they are.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from engine.errors import ConfigError
from engine.inference.schema_guard import check_schema
from engine.types import ChatResult, Message, ToolCall


@dataclass(frozen=True)
class ToolPlan:
    """How one request's tools are handled."""

    messages: list[Message]
    response_format: dict[str, Any] | None
    #: the reply is a constrained JSON object to turn into tool calls or an answer
    constrained: bool
    #: tools passed to the backend as they are (remote backends)
    passthrough: list[dict[str, Any]] | None


def _names(tools: Sequence[dict[str, Any]]) -> list[str]:
    out = []
    for t in tools:
        fn = t.get("function") or {}
        if t.get("type", "function") != "function" or not fn.get("name"):
            raise ConfigError("Each tool must be {'type': 'function', 'function': {'name': ..., 'parameters': {...}}}.")
        out.append(fn["name"])
    return out


def _choice(tool_choice: Any, names: list[str]) -> tuple[str, list[str]]:
    """('none'|'auto'|'required', the tools allowed)."""
    if tool_choice is None or tool_choice == "auto":
        return "auto", names
    if tool_choice in ("none", "required"):
        return str(tool_choice), names
    if isinstance(tool_choice, dict):
        name = (tool_choice.get("function") or {}).get("name")
        if name not in names:
            raise ConfigError(f"tool_choice names {name!r}, which is not among the tools ({', '.join(names)}).")
        return "required", [name]
    raise ConfigError("tool_choice must be 'none', 'auto', 'required' or {'type': 'function', 'function': {'name': ...}}.")


def _describe(tools: Sequence[dict[str, Any]], allowed: list[str], mode: str) -> str:
    lines = ["You can call these tools:"]
    for t in tools:
        fn = t["function"]
        if fn["name"] in allowed:
            params = json.dumps(fn.get("parameters") or {"type": "object"}, separators=(",", ":"))
            lines.append(f"- {fn['name']}: {fn.get('description', '').strip()} Parameters: {params}")
    lines.append('To call a tool, reply with {"tool": NAME, "arguments": {...}}.')
    if mode == "auto":
        lines.append('To answer without a tool, reply with {"answer": TEXT}.')
    return "\n".join(lines)


def _flatten(messages: Sequence[Message]) -> list[Message]:
    """Tool turns rewritten as plain text, for chat templates that cannot render them."""
    out: list[Message] = []
    for m in messages:
        if m.role == "assistant" and m.tool_calls:
            calls = [{"tool": c.name, "arguments": json.loads(c.arguments or "{}")} for c in m.tool_calls]
            out.append(Message("assistant", json.dumps(calls[0] if len(calls) == 1 else calls)))
        elif m.role == "tool":
            out.append(Message("user", f"Tool result{f' ({m.name})' if m.name else ''}: {m.content}"))
        else:
            out.append(m)
    return out


def plan(
    messages: Sequence[Message],
    tools: Sequence[dict[str, Any]] | None,
    tool_choice: Any,
    response_format: dict[str, Any] | None,
    *,
    local: bool,
) -> ToolPlan:
    """Decide how a request's tools reach the model."""
    if local:
        check_schema(response_format, "response_format")
        check_schema(tools, "tools")
    if not tools or tool_choice == "none":
        return ToolPlan(list(messages), response_format, False, None)
    names = _names(tools)
    if not local:
        return ToolPlan(list(messages), response_format, False, list(tools))
    mode, allowed = _choice(tool_choice, names)
    branches: list[dict[str, Any]] = []
    for t in tools:
        fn = t["function"]
        if fn["name"] in allowed:
            args = dict(fn.get("parameters") or {"type": "object", "properties": {}})
            args.setdefault("type", "object")
            branches.append(
                {
                    "type": "object",
                    "properties": {"tool": {"const": fn["name"]}, "arguments": args},
                    "required": ["tool", "arguments"],
                }
            )
    if mode == "auto":
        branches.append(
            {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
        )
    schema = branches[0] if len(branches) == 1 else {"anyOf": branches}
    msgs = _flatten(messages)
    note = _describe(tools, allowed, mode)
    if msgs and msgs[0].role == "system":
        msgs[0] = replace(msgs[0], content=f"{msgs[0].content}\n\n{note}".strip())
    else:
        msgs.insert(0, Message("system", note))
    return ToolPlan(msgs, {"type": "json_object", "schema": schema}, True, None)


def finish(tool_plan: ToolPlan, result: ChatResult) -> ChatResult:
    """Turn a constrained reply into tool calls (or a plain answer)."""
    if not tool_plan.constrained:
        return result
    try:
        data = json.loads(result.text)
    except ValueError:
        return result  # cut off by max_tokens: hand back the text as it is
    if isinstance(data, dict) and "tool" in data:
        call = ToolCall(f"call_{os.urandom(6).hex()}", str(data["tool"]), json.dumps(data.get("arguments") or {}))
        return replace(result, message=Message("assistant", "", tool_calls=(call,)), finish_reason="tool_calls")
    if isinstance(data, dict) and "answer" in data:
        return replace(result, message=Message("assistant", str(data["answer"])))
    return result
