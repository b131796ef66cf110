"""Structured output: a JSON Schema (or a Pydantic model) becomes grammar-constrained decoding.

The schema is checked first: it must be a valid JSON Schema, and it may use only keywords the
llama.cpp grammar converter can enforce, so the decoded JSON always validates. Anything else is a
:class:`SchemaError` that names the keyword and where it is. After decoding, the output is parsed and
validated with :mod:`jsonschema`; a reply cut off by ``max_tokens`` is retried once with more room.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from engine.errors import SchemaError, StructuredOutputError
from engine.inference.base import collect
from engine.types import ChatEvent, ChatResult, GenerationParams, Message

#: keywords the grammar cannot enforce (decoding would ignore them, so output could break the schema)
UNSUPPORTED = {
    "not": "negation cannot be expressed as a grammar",
    "if": "conditional schemas are not supported",
    "then": "conditional schemas are not supported",
    "else": "conditional schemas are not supported",
    "patternProperties": "use explicit 'properties' instead",
    "dependentRequired": "list the fields in 'required' or split with 'anyOf'",
    "dependentSchemas": "split the cases with 'anyOf'",
    "uniqueItems": "uniqueness cannot be expressed as a grammar",
    "contains": "use 'items' instead",
    "minContains": "use 'items' instead",
    "maxContains": "use 'items' instead",
    "propertyNames": "use explicit 'properties' instead",
    "multipleOf": "cannot be expressed as a grammar",
    "unevaluatedProperties": "use 'additionalProperties' instead",
    "unevaluatedItems": "use 'items' instead",
    "minProperties": "list the fields in 'required' instead",
    "maxProperties": "set 'additionalProperties': false instead",
    "exclusiveMaximum": "use an enum or an integer 'maximum'",
    "exclusiveMinimum": "use an enum or an integer 'minimum'",
}
#: bound added to free-text strings in the grammar so a reply always ends inside max_tokens
DEFAULT_STRING_BOUND = 300

SchemaLike = dict[str, Any] | type


def to_schema(spec: SchemaLike) -> dict[str, Any]:
    """A JSON schema from a dict or a Pydantic model class."""
    if isinstance(spec, dict):
        return spec
    model_schema = getattr(spec, "model_json_schema", None)
    if callable(model_schema):
        return dict(model_schema())
    raise SchemaError(f"{spec!r} is neither a JSON schema (dict) nor a Pydantic model class.")


def check_schema(spec: SchemaLike) -> dict[str, Any]:
    """Validate the schema and refuse what constrained decoding cannot enforce; returns the schema."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError as JSONSchemaError

    schema = to_schema(spec)
    if not isinstance(schema, dict) or not schema:
        raise SchemaError("The schema must be a non-empty JSON object.")
    try:
        Draft202012Validator.check_schema(schema)
    except JSONSchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "(root)"
        raise SchemaError(f"Not a valid JSON Schema at {where}: {exc.message}") from exc
    problems = list(_unsupported(schema, ""))
    if problems:
        listed = "; ".join(f"'{kw}' at {path or '/'} ({why})" for path, kw, why in problems[:5])
        raise SchemaError(f"This schema uses keywords constrained decoding cannot enforce: {listed}.")
    return schema


def _unsupported(node: Any, path: str) -> Iterator[tuple[str, str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("properties", "$defs", "definitions"):  # names of fields, not keywords
                if isinstance(value, dict):
                    for name, sub in value.items():
                        yield from _unsupported(sub, f"{path}/{key}/{name}")
                continue
            if key in ("enum", "const", "examples", "default"):
                continue
            if key in UNSUPPORTED:
                yield path, key, UNSUPPORTED[key]
            elif key == "$ref" and isinstance(value, str) and not value.startswith("#"):
                yield path, key, "only local references ('#/$defs/...') are supported"
            elif key in ("minimum", "maximum") and node.get("type") == "number":
                yield path, key, "numeric ranges are enforced for integers only; use type 'integer'"
            elif key == "pattern" and isinstance(value, str) and not (value.startswith("^") and value.endswith("$")):
                yield path, key, "patterns must be anchored with ^ and $"
            else:
                yield from _unsupported(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _unsupported(v, f"{path}/{i}")


def grammar_schema(
    schema: dict[str, Any], string_bound: int | None = DEFAULT_STRING_BOUND, max_items: int = 20
) -> dict[str, Any]:
    """The schema decoding uses: the user's, with free strings and arrays bounded so the reply ends."""
    if not string_bound:
        return schema
    out = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            constrained = any(k in node for k in ("enum", "const", "pattern", "format"))
            if node.get("type") == "string" and not constrained:
                floor = int(node.get("minLength", 0))
                node["maxLength"] = max(floor, min(int(node.get("maxLength", string_bound)), string_bound))
            if node.get("type") == "array":
                floor = int(node.get("minItems", 0))
                node["maxItems"] = max(floor, min(int(node.get("maxItems", max_items)), max_items))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(out)
    return out


def validate(schema: dict[str, Any], value: Any) -> list[str]:
    """Messages describing how ``value`` breaks ``schema`` (empty when it validates)."""
    from jsonschema import Draft202012Validator, FormatChecker

    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    return [
        f"{'/'.join(str(p) for p in e.path) or '(root)'}: {e.message}"
        for e in sorted(validator.iter_errors(value), key=lambda e: list(e.path))
    ]


def schema_instruction(schema: dict[str, Any]) -> str:
    """A system-message line telling the model what JSON to write (the grammar enforces it anyway)."""
    return "Reply only with JSON that matches this JSON Schema:\n" + json.dumps(schema, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class StructuredResult:
    """Parsed, validated JSON and the call that produced it.

    ``text`` is the canonical (strict) JSON of ``data``; ``result.text`` is what the model wrote.
    """

    data: Any
    text: str
    result: ChatResult
    attempts: int = 1


#: ``chat(messages, params, *, response_format=...)`` streaming like :meth:`Engine.stream_chat`
ChatFn = Callable[..., Iterator[ChatEvent]]


def generate_structured(
    chat: ChatFn,
    messages: Sequence[Message],
    schema: SchemaLike,
    params: GenerationParams,
    *,
    instruct: bool = True,
    string_bound: int | None = DEFAULT_STRING_BOUND,
    retries: int = 2,
    **chat_kwargs: Any,
) -> StructuredResult:
    """Generate JSON that validates against ``schema``.

    Args:
        chat: streaming chat function (``Engine.stream_chat`` or a backend's ``stream_chat``).
        messages: the conversation; a schema instruction is added to the system message when ``instruct``.
        schema: JSON schema dict or Pydantic model class.
        params: sampling settings.
        instruct: also describe the schema to the model in the system message.
        string_bound: maxLength added to free strings while decoding (None: no bound).
        retries: extra attempts when the reply is cut off (more tokens, tighter string/array bounds).
        **chat_kwargs: passed to ``chat`` (e.g. ``cancel``, ``context``, ``model``).

    Raises:
        SchemaError: the schema is invalid or cannot be enforced.
        StructuredOutputError: the output still did not validate (e.g. cut off by max_tokens).
    """
    full = check_schema(schema)
    msgs = list(messages)
    if instruct:
        line = schema_instruction(full)
        if msgs and msgs[0].role == "system":
            msgs[0] = Message("system", f"{msgs[0].content}\n\n{line}".strip())
        else:
            msgs.insert(0, Message("system", line))
    # no repeat penalty for JSON: it punishes the quotes, braces and keys JSON must repeat
    base = GenerationParams.from_dict({**params.to_dict(), "repeat_penalty": 1.0})
    # a reply cut off by max_tokens is retried with more tokens and tighter bounds on strings/arrays
    ladder = [(string_bound, 20, 1), (min(string_bound or 64, 64), 8, 2), (16, 4, 4)][: retries + 1]
    problems: list[str] = []
    result: ChatResult | None = None
    for attempt, (bound, items, factor) in enumerate(ladder, 1):
        fmt = {"type": "json_object", "schema": grammar_schema(full, bound, items)}
        attempt_params = GenerationParams.from_dict({**base.to_dict(), "max_tokens": base.max_tokens * factor})
        result = collect(chat(msgs, attempt_params, response_format=fmt, **chat_kwargs))
        try:
            data = json.loads(result.text, strict=False)  # the grammar allows raw control chars in strings
        except ValueError as exc:
            problems = [f"not valid JSON ({exc})"]
        else:
            problems = validate(full, data)
            if not problems:
                return StructuredResult(data, json.dumps(data, ensure_ascii=False), result, attempt)
        if result.finish_reason != "length":
            break
    assert result is not None
    hint = " The reply was cut off: raise max_tokens." if result.finish_reason == "length" else ""
    raise StructuredOutputError(f"The model's output does not match the schema: {'; '.join(problems[:3])}.{hint}")
